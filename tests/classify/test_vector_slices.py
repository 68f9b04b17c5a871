"""VectorSlices: a coder calibrated slice by slice equals one calibrated on one array."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.classify import ZeroShotCoder
from pipeline.embed.slices import VectorSlices
from tests.classify.conftest import PASSAGES


def _corpus() -> list[str]:
    texts = [t for ts in PASSAGES.values() for t in ts]
    return texts + [a + b for a in texts[:6] for b in texts[6:9]]  # 30 texts


class _Recorder:
    def __init__(self, embedder) -> None:
        self.embedder, self.calls = embedder, []

    def __call__(self, rows):
        self.calls.append(len(rows))
        return self.embedder.encode(list(rows))


def test_slices_embed_at_most_size_rows_per_call(embedder):
    texts = _corpus()
    record = _Recorder(embedder)
    slices = VectorSlices(texts, record, size=8)
    parts = list(slices)
    assert record.calls == [8, 8, 8, 6]
    np.testing.assert_array_equal(np.concatenate(parts), embedder.encode(texts))
    np.testing.assert_array_equal(slices.materialize(), embedder.encode(texts))
    with pytest.raises(ValueError, match="at least 1"):
        VectorSlices(texts, record, size=0)


def test_mean_of_one_slice_is_the_array_mean_exactly(embedder):
    texts = _corpus()
    whole = embedder.encode(texts)
    assert np.array_equal(VectorSlices(texts, embedder.encode, size=100).mean(),
                          whole.mean(axis=0))
    sliced = VectorSlices(texts, embedder.encode, size=7).mean()
    assert sliced.dtype == np.float32
    np.testing.assert_allclose(sliced, whole.mean(axis=0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("z", [0.5, 1.5])
def test_zero_shot_fit_on_slices_matches_fit_on_the_array(embedder, tiny_codebook, z):
    texts = _corpus()
    whole = embedder.encode(texts)
    ref = ZeroShotCoder(embedder, tiny_codebook, top_k=3, z=z, center=True).fit(whole)
    record = _Recorder(embedder)
    sliced = ZeroShotCoder(embedder, tiny_codebook, top_k=3, z=z, center=True).fit(
        VectorSlices(texts, record, size=7))
    assert max(record.calls) == 7  # never more than a slice at once
    np.testing.assert_allclose(sliced.mean_, ref.mean_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(sliced.thresholds_, ref.thresholds_, rtol=1e-5, atol=1e-6)
    assert sliced.code_ids_ == ref.code_ids_ and sliced.model_id_ == ref.model_id_
    got = [(s.passage_id, s.code_id, s.rank, s.accepted) for s in sliced.suggest(texts)]
    want = [(s.passage_id, s.code_id, s.rank, s.accepted) for s in ref.suggest(texts)]
    assert got == want


def test_one_slice_and_refinement_fit_exactly_as_on_the_array(embedder, tiny_codebook):
    texts = _corpus()
    whole = embedder.encode(texts)
    for kwargs, size in (({}, 100), ({"refine_rounds": 2}, 7)):
        ref = ZeroShotCoder(embedder, tiny_codebook, z=1.0, center=True, **kwargs).fit(whole)
        got = ZeroShotCoder(embedder, tiny_codebook, z=1.0, center=True, **kwargs).fit(
            VectorSlices(texts, embedder.encode, size=size))
        assert np.array_equal(got.thresholds_, ref.thresholds_)
        assert np.array_equal(got.prototypes_, ref.prototypes_)
        assert np.array_equal(got.mean_, ref.mean_)


def test_given_thresholds_are_kept_when_fitting_on_slices(embedder, tiny_codebook):
    texts = _corpus()
    slices = VectorSlices(texts, embedder.encode, size=5)
    coder = ZeroShotCoder(embedder, tiny_codebook, thresholds={"I1": 0.25}).fit(slices)
    assert coder.thresholds_[coder.code_ids_.index("I1")] == np.float32(0.25)
    assert coder.thresholds_[coder.code_ids_.index("I2")] != np.float32(0.25)
    flat = ZeroShotCoder(embedder, tiny_codebook, thresholds=0.3).fit(slices)
    assert np.all(flat.thresholds_ == np.float32(0.3))


@pytest.mark.parametrize("sizes", [[500], [1, 499], [7, 0, 93, 400], [250, 250]])
def test_thresholds_from_score_slices_equal_thresholds_from_all_scores(sizes):
    from pipeline.classify import calibrate_thresholds
    from pipeline.classify.scoring import calibrate_thresholds_slices

    rng = np.random.default_rng(3)
    scores = (0.3 + 0.05 * rng.standard_normal((500, 12))).astype(np.float32)
    scores[:, 4] += 10.0  # a large offset: a naive sum-of-squares variance would drift
    bounds = np.cumsum([0, *sizes])
    parts = [scores[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    for z in (0.0, 1.0, 2.5):
        got = calibrate_thresholds_slices(iter(parts), z)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, calibrate_thresholds(scores, z), rtol=1e-6)
    with pytest.raises(ValueError, match="no scores"):
        calibrate_thresholds_slices(iter([]), 1.0)
