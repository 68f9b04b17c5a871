"""Label-prior shift: re-estimate a code's prevalence on unlabeled passages.

A supervised coder's calibrated probabilities reflect the share of passages with
the code in its *training* data. When the coded corpus has another share (a
different edition, another party's manifesto), :func:`estimate_prior` finds the
new share with the EM procedure of Saerens, Latinne & Decaestecker (2002) using
only the coder's probabilities on the unlabeled passages, and
:func:`adjust_probabilities` rescales the probabilities to it.
"""

from __future__ import annotations

import numpy as np


def adjust_probabilities(probs: np.ndarray, train_prior: float, new_prior: float) -> np.ndarray:
    """Posterior probabilities under ``new_prior`` instead of ``train_prior`` (Bayes rule)."""
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-9, 1 - 1e-9)
    pos = probs * new_prior / train_prior
    neg = (1 - probs) * (1 - new_prior) / (1 - train_prior)
    return pos / (pos + neg)


def estimate_prior(
    probs: np.ndarray, train_prior: float, max_iter: int = 200, tol: float = 1e-7
) -> float:
    """EM estimate of the share of positives among the passages behind ``probs``."""
    prior = float(train_prior)
    for _ in range(max_iter):
        updated = float(adjust_probabilities(probs, train_prior, prior).mean())
        if abs(updated - prior) < tol:
            return updated
        prior = updated
    return prior


MIN_PASSAGES = 20  # a document with fewer passages keeps the training prior


def shift_per_group(
    probs: np.ndarray, groups: np.ndarray, train_prior: float, min_size: int = MIN_PASSAGES
) -> tuple[np.ndarray, dict[str, float]]:
    """Each group's probabilities rescaled to its own EM-estimated prior.

    Returns the rescaled probabilities (float64, in row order) and the prior
    used per group. A group of fewer than ``min_size`` rows is left as it is
    (prior = ``train_prior``): EM on a handful of passages runs to 0 or 1 and
    would push every passage of a short document to an extreme.
    """
    probs = np.asarray(probs, dtype=np.float64)
    groups = np.asarray(groups)
    out, priors = probs.copy(), {}
    for name in np.unique(groups):
        rows = groups == name
        if rows.sum() < min_size:
            priors[str(name)] = float(train_prior)
            continue
        priors[str(name)] = estimate_prior(probs[rows], train_prior)
        out[rows] = adjust_probabilities(probs[rows], train_prior, priors[str(name)])
    return out, priors
