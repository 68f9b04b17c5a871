"""SupervisedCoder: learns from codings, falls back per code, checks its labels."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify import FALLBACK, SupervisedCoder, ZeroShotCoder
from pipeline.errors import ClassifyError, NotFittedError

SWAP = {"I1": "I2", "I2": "I1", "I3": "I3", "I4": "I4"}


def _swapped(labelled):
    texts, labels = labelled
    return texts, [{SWAP[c] for c in codes} for codes in labels]


def test_learns_the_human_coding_not_the_prototypes(embedder, tiny_codebook, labelled):
    texts, labels = _swapped(labelled)  # humans code tea passages as fish ponds and back
    coder = SupervisedCoder(embedder, tiny_codebook, top_k=2, min_examples_per_code=3)
    coder.fit(texts, labels)
    held_out = ["茶园采茶很忙", "鱼塘养鱼增收"]
    top = [s.code_id for s in coder.suggest(held_out) if s.rank == 1]
    zero = ZeroShotCoder(embedder, tiny_codebook, top_k=1, thresholds=-1).fit()
    assert [s.code_id for s in zero.suggest(held_out)] == ["I1", "I2"]
    assert top == ["I2", "I1"]
    assert set(coder.methods_) == {"supervised"}


def test_scores_are_probabilities_with_cv_thresholds(embedder, tiny_codebook, labelled):
    coder = SupervisedCoder(embedder, tiny_codebook, min_examples_per_code=3).fit(*labelled)
    scores = coder.decision_scores(embedder.encode(labelled[0]))
    assert np.all((scores >= 0) & (scores <= 1))
    assert np.all((coder.thresholds_ > 0) & (coder.thresholds_ < 1))
    assert set(coder.cv_metrics_) == {"I1", "I2", "I3", "I4"}
    assert all(0 <= m["f1"] <= 1 for m in coder.cv_metrics_.values())
    assert coder.C_ in coder.Cs


def test_rare_code_falls_back_to_zero_shot(embedder, tiny_codebook, labelled):
    texts, labels = labelled
    labels = [codes - {"I4"} for codes in labels]  # nobody coded I4
    coder = SupervisedCoder(embedder, tiny_codebook, top_k=4, min_examples_per_code=3)
    coder.fit(texts, labels)
    assert coder.fallback_codes_ == ("I4",)
    methods = {s.code_id: s.method for s in coder.suggest(["直播带货"])}
    assert methods["I4"] == FALLBACK and methods["I1"] == "supervised"
    assert coder.label_counts_["I4"] == 0 and coder.label_counts_["I1"] == 3


def test_same_seed_same_model(embedder, tiny_codebook, labelled):
    vectors = embedder.encode(labelled[0])
    runs = [
        SupervisedCoder(embedder, tiny_codebook, min_examples_per_code=3, random_state=7)
        .fit(*labelled)
        .decision_scores(vectors)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_initial_labels_train_a_main_level_coder(embedder, tiny_codebook, labelled):
    coder = SupervisedCoder(embedder, tiny_codebook, level="main", min_examples_per_code=3)
    coder.fit(*labelled)
    assert coder.label_counts_ == {"M1": 6, "M2": 6}


def test_unknown_code_in_labels_names_it(embedder, tiny_codebook, labelled):
    texts, labels = labelled
    bad = [*labels[:-1], {"Z9"}]
    with pytest.raises(ClassifyError, match="Z9") as info:
        SupervisedCoder(embedder, tiny_codebook).fit(texts, bad)
    assert f"training passage {len(texts) - 1}" in str(info.value)


def test_label_count_must_match(embedder, tiny_codebook, labelled):
    with pytest.raises(ClassifyError, match="label sets"):
        SupervisedCoder(embedder, tiny_codebook).fit(labelled[0], labelled[1][:-1])


def test_not_fitted(embedder, tiny_codebook):
    coder = SupervisedCoder(embedder, tiny_codebook)
    with pytest.raises(NotFittedError):
        coder.suggest(["茶园"])
    with pytest.raises(NotFittedError):
        _ = coder.fallback_codes_
