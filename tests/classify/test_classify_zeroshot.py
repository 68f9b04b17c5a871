"""ZeroShotCoder with the test embedder: ranking, thresholds, NO_CODE, levels."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify import NO_CODE, ZeroShotCoder, refine_prototypes, uncertainty
from pipeline.errors import NotFittedError
from pipeline.segment.passage import Passage


def test_each_passage_ranks_its_own_code_first(embedder, tiny_codebook, by_code):
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=4, thresholds=-1.0).fit()
    for code, texts in by_code.items():
        firsts = [s.code_id for s in coder.suggest(texts) if s.rank == 1]
        assert firsts == [code] * len(texts)


def test_suggestions_are_top_k_ranked_by_score(embedder, tiny_codebook):
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=3, thresholds=-1.0).fit()
    out = coder.suggest(["茶园采茶"])
    assert [s.rank for s in out] == [1, 2, 3]
    scores = [s.score for s in out]
    assert scores == sorted(scores, reverse=True)
    assert all(s.accepted and s.method == "zero-shot" and s.level == "initial" for s in out)


def test_passage_objects_keep_their_ids(embedder, tiny_codebook):
    passage = Passage("doc:0-4", "doc", 0, 4, "鱼塘养鱼", "zh", 0)
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=1).fit()
    assert {s.passage_id for s in coder.suggest([passage])} == {"doc:0-4"}


def test_no_code_when_nothing_clears_its_threshold(embedder, tiny_codebook):
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=2, thresholds=0.99).fit()
    out = coder.suggest(["完全无关的句子 xyz"])
    assert out[0].code_id == NO_CODE and out[0].rank == 1 and out[0].accepted
    assert [s.rank for s in out[1:]] == [2, 3]
    assert not any(s.accepted for s in out[1:])


def test_per_code_thresholds_override_calibration(embedder, tiny_codebook):
    coder = ZeroShotCoder(embedder, tiny_codebook, thresholds={"I1": 0.0}).fit()
    assert coder.thresholds_[coder.code_ids_.index("I1")] == 0.0
    assert coder.thresholds_[coder.code_ids_.index("I2")] > 0.0


def test_calibrated_thresholds_separate_on_corpus(embedder, tiny_codebook, by_code):
    corpus = [t for ts in by_code.values() for t in ts]
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=4, z=0.5).fit(corpus)
    accepted = {(s.passage_id, s.code_id) for s in coder.suggest(corpus) if s.accepted}
    gold = {(str(i), c) for i, c in enumerate(c for c, ts in by_code.items() for _ in ts)}
    assert gold <= accepted
    assert len(accepted) < len(corpus) * 2  # not everything clears


def test_main_level_is_consistent_with_initial_level(embedder, tiny_codebook, by_code):
    corpus = [t for ts in by_code.values() for t in ts] + ["无关文本", "茶园直播带货"]
    coder = ZeroShotCoder(embedder, tiny_codebook, top_k=4, z=0.5).fit(corpus)
    initial = coder.suggest(corpus)
    main = coder.suggest(corpus, level="main")
    for pid in {s.passage_id for s in initial}:
        expected = {
            tiny_codebook.get(s.code_id).parent
            for s in initial
            if s.passage_id == pid and s.accepted and s.code_id != NO_CODE
        }
        got = {s.code_id for s in main if s.passage_id == pid and s.accepted}
        assert got == (expected or {NO_CODE})
    assert {s.level for s in main} == {"main"}


def test_fit_at_main_level_scores_main_codes(embedder, tiny_codebook):
    coder = ZeroShotCoder(embedder, tiny_codebook, level="main", top_k=1, thresholds=-1).fit()
    assert coder.code_ids_ == ("M1", "M2")
    assert coder.suggest(["教师培训"])[0].code_id == "M2"


def test_decision_scores_are_cosines(embedder, tiny_codebook):
    coder = ZeroShotCoder(embedder, tiny_codebook).fit()
    vectors = embedder.encode(["茶园", "鱼塘"])
    scores = coder.decision_scores(vectors)
    assert scores.shape == (2, 4)
    assert np.all(scores <= 1.0 + 1e-6) and np.all(scores >= -1.0 - 1e-6)
    np.testing.assert_allclose(np.linalg.norm(coder.prototypes_, axis=1), 1.0, atol=1e-5)


def test_use_before_fit_is_not_fitted_error(embedder, tiny_codebook):
    coder = ZeroShotCoder(embedder, tiny_codebook)
    with pytest.raises(NotFittedError, match="ZeroShotCoder"):
        coder.suggest(["茶园"])
    with pytest.raises(NotFittedError):
        coder.decision_scores(np.zeros((1, embedder.dim), dtype=np.float32))


def test_uncertainty_orders_close_calls_first():
    scores = np.array([[0.9, 0.1, 0.0], [0.5, 0.49, 0.1], [0.3, 0.3, 0.3]])
    values = uncertainty(scores)
    assert values[2] == pytest.approx(1.0)
    assert values[0] < values[1] < values[2]


def test_refinement_moves_prototypes_towards_confident_passages():
    prototypes = np.eye(2, 3, dtype=np.float32)
    cluster = np.array([[0.8, 0.0, 0.6], [0.8, 0.1, 0.59]], dtype=np.float32)
    refined = refine_prototypes(prototypes, cluster, rounds=2, anchor=1.0)
    assert refined[0, 2] > 0.2  # pulled towards the data
    np.testing.assert_array_equal(refined[1], prototypes[1])  # no passage assigned
    np.testing.assert_allclose(np.linalg.norm(refined, axis=1), 1.0, atol=1e-6)


def test_max_child_scores_a_category_by_its_best_subcategory(embedder, tiny_codebook):
    corpus = ["茶园采茶", "教师培训", "鱼塘直播"]
    vectors = embedder.encode(corpus)
    initial = ZeroShotCoder(embedder, tiny_codebook).fit().decision_scores(vectors)
    own = ZeroShotCoder(embedder, tiny_codebook, level="main").fit().decision_scores(vectors)
    best = ZeroShotCoder(embedder, tiny_codebook, level="main", parent_score="max-child").fit()
    scores = best.decision_scores(vectors)
    expected = np.maximum(own, np.stack([initial[:, :2].max(1), initial[:, 2:].max(1)], axis=1))
    np.testing.assert_allclose(scores, expected, atol=1e-6)


def test_centering_uses_the_corpus_mean(embedder, tiny_codebook, by_code):
    corpus = [t for ts in by_code.values() for t in ts]
    plain = ZeroShotCoder(embedder, tiny_codebook).fit(corpus)
    centered = ZeroShotCoder(embedder, tiny_codebook, center=True).fit(corpus)
    vectors = embedder.encode(corpus)
    np.testing.assert_allclose(centered.mean_, vectors.mean(axis=0), atol=1e-6)
    assert not np.allclose(plain.decision_scores(vectors), centered.decision_scores(vectors))
    gold = [code for code, ts in by_code.items() for _ in ts]
    assert list(np.array(centered.code_ids_)[centered.decision_scores(vectors).argmax(1)]) == gold
