"""The bundled SOE-assistance codebook matches the study's TSV and is complete."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _tsv_rows() -> list[dict[str, str]]:
    from tests.conftest import shared_dir

    shared = shared_dir()
    tsv = shared / "codebook" / "soe_assistance_codebook.tsv"
    if not tsv.is_file():
        pytest.skip(f"codebook TSV not found at {tsv} (set GROUNDCODE_SHARED)")
    with tsv.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_counts_and_order(bundled):
    assert len(bundled.level_codes("main")) == 12
    assert len(bundled.level_codes("initial")) == 50
    order = [code.id for code in bundled.codes]
    mains = [code.id for code in bundled.level_codes("main")]
    assert mains == [f"B{i:02d}" for i in range(1, 13)]
    for main in mains:  # each main is followed directly by its initial codes
        start = order.index(main)
        kids = [c.id for c in bundled.children(main)]
        assert order[start + 1 : start + 1 + len(kids)] == kids


def test_ids_labels_grouping_dimensions_equal_tsv(bundled):
    rows = _tsv_rows()
    assert {row["initial_code"] for row in rows} == {c.id for c in bundled.level_codes("initial")}
    for row in rows:
        code = bundled.get(row["initial_code"])
        main = bundled.ancestor_at(code.id, "main")
        assert code.name.en == row["initial_label"]
        assert main.id == row["main_code"]
        assert main.name.en == row["main_label"]
        assert bundled.dimension_of(code.id) == row["framework_dimension"]


def test_every_initial_code_is_documented_in_both_languages(bundled):
    for code in bundled.level_codes("initial"):
        assert code.codable
        for text in (code.name, code.definition, code.include, code.exclude):
            assert text is not None and text.zh.strip() and text.en.strip(), code.id
        assert len(code.examples_in("zh")) >= 2, code.id
        assert len(code.examples_in("en")) >= 2, code.id


def test_examples_are_distinct_and_chinese_examples_are_chinese(bundled):
    texts = [ex.text for code in bundled.codes for ex in code.examples]
    assert len(texts) == len(set(texts))
    for code in bundled.codes:
        for text in code.examples_in("zh"):
            assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 10, (code.id, text)


def test_main_codes_are_categories_with_a_dimension(bundled):
    dims = {dim.id for dim in bundled.dimensions}
    for code in bundled.level_codes("main"):
        assert not code.codable
        assert code.dimension in dims
        assert bundled.children(code.id)


def test_examples_are_short_and_cross_references_exist(bundled):
    import re

    for code in bundled.codes:
        for example in code.examples:
            size = len(example.text) if example.lang == "zh" else len(example.text.split())
            low, high = (20, 60) if example.lang == "zh" else (12, 35)
            assert low <= size <= high, (code.id, example.text)
        notes = [code.definition, code.include, code.exclude]
        for ref in re.findall(r"\b[AB]\d\d\b", " ".join(f"{n.zh} {n.en}" for n in notes if n)):
            assert ref in bundled, (code.id, ref)
        if code.exclude:  # exclusion notes point to the code to use instead
            assert re.search(r"[AB]\d\d", code.exclude.zh) and re.search(
                r"[AB]\d\d", code.exclude.en
            )
