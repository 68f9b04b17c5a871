"""Prior-shift EM recovers a changed prevalence from calibrated probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify.prior import adjust_probabilities, estimate_prior


def _calibrated_probs(prior: float, n: int, seed: int) -> np.ndarray:
    """Probabilities of a calibrated model trained at prior 0.1, on data with ``prior``."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prior
    score = rng.normal(np.where(y, 1.5, -1.5), 1.0)  # equal-variance Gaussian classes
    log_odds = 3.0 * score + np.log(0.1 / 0.9)  # exact posterior at training prior 0.1
    return 1 / (1 + np.exp(-log_odds))


@pytest.mark.parametrize("true_prior", [0.05, 0.1, 0.3])
def test_em_recovers_the_new_prior(true_prior):
    probs = _calibrated_probs(true_prior, 20000, seed=1)
    assert estimate_prior(probs, 0.1) == pytest.approx(true_prior, abs=0.015)


def test_adjustment_is_identity_at_same_prior_and_monotone():
    probs = np.array([0.01, 0.2, 0.5, 0.9])
    np.testing.assert_allclose(adjust_probabilities(probs, 0.2, 0.2), probs, atol=1e-9)
    higher = adjust_probabilities(probs, 0.1, 0.3)
    assert np.all(higher > probs) and np.all(np.diff(higher) > 0)


# ---------------------------------------------------------------- the coder's per-document shift
def _docs(prevalences, n: int = 60, seed: int = 0, start: int = 0):
    """Documents of ``n`` passages; a share ``prevalence`` of each is coded I1. Positives
    lie along one direction of the vector space with heavy overlap, so a coder errs in
    both directions and a document's prevalence matters."""
    from pipeline.segment import Passage

    rng = np.random.default_rng(seed)
    direction = np.zeros(512, dtype=np.float32)
    direction[:8] = 1.0
    passages, labels, vectors = [], [], []
    for d, prevalence in enumerate(prevalences, start=start):
        y = np.arange(n) < round(prevalence * n)
        for i in range(n):
            passages.append(Passage(id=f"d{d}:{i}", doc_id=f"d{d}", start=i, end=i + 1,
                                    text=f"p{i}", lang="en", paragraph=0))
            labels.append({"I1"} if y[i] else set())
            vectors.append(rng.normal(size=512) * 0.35 + (0.45 if y[i] else 0.0) * direction)
    return passages, labels, np.asarray(vectors, dtype=np.float32)


TRAIN_PREVALENCES = [0.05, 0.5, 0.1, 0.4, 0.05, 0.5, 0.1, 0.4, 0.05, 0.5]


@pytest.fixture(scope="module")
def shift_coders(embedder, tiny_codebook):
    from pipeline.classify import SupervisedCoder

    passages, labels, vectors = _docs(TRAIN_PREVALENCES)
    groups = [p.doc_id for p in passages]
    kw = {"Cs": (0.1,), "embedding_weights": (1.0,)}
    plain = SupervisedCoder(embedder, tiny_codebook, **kw).fit(passages, labels, vectors,
                                                              groups=groups)
    shifted = SupervisedCoder(embedder, tiny_codebook, prior_shift="per-document", **kw)
    shifted.fit(passages, labels, vectors, groups=groups)
    return plain, shifted, (passages, labels, vectors, groups)


def test_thresholds_are_chosen_on_the_per_document_rescaled_out_of_fold_scores(shift_coders):
    from pipeline.classify.prior import shift_per_group
    from pipeline.classify.supervised import best_threshold

    plain, shifted, (_, labels, _, groups) = shift_coders
    j = shifted.code_ids_.index("I1")
    y = np.array(["I1" in codes for codes in labels])
    prior = shifted.train_priors_["I1"]
    assert prior == pytest.approx(y.mean())
    expected = shift_per_group(plain.oof_scores_[:, j], np.asarray(groups), prior)[0]
    np.testing.assert_allclose(shifted.oof_scores_[:, j], expected, atol=1e-6)
    assert shifted.thresholds_[j] == pytest.approx(best_threshold(expected, y)[0], abs=1e-6)
    assert shifted.thresholds_[j] != pytest.approx(plain.thresholds_[j], abs=1e-4)
    # documents that differ in prevalence are coded better when each keeps its own
    assert shifted.cv_metrics_["I1"]["f1"] > plain.cv_metrics_["I1"]["f1"] + 0.02


def test_a_document_without_the_code_gets_fewer_false_positives(shift_coders):
    plain, shifted, _ = shift_coders
    passages, labels, vectors = _docs([0.0, 0.6], seed=5, start=100)
    j = plain.code_ids_.index("I1")
    y = np.array(["I1" in codes for codes in labels])
    absent = np.array([p.doc_id == "d100" for p in passages])
    flags = {}
    for name, coder in (("plain", plain), ("shifted", shifted)):
        table = coder.score_table(passages, vectors)
        flags[name] = table.margins[:, j] >= 0
    false_pos = {k: int((v & absent & ~y).sum()) for k, v in flags.items()}
    hits = {k: int((v & ~absent & y).sum()) for k, v in flags.items()}
    assert false_pos["plain"] >= 3  # the unshifted coder codes the absent code's document
    assert false_pos["shifted"] <= false_pos["plain"] // 2
    assert hits["shifted"] >= hits["plain"] - 2  # at little cost where the code is common


def test_a_documents_scores_do_not_depend_on_the_other_documents_scored_with_it(shift_coders):
    from pipeline.classify.prior import MIN_PASSAGES

    plain, shifted, _ = shift_coders
    passages, _, vectors = _docs([0.0, 0.6], seed=5, start=100)
    both = shifted.score_table(passages, vectors).scores
    first = shifted.score_table(passages[:60], vectors[:60]).scores
    np.testing.assert_allclose(first, both[:60], atol=1e-7)
    # a document shorter than MIN_PASSAGES keeps the training prior: the plain coder's scores
    short = slice(60, 60 + MIN_PASSAGES - 1)
    np.testing.assert_allclose(shifted.score_table(passages[short], vectors[short]).scores,
                               plain.score_table(passages[short], vectors[short]).scores,
                               atol=1e-6)


def test_the_shift_needs_documents(embedder, tiny_codebook, shift_coders):
    from pipeline.classify import SupervisedCoder
    from pipeline.errors import ClassifyError

    _, shifted, (passages, labels, vectors, _) = shift_coders
    with pytest.raises(ClassifyError, match="needs the document of each training passage"):
        SupervisedCoder(embedder, tiny_codebook, prior_shift="per-document").fit(
            passages, labels, vectors)
    with pytest.raises(ClassifyError, match="prior_shift must be"):
        SupervisedCoder(embedder, tiny_codebook, prior_shift="global").fit(
            passages, labels, vectors, groups=[p.doc_id for p in passages])
    with pytest.raises(ClassifyError, match="give the document of each row"):
        shifted.decision_scores(vectors)
    with pytest.raises(ClassifyError, match="name no document"):
        shifted.score_table([p.text for p in passages], vectors)
    with pytest.raises(ClassifyError, match="name no document"):
        shifted.score_table(vectors)


def test_the_shift_is_recorded_saved_and_reached_from_the_run_config(
    embedder, tiny_codebook, shift_coders, tmp_path
):
    import json

    from pipeline.classify import load_coder, save_coder
    from pipeline.classify.run import build_coder
    from pipeline.classify.settings import ClassifySettings

    plain, shifted, (passages, labels, vectors, _) = shift_coders
    folder = save_coder(shifted, tmp_path)
    card = json.loads((folder / "model_card.json").read_text())
    assert card["prior_shift"] == "per-document"
    assert card["training_priors"]["I1"] == pytest.approx(shifted.train_priors_["I1"], abs=1e-6)
    assert "prior shift: per-document" in (folder / "MODEL_CARD.md").read_text()
    loaded = load_coder(folder, embedder, tiny_codebook)
    np.testing.assert_array_equal(loaded.score_table(passages, vectors).scores,
                                  shifted.score_table(passages, vectors).scores)
    codings = {p.id: codes for p, codes in zip(passages, labels, strict=True)}
    settings = ClassifySettings(method="supervised", prior_shift="per-document")
    built = build_coder(settings, embedder, tiny_codebook, passages, vectors, codings)
    assert built.shifts_prior_ and not plain.shifts_prior_
    assert json.loads((save_coder(plain, tmp_path) / "model_card.json").read_text())[
        "prior_shift"] == "none"


def test_the_shortest_shifted_document_is_a_setting(embedder, tiny_codebook, shift_coders):
    from pydantic import ValidationError

    from pipeline.classify import SupervisedCoder
    from pipeline.classify.run import build_coder
    from pipeline.classify.settings import ClassifySettings
    from pipeline.errors import ClassifyError

    plain, shifted, (passages, labels, vectors, groups) = shift_coders
    codings = {p.id: codes for p, codes in zip(passages, labels, strict=True)}
    settings = ClassifySettings(method="supervised", prior_shift="per-document",
                                prior_shift_min_passages=10)
    coder = build_coder(settings, embedder, tiny_codebook, passages, vectors, codings)
    assert coder.prior_shift_min_passages == 10
    new, _, new_vectors = _docs([0.0], n=19, seed=5, start=200)  # under 20, over 10
    j = coder.code_ids_.index("I1")
    default = shifted.score_table(new, new_vectors).scores[:, j]
    np.testing.assert_allclose(default, plain.score_table(new, new_vectors).scores[:, j],
                               atol=1e-6)  # 19 < 20: left as it is
    ten = SupervisedCoder(embedder, tiny_codebook, prior_shift="per-document",
                          prior_shift_min_passages=10, Cs=(0.1,), embedding_weights=(1.0,))
    ten.fit(passages, labels, vectors, groups=groups)
    np.testing.assert_array_equal(ten.thresholds_, shifted.thresholds_)  # training docs: 60
    short = ten.score_table(new, new_vectors).scores[:, j]
    assert short.mean() < default.mean() - 0.01  # shifted towards the absent code's share
    with pytest.raises(ValidationError, match="prior_shift_min_passages"):
        ClassifySettings(prior_shift_min_passages=0)
    with pytest.raises(ClassifyError, match="prior_shift_min_passages must be >= 1"):
        SupervisedCoder(embedder, tiny_codebook, prior_shift="per-document",
                        prior_shift_min_passages=0).fit(passages, labels, vectors, groups=groups)
