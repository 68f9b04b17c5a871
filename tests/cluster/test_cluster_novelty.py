from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.cluster import KnownDensityNovelty, find_candidates
from pipeline.cluster.adopt import nearest_main_category
from pipeline.codebook import load_codebook
from pipeline.errors import ClusterError
from tests.cluster.conftest import make_blobs
from tests.cluster.test_cluster_candidates import SETTINGS, _corpus, _prototypes


def _pool(seed: int = 0):
    """Known examples of themes 0-2; corpus passages of themes 0-3 (theme 3 is new)."""
    centers = np.eye(16)[:4]
    known, known_theme = make_blobs(centers[:3], per_blob=30, spread=0.15, seed=seed)
    corpus, corpus_theme = make_blobs(centers, per_blob=40, spread=0.15, seed=seed + 1)
    X = np.vstack([known, corpus])
    mask = np.r_[np.ones(len(known), bool), np.zeros(len(corpus), bool)]
    return X, mask, corpus_theme


def test_a_theme_without_known_examples_is_novel():
    X, mask, theme = _pool()
    rows = np.flatnonzero(~mask)
    model = KnownDensityNovelty(scales=(0.05, 0.1)).fit(X, mask, rows=rows)
    assert model.novelty_.shape == (len(rows),) and model.ks_ == (12, 25)
    assert model.known_share_ == pytest.approx(90 / 250)
    new = theme == 3
    assert roc_auc_score(new, model.novelty_) > 0.99
    assert model.novelty_[new].min() > 0.9  # no known example anywhere near
    assert 0.3 < np.median(model.novelty_[~new]) < 0.7  # about as many as expected


def test_density_novelty_scores_every_row_by_default_and_is_bounded():
    X, mask, _ = _pool(seed=2)
    model = KnownDensityNovelty().fit(X, mask)
    assert model.novelty_.shape == (len(X),)
    assert ((model.novelty_ >= 0) & (model.novelty_ <= 1)).all()
    again = KnownDensityNovelty().fit(X, mask)
    assert np.array_equal(model.novelty_, again.novelty_)


def test_density_novelty_needs_known_and_unknown_rows():
    X, mask, _ = _pool()
    with pytest.raises(ClusterError, match="both known examples and corpus passages"):
        KnownDensityNovelty().fit(X, np.ones(len(X), bool))
    with pytest.raises(ClusterError, match="does not match"):
        KnownDensityNovelty().fit(X, mask[:-1])


def _suggestions(passages, topics, coded_topics):
    return [
        Suggestion(
            p.id,
            "A13" if t in coded_topics else NO_CODE,
            0.9,
            1,
            "initial",
            "zero-shot",
            "m",
            accepted=t in coded_topics,
        )
        for p, t in zip(passages, topics, strict=True)
    ]


def test_candidates_carry_density_novelty_and_nearest_main_category():
    passages, vectors, _, topics = _corpus()
    protos, ids = _prototypes()
    # half of the solar and tea passages are coded; no livestreaming passage is
    coded_ids = {p.id for i, p in enumerate(passages) if topics[i] != "live" and i % 2 == 0}
    suggestions = [
        s for s in _suggestions(passages, topics, {"solar", "tea"}) if s.passage_id in coded_ids
    ]
    mains = np.zeros((2, 12))
    mains[0, 1], mains[1, 2] = 1.0, 1.0  # B10 near tea, B06 near livestreaming
    result = find_candidates(
        passages,
        vectors,
        protos,
        ids,
        SETTINGS,
        seed=0,
        suggestions=suggestions,
        main_prototypes=mains,
        main_ids=["B10", "B06"],
    )
    by_topic = {
        topics[[p.id for p in passages].index(c.passage_ids[0])]: c for c in result.candidates
    }
    assert set(by_topic) == {"solar", "tea", "live"}
    assert by_topic["live"].density_novelty > 0.9
    assert by_topic["live"].density_novelty > by_topic["solar"].density_novelty + 0.3
    assert by_topic["live"].nearest_main[0].code_id == "B06"
    assert by_topic["tea"].nearest_main[0].code_id == "B10"
    book = load_codebook(
        Path(__file__).resolve().parents[2] / "configs/codebooks/soe-assistance.yaml"
    )
    assert nearest_main_category(by_topic["live"], book) == "B06"
    without = find_candidates(passages, vectors, protos, ids, SETTINGS, seed=0)
    assert all(c.density_novelty is None and c.nearest_main == () for c in without.candidates)
