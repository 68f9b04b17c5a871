"""classify.accept: which ranked codes are applied; only ``accepted`` changes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.classify.accept import AcceptRule, accept_mask, named_rule
from pipeline.classify.run import build_coder, suggest_levels
from pipeline.classify.settings import ClassifySettings
from pipeline.classify.zeroshot import ZeroShotCoder
from pipeline.errors import ClassifyError

MARGINS = np.array(
    [
        [0.30, 0.29, 0.10, -0.2],  # two close codes
        [0.05, -0.10, -0.30, -0.4],  # one code clears
        [-0.01, -0.02, -0.30, -0.4],  # none clears
        [0.40, 0.10, 0.05, 0.01],  # a clear winner, others over threshold too
    ]
)


def applied(rule: AcceptRule) -> list[list[int]]:
    return [np.flatnonzero(row).tolist() for row in accept_mask(MARGINS, rule)]


def test_threshold_applies_every_code_over_its_threshold_up_to_max_codes():
    assert applied(named_rule("threshold")) == [[0, 1, 2], [0], [], [0, 1, 2, 3]]
    assert applied(named_rule("threshold", max_codes=2)) == [[0, 1], [0], [], [0, 1]]


def test_top1_applies_the_best_code_only_and_none_below_its_threshold():
    assert applied(named_rule("top1")) == [[0], [0], [], [0]]


def test_margin_adds_codes_within_delta_of_the_best():
    assert applied(named_rule("margin", max_codes=3, delta=0.02)) == [[0, 1], [0], [], [0]]
    assert applied(named_rule("margin", max_codes=3, delta=0.5)) == [[0, 1, 2], [0], [], [0, 1, 2]]


def test_floor_and_min_gap_decide_none():
    assert applied(AcceptRule("learned", 1, 0.0, floor=0.1)) == [[0], [], [], [0]]
    # the best leads the runner-up by only 0.01 in the first unit: a close call gets NONE
    assert applied(AcceptRule("learned", 1, 0.0, min_gap=0.05)) == [[], [0], [], [0]]
    assert applied(AcceptRule("learned", 2, math.inf, floor=-0.015)) == [[0, 1], [0], [0], [0, 1]]


def test_bad_rules_are_errors():
    with pytest.raises(ClassifyError, match="unknown accept rule"):
        AcceptRule("most")
    with pytest.raises(ClassifyError, match="max_codes"):
        AcceptRule("margin", 0)


def test_the_accept_rule_changes_accepted_only(embedder, tiny_codebook, by_code):
    """Same coder, two rules: every suggestion (code, score, rank) is the same but ``accepted``."""
    texts = [t for ts in by_code.values() for t in ts] + ["茶园鱼塘教师直播", "无关的句子"]
    vectors = embedder.encode(texts)
    out = {}
    for accept in ("threshold", "top1"):
        settings = ClassifySettings(accept=accept, max_codes=4, threshold_z=0.0, top_k=4)
        coder = build_coder(settings, embedder, tiny_codebook, texts, vectors)
        out[accept] = suggest_levels(coder, texts, vectors)
    keys = [[(s.passage_id, s.code_id, round(s.score, 6), s.rank, s.level) for s in out[a]]
            for a in out]
    assert keys[0] == keys[1]
    accepted = [[s.accepted for s in out[a]] for a in out]
    assert accepted[0] != accepted[1]
    per_unit = {a: {} for a in out}
    for a, rows in out.items():
        for s in rows:
            if s.level == "initial" and s.accepted:
                per_unit[a][s.passage_id] = per_unit[a].get(s.passage_id, 0) + 1
    assert max(per_unit["top1"].values()) == 1
    assert max(per_unit["threshold"].values()) > 1


def test_main_level_is_accepted_exactly_when_a_child_is(embedder, tiny_codebook, by_code):
    texts = [t for ts in by_code.values() for t in ts] + ["茶园鱼塘"]
    vectors = embedder.encode(texts)
    coder = ZeroShotCoder(embedder, tiny_codebook, accept=named_rule("top1")).fit(vectors)
    initial = coder.score_table(texts, vectors)
    main = coder.score_table(texts, vectors, level="main")
    parent = {c: tiny_codebook.ancestor_at(c, "main").id for c in initial.code_ids}
    for i in range(len(texts)):
        kids = {parent[c] for c, a in zip(initial.code_ids, initial.accepted[i], strict=True) if a}
        mains = {c for c, a in zip(main.code_ids, main.accepted[i], strict=True) if a}
        assert kids == mains


def test_rank_is_ordered_by_margin_not_by_score(embedder, tiny_codebook, by_code):
    texts = [t for ts in by_code.values() for t in ts]
    vectors = embedder.encode(texts)
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=4).fit(vectors)
    table = coder.score_table(texts, vectors)
    rows = suggest_levels(coder, texts, vectors)
    for i, pid in enumerate(table.passage_ids):
        ranked = [s for s in rows if s.passage_id == pid and s.level == "initial"
                  and s.code_id != "NONE"]
        margins = [table.margins[i, table.code_ids.index(s.code_id)] for s in ranked]
        assert margins == sorted(margins, reverse=True)
