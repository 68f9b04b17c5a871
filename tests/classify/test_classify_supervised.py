"""SupervisedCoder: learns from codings, falls back per code, checks its labels."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify import FALLBACK, SupervisedCoder, ZeroShotCoder
from pipeline.classify.supervised import cv_folds
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


# ------------------------------------------------------------ text features, groups
FILLER = "river stone cloud paper lamp field market window garden bridge".split()


@pytest.fixture(scope="module")
def marked():
    """Passages whose code shows only in a marker word, with uninformative vectors.

    I1 passages say "alpha", I3 passages say "omega", the rest neither; the
    vectors are random, so only the text can tell the codes apart.
    """
    rng = np.random.default_rng(0)
    texts, labels, groups = [], [], []
    for i in range(36):
        words = list(rng.choice(FILLER, 4))
        marker, codes = [("alpha", {"I1"}), ("omega", {"I3"}), (None, set())][i % 3]
        if marker:
            words.insert(int(rng.integers(0, 5)), marker)
        texts.append(" ".join(words))
        labels.append(codes)
        groups.append(f"doc{i // 4}")  # 9 documents of 4 passages
    vectors = rng.normal(size=(len(texts), 512)).astype(np.float32)
    return texts, labels, vectors, np.asarray(groups)


def _text_coder(embedder, tiny_codebook, **kw):
    kw = {"min_examples_per_code": 3, "text_weights": (0.0, 1.0), "Cs": (0.1, 1.0), **kw}
    return SupervisedCoder(embedder, tiny_codebook, **kw)


@pytest.fixture(scope="module")
def text_coder(embedder, tiny_codebook, marked):
    texts, labels, vectors, _ = marked
    return _text_coder(embedder, tiny_codebook, top_k=1).fit(texts, labels, vectors=vectors)


def test_cv_chooses_text_features_when_only_the_text_is_informative(text_coder):
    coder = text_coder
    assert coder.hyper_.text_weight == 1.0 and coder.uses_text_
    assert coder.cv_metrics_["I1"]["f1"] > 0.9 and coder.cv_metrics_["I3"]["f1"] > 0.9
    new = ["paper alpha lamp", "omega market field", "bridge garden stone"]
    rng = np.random.default_rng(1)
    scores = coder.decision_scores(rng.normal(size=(3, 512)).astype(np.float32), new)
    i1, i3 = coder.code_ids_.index("I1"), coder.code_ids_.index("I3")
    assert scores[0, i1] > coder.thresholds_[i1] > scores[2, i1]
    assert scores[1, i3] > coder.thresholds_[i3] > scores[2, i3]
    assert scores[0, i1] > scores[1, i1] and scores[1, i3] > scores[0, i3]


def test_without_text_weights_the_coder_ignores_text(embedder, tiny_codebook, marked):
    texts, labels, vectors, _ = marked
    coder = SupervisedCoder(embedder, tiny_codebook, min_examples_per_code=3)
    coder.fit(texts, labels, vectors=vectors)
    assert coder.hyper_.text_weight == 0.0 and not coder.uses_text_
    assert coder.cv_metrics_["I1"]["f1"] < 0.9  # random vectors: no signal without the text
    np.testing.assert_array_equal(
        coder.decision_scores(vectors), coder.decision_scores(vectors, texts)
    )


def test_suggest_passes_the_texts_to_a_text_coder(text_coder, marked):
    texts, _, vectors, _ = marked
    coder = text_coder
    table = coder.score_table(texts, vectors)
    np.testing.assert_array_equal(table.scores, coder.decision_scores(vectors, texts))
    top = [s.code_id for s in coder.suggest(texts[:3], vectors[:3])]
    assert top[:2] == ["I1", "I3"]


def test_text_coder_refuses_vectors_without_texts(text_coder, marked):
    texts, _, vectors, _ = marked
    coder = text_coder
    with pytest.raises(ClassifyError, match="only vectors"):
        coder.decision_scores(vectors)
    with pytest.raises(ClassifyError, match="only vectors"):
        coder.suggest(vectors)
    with pytest.raises(ClassifyError, match="2 texts but 36 vectors"):
        coder.decision_scores(vectors, texts[:2])


def test_text_features_need_texts_to_fit(embedder, tiny_codebook, marked):
    _, labels, vectors, _ = marked
    with pytest.raises(ClassifyError, match="only vectors were given"):
        _text_coder(embedder, tiny_codebook).fit(vectors, labels)


@pytest.mark.parametrize("weights", [(), (0.0, -1.0)])
def test_text_weights_are_checked(embedder, tiny_codebook, labelled, weights):
    with pytest.raises(ClassifyError, match="text_weights"):
        SupervisedCoder(embedder, tiny_codebook, text_weights=weights).fit(*labelled)


def test_text_coder_is_deterministic(embedder, tiny_codebook, marked):
    texts, labels, vectors, groups = marked
    runs = [
        _text_coder(embedder, tiny_codebook, random_state=3)
        .fit(texts, labels, vectors=vectors, groups=groups)
        .decision_scores(vectors, texts)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_groups_must_match_the_passages(embedder, tiny_codebook, marked):
    texts, labels, vectors, groups = marked
    coder = _text_coder(embedder, tiny_codebook)
    with pytest.raises(ClassifyError, match="groups of shape"):
        coder.fit(texts, labels, vectors=vectors, groups=groups[:-1])
    with pytest.raises(ClassifyError, match="groups of shape"):
        coder.fit(texts, labels, vectors=vectors, groups="doc1")


def test_fit_records_the_number_of_groups(embedder, tiny_codebook, marked, text_coder):
    texts, labels, vectors, groups = marked
    coder = _text_coder(embedder, tiny_codebook).fit(texts, labels, vectors=vectors, groups=groups)
    assert coder.cv_groups_ == 9
    assert coder.cv_metrics_["I1"]["f1"] > 0.9  # unseen documents: the marker still works
    assert text_coder.cv_groups_ == 0  # fitted without groups


def test_group_folds_keep_each_group_in_one_fold():
    y = np.zeros(40, dtype=bool)
    y[[0, 6, 11, 12, 17, 23, 24, 31, 33, 38]] = True
    groups = np.repeat(np.arange(8), 5)
    folds = cv_folds(y, 5, 0, groups)
    assert len(folds) == 5
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert y[train].any() and not y[train].all()
    assert sorted(np.concatenate([test for _, test in folds])) == list(range(40))


def test_group_folds_fall_back_to_passages_when_positives_sit_in_one_group():
    y = np.zeros(40, dtype=bool)
    y[:4] = True  # all in group 0
    groups = np.repeat(np.arange(8), 5)
    folds = cv_folds(y, 5, 0, groups)
    assert len(folds) == 4  # stratified by passage: at most one fold per positive
    assert any(set(groups[train]) & set(groups[test]) for train, test in folds)
    assert all(y[test].sum() == 1 for _, test in folds)


def test_out_of_fold_scores_match_the_cv_metrics(embedder, tiny_codebook, labelled):
    texts, labels = labelled
    labels = [codes - {"I4"} for codes in labels]
    coder = SupervisedCoder(embedder, tiny_codebook, min_examples_per_code=3).fit(texts, labels)
    assert coder.oof_scores_.shape == (len(texts), 4)
    assert np.isnan(coder.oof_scores_[:, 3]).all()  # I4 falls back: no out-of-fold scores
    for j, code in enumerate(("I1", "I2", "I3")):
        truth = np.array([code in c for c in labels])
        pred = coder.oof_scores_[:, j] >= coder.thresholds_[j]
        tp = (pred & truth).sum()
        assert tp / truth.sum() == pytest.approx(coder.cv_metrics_[code]["recall"])
        assert tp / pred.sum() == pytest.approx(coder.cv_metrics_[code]["precision"])
