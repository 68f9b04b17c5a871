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
