"""Malformed codebooks give one clear CodebookError naming file, location and problem."""

from __future__ import annotations

import textwrap

import pytest

from pipeline.codebook import codebook_from_dict, load_codebook
from pipeline.errors import CodebookError


def _error(data, source="bad.yaml") -> str:
    with pytest.raises(CodebookError) as info:
        codebook_from_dict(data, source=source)
    return str(info.value)


def test_small_codebook_is_valid(small):
    book = codebook_from_dict(small)
    assert [c.id for c in book.codes] == ["M1", "I1", "I2"]
    assert book.get("M1").codable is False and book.get("I1").codable is True


def test_unknown_key_names_its_path(small):
    small["codes"][1]["exmples"] = []
    message = _error(small)
    assert "bad.yaml" in message
    assert "codes[1].exmples" in message and "unknown key 'exmples'" in message


def test_duplicate_id(small):
    small["codes"][2]["id"] = "I1"
    assert "duplicate code id 'I1'" in _error(small)


def test_missing_parent(small):
    small["codes"][2]["parent"] = "M9"
    message = _error(small)
    assert "codes[2].parent" in message and "parent 'M9' of I2 does not exist" in message


def test_cycle(small):
    small["codes"][0]["level"] = "initial"
    small["codes"][0]["parent"] = "I1"
    small["codes"][0].pop("dimension")
    message = _error(small)
    assert "parent cycle" in message
    assert "M1" in message and "I1" in message


def test_wrong_level(small):
    small["codes"].append(
        {
            "id": "I3",
            "parent": "I1",
            "level": "initial",
            "name": {"zh": "三", "en": "three"},
            "definition": {"zh": "三", "en": "three"},
        }
    )
    message = _error(small)
    assert "initial code I3 has parent I1 at level 'initial'; expected level 'main'" in message


def test_missing_language(small):
    del small["codes"][1]["definition"]["en"]
    small["codes"][2]["name"]["zh"] = "   "
    message = _error(small)
    assert "codes[1].definition.en: missing required key 'en'" in message
    assert "codes[2].name.zh" in message


def test_non_codable_leaf_and_unknown_dimension_and_arena(small):
    small["codes"][2]["codable"] = False
    small["codes"][0]["dimension"] = "dim_z"
    small["codes"][1]["arenas"] = ["industrial", "tourism"]
    message = _error(small)
    assert "3 problems" in message
    assert "leaf code I2 is marked codable: false" in message
    assert "dimension 'dim_z' of M1 is not defined" in message
    assert "arena 'tourism' of I1" in message


def test_main_code_without_dimension(small):
    del small["codes"][0]["dimension"]
    assert "main code M1 has no dimension" in _error(small)


def test_all_problems_reported_together(small):
    small["codes"][1]["parent"] = "M9"
    small["codes"][2]["id"] = "I1"
    small["codes"][0]["dimension"] = "dim_z"
    message = _error(small)
    assert "3 problems" in message
    assert "parent 'M9' of I1 does not exist" in message
    assert "duplicate code id 'I1'" in message
    assert "dimension 'dim_z' of M1 is not defined" in message


def test_yaml_errors_carry_line_numbers(tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            id: t
            version: "1"
            title: {zh: 题, en: title}
            description: {zh: 述, en: desc}
            codes:
              - id: M1
                level: main
                name: {zh: 主, en: main}
                definition: {zh: 定义, en: def}
              - id: I1
                parent: M1
                level: initial
                name: {zh: 初, en: init}
                definition: {zh: 定义, en: def}
                exmples: []
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 15, codes[1].exmples: unknown key 'exmples'" in message


def test_duplicate_yaml_key_and_missing_file(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("id: a\nid: b\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="line 2, id: duplicate key 'id'"):
        load_codebook(path)
    with pytest.raises(CodebookError, match="codebook file not found"):
        load_codebook(tmp_path / "nope.yaml")


def test_version_must_be_a_string(small):
    small["version"] = 1.0
    assert "version" in _error(small)
