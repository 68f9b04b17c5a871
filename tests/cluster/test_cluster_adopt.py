from pathlib import Path

import pytest
import yaml

from pipeline.cluster import (
    CandidateCategory,
    CandidateLabel,
    ClusterResult,
    NearestCode,
    Representative,
    render_candidates_section,
)
from pipeline.cluster.adopt import merge_candidates, nearest_main_category, write_candidates
from pipeline.codebook import load_codebook
from pipeline.errors import CodebookError

REPO = Path(__file__).resolve().parents[2]
BOOK = REPO / "configs" / "codebooks" / "soe-assistance.yaml"


def _candidate(cid: str, nearest: list[tuple[str, float]], text: str) -> CandidateCategory:
    rep = Representative(f"d1:0-{len(text)}", "d1", 0, len(text), text, "zh", 0.93)
    return CandidateCategory(
        id=cid,
        passage_ids=(rep.passage_id, "d2:5-30"),
        keywords=("直播", "带货", "<b>"),
        representatives=(rep,),
        nearest_codes=tuple(NearestCode(c, s) for c, s in nearest),
        novelty=0.91,
        label=CandidateLabel("直播、带货", "Candidate: 直播, 带货"),
    )


@pytest.fixture(scope="module")
def book():
    return load_codebook(BOOK)


def _result(book) -> ClusterResult:
    a01_main = book.ancestor_at("A01", "main").id
    assert a01_main == "B01"
    return ClusterResult(
        candidates=(
            _candidate("C01", [("A01", 0.6), ("A04", 0.5)], "企业帮助村里开设直播间卖土特产。"),
        ),
        outliers=("d3:0-9",),
        outlier_share=0.25,
    )


def test_candidates_yaml_merges_into_a_valid_codebook_with_new_hash(book, tmp_path):
    path = write_candidates(_result(book), book, tmp_path / "candidates.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    code = data["codes"][0]
    assert data["candidates_for"]["hash"] == book.hash
    assert code["parent"] == "B01" and code["level"] == "initial"
    assert code["keywords"] == ["直播", "带货", "<b>"]
    assert code["examples"][0]["text"] == "企业帮助村里开设直播间卖土特产。"
    assert code["sources"][0] == {"passage": "d1:0-16", "doc_id": "d1", "start": 0, "end": 16}
    merged = merge_candidates(book, path)
    assert "C01" in merged and merged.get("C01").parent == "B01"
    assert merged.hash != book.hash and len(merged) == len(book) + 1
    assert merged.get("C01").name.zh.startswith("（草稿）")


def test_edited_candidates_with_problems_name_the_file(book, tmp_path):
    path = write_candidates(_result(book), book, tmp_path / "candidates.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["codes"][0]["id"] = "A01"  # clashes with an existing code
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CodebookError, match="candidates.yaml.*A01"):
        merge_candidates(book, path)
    data["codes"][0].update(id="C09", parent="NOPE")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CodebookError, match="NOPE"):
        merge_candidates(book, path)
    path.write_text("just text\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="'codes' list"):
        merge_candidates(book, path)


def test_nearest_main_category_sums_similarities_per_category(book):
    a_in_b01 = [c.id for c in book.children("B01")]
    other = next(c for c in book.level_codes("initial") if c.parent != "B01")
    cand = _candidate("C02", [(other.id, 0.7), (a_in_b01[0], 0.4), (a_in_b01[1], 0.4)], "文本")
    assert nearest_main_category(cand, book) == "B01"


def test_report_section_is_escaped(book):
    html = render_candidates_section(_result(book))
    assert '<section id="candidates">' in html and 'id="candidate-C01"' in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "d1 0–16" in html and "25.0%" in html
