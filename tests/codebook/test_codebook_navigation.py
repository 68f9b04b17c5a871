"""Navigation over the tree, withheld-code copies and merging of new codes."""

from __future__ import annotations

import pytest

from pipeline.codebook import Code, codebook_from_dict
from pipeline.errors import CodebookError


def test_get_children_leaves_levels(bundled):
    assert bundled.get("A04").name.en == "Cooperatives led by village Party organizations"
    assert [c.id for c in bundled.children("B01")] == ["A01", "A04"]
    assert {c.id for c in bundled.leaves()} == {c.id for c in bundled.level_codes("initial")}
    with pytest.raises(CodebookError, match="unknown code id 'A99'"):
        bundled.get("A99")
    with pytest.raises(CodebookError, match="unknown level"):
        bundled.level_codes("axial")


def test_ancestors_path_and_dimension(bundled):
    assert bundled.ancestor_at("A04", "main").id == "B01"
    assert bundled.ancestor_at("A04", "initial").id == "A04"
    assert bundled.ancestor_at("B01", "initial") is None
    assert bundled.ancestor_at("A04", "dimension").id == "guidance_and_safeguard"
    assert bundled.dimension_of("A02") == "collaborative_subjects"
    assert bundled.dimension_of("B12") == "empowerment_mechanism"
    assert [c.id for c in bundled.path("A48")] == ["B06", "A48"]


def test_codable_ids_per_level(bundled):
    assert len(bundled.codable_ids("initial")) == 50
    assert bundled.codable_ids("main") == tuple(f"B{i:02d}" for i in range(1, 13))
    assert set(bundled.codable_ids("dimension")) == {d.id for d in bundled.dimensions}


def test_without_drops_codes_and_emptied_categories(bundled):
    smaller = bundled.without(["A01"])
    assert "A01" not in smaller and "A04" in smaller
    assert smaller.hash != bundled.hash and len(smaller.codable_ids("initial")) == 49
    no_b01 = bundled.without(["A01", "A04"])
    assert "B01" not in no_b01
    assert "guidance_and_safeguard" not in no_b01.codable_ids("dimension")
    assert len(bundled.without(["B06"])) == len(bundled) - 4
    with pytest.raises(CodebookError, match="unknown code id 'Z1'"):
        bundled.without(["Z1"])


def test_merge_draft_codes_places_them_under_their_parent(bundled):
    draft = {
        "id": "N01",
        "parent": "B01",
        "level": "initial",
        "name": {"zh": "候选范畴", "en": "Candidate category"},
        "definition": {"zh": "候选定义", "en": "candidate definition"},
    }
    merged = bundled.merge([draft])
    ids = [c.id for c in merged.codes]
    assert ids[ids.index("A04") + 1] == "N01"
    assert merged.ancestor_at("N01", "main").id == "B01"
    assert merged.hash != bundled.hash
    with pytest.raises(CodebookError, match="already in the codebook: N01"):
        merged.merge([draft])


def test_merge_is_inverse_of_without(bundled):
    withheld = [bundled.get("A12"), bundled.get("A35")]
    restored = bundled.without(["A12", "A35"]).merge(withheld)
    assert {c.id for c in restored.codes} == {c.id for c in bundled.codes}
    assert restored.get("A35") == bundled.get("A35")


def test_merge_another_codebook_and_revalidation(small):
    book = codebook_from_dict(small)
    other = dict(small, id="other")
    other["dimensions"] = [{"id": "dim_b", "name": {"zh": "乙", "en": "B"}}]
    other["codes"] = [
        dict(small["codes"][0], id="M2", dimension="dim_b"),
        dict(small["codes"][2], id="I9", parent="M2"),
    ]
    merged = book.merge(codebook_from_dict(other))
    assert merged.dimension_of("I9") == "dim_b"
    bad = Code(
        id="X1", level="initial", name=book.get("I1").name, definition=book.get("I1").definition,
        codable=True, parent="M7",
    )  # fmt: skip
    with pytest.raises(CodebookError, match="parent 'M7' of X1 does not exist"):
        book.merge([bad])
