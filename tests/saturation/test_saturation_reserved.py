from types import SimpleNamespace

import pytest

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.cluster import CandidateCategory, CandidateLabel, ClusterResult
from pipeline.errors import ManifestError
from pipeline.saturation.measures import bootstrap_saturation, saturation_measures
from pipeline.saturation.report import render_saturation_section
from pipeline.saturation.reserved import assess_reserved, codes_per_case, ordered_cases
from pipeline.segment.passage import Passage


def _p(doc: str, start: int) -> Passage:
    return Passage(
        Passage.make_id(doc, start, start + 5), doc, start, start + 5, "文本内容。", "zh", 0
    )


PASSAGES = [_p("d1", 0), _p("d1", 10), _p("r1", 0), _p("r1", 10), _p("r2", 0), _p("r2", 10)]


def _s(passage: Passage, code: str, accepted: bool = True) -> Suggestion:
    return Suggestion(passage.id, code, 0.8, 1, "initial", "zero-shot", "m", accepted)


SUGGESTIONS = [
    _s(PASSAGES[0], "A01"),
    _s(PASSAGES[1], NO_CODE, False),
    _s(PASSAGES[2], NO_CODE, False),
    _s(PASSAGES[3], "A02"),
    _s(PASSAGES[4], "A03", accepted=False),
    _s(PASSAGES[5], "A01"),
]


def _cand(cid: str, members: list[Passage]) -> CandidateCategory:
    return CandidateCategory(
        cid,
        tuple(p.id for p in members),
        ("直播", "带货"),
        (),
        (),
        0.9,
        CandidateLabel("直播", "Candidate: 直播"),
    )


def test_cluster_of_only_reserved_passages_is_a_new_concept():
    clusters = ClusterResult(
        (_cand("C01", [PASSAGES[2], PASSAGES[4]]), _cand("C02", [PASSAGES[1], PASSAGES[2]])),
        (),
        0.0,
    )
    verdict = assess_reserved(PASSAGES, SUGGESTIONS, clusters, ["r1", "r2"])
    assert not verdict.saturated and verdict.new_concepts == ("C01",)
    assert "C01" in verdict.reason and "直播" in verdict.reason
    r1, r2 = verdict.cases
    assert r1.uncoded == (PASSAGES[2].id,) and r1.codes == ("A02",)
    assert r2.uncoded == (PASSAGES[4].id,) and r2.codes == ("A01",)
    assert r1.new_concepts == ("C01",) == r2.new_concepts


def test_no_reserved_only_cluster_means_saturated():
    clusters = ClusterResult((_cand("C02", [PASSAGES[1], PASSAGES[2]]),), (PASSAGES[4].id,), 0.33)
    verdict = assess_reserved(PASSAGES, SUGGESTIONS, clusters, ["r1", "r2"])
    assert verdict.saturated and verdict.new_concepts == ()
    assert "2 of 4 reserved passages" in verdict.reason
    m = saturation_measures({f"c{i}": {"a"} for i in range(6)})
    html = render_saturation_section(
        m, bootstrap_saturation({f"c{i}": {"a"} for i in range(6)}, orders=5), verdict
    )
    assert "<strong>saturated</strong>" in html


def test_codes_per_case_and_case_order():
    codes = codes_per_case(PASSAGES, SUGGESTIONS, ["d1", "r1", "r2"])
    assert codes == {"d1": {"A01"}, "r1": {"A02"}, "r2": {"A01"}}
    docs = [
        SimpleNamespace(id=i, meta={"reserved": r})
        for i, r in [("r1", True), ("d1", False), ("r2", "true"), ("d2", None)]
    ]
    assert ordered_cases(docs) == (["d1", "d2", "r1", "r2"], ["r1", "r2"])
    assert ordered_cases(docs, ["d2"]) == (["r1", "d1", "r2", "d2"], ["d2"])
    with pytest.raises(ManifestError, match="nope"):
        ordered_cases(docs, ["nope"])
