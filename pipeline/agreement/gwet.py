"""Point estimates of the Gwet-family coefficients (Gwet 2014, the formulas of irrCAC).

Every coefficient is ``(pa - pe) / (1 - pe)``; the functions here return ``pa`` and
``pe`` from a units x categories count matrix and a q x q agreement-weight matrix,
vectorized over bootstrap resamples (``unit_weights``: resamples x units
multiplicities, ``None`` = the data once). They are the same numbers irrCAC prints
(checked on random matrices by ``tests/agreement/test_agreement_reference_property.py``)
but never divide by zero: a degenerate input gives NaN or ``pe == 1``, which the
caller turns into an undefined estimate with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.agreement.values import count_matrix

POINT_METHODS = ("pa", "fleiss", "gwet", "bp", "krippendorff")


def weight_matrix(weights: str | np.ndarray, categories: Sequence) -> np.ndarray:
    """A q x q agreement-weight matrix: a name known to irrCAC (numeric categories
    weigh by value, text labels by rank in the given order) or a matrix."""
    if isinstance(weights, str):
        from irrCAC.weights import Weights

        if len(categories) < 2:
            return np.eye(len(categories))
        return np.asarray(Weights(list(categories))[weights], dtype=float)
    matrix = np.asarray(weights, dtype=float)
    q = len(categories)
    if matrix.shape != (q, q):
        raise ValueError(f"the weights must be a {q} x {q} matrix (one row per category)")
    return matrix


def components(
    counts: np.ndarray,
    method: str,
    weights: np.ndarray,
    unit_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(pa, pe), one value per resample, for ``method`` in :data:`POINT_METHODS`."""
    if method == "krippendorff":
        return _alpha_components(counts, weights, unit_weights)
    q = counts.shape[1]
    r = counts.sum(axis=1)
    rated = r >= 1
    counts, r = counts[rated], r[rated]
    w = np.ones((1, len(r))) if unit_weights is None else unit_weights[:, rated]
    pair = r >= 2
    agree = (counts * (counts @ weights.T - 1)).sum(axis=1)
    pa_u = np.where(pair, agree / np.where(pair, r * (r - 1), 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = (w @ pa_u) / (w @ pair.astype(float))
        pi = (w @ (counts / r[:, None])) / w.sum(axis=1, keepdims=True)
    if method == "pa":
        pe = np.zeros(len(pa))
    elif method == "fleiss":
        pe = np.einsum("bk,kl,bl->b", pi, weights, pi)
    elif method == "gwet":
        scale = weights.sum() / (q * (q - 1)) if q >= 2 else np.nan
        pe = scale * (pi * (1 - pi)).sum(axis=1)
    elif method == "bp":
        pe = np.full(len(pa), weights.sum() / q**2 if q else np.nan)
    else:
        raise ValueError(f"unknown method {method!r}; use one of {POINT_METHODS}")
    return pa, pe


def _alpha_components(counts, weights, unit_weights) -> tuple[np.ndarray, np.ndarray]:
    """Gwet's form of Krippendorff's alpha: pa corrected by 1 / (number of pairable values)."""
    r = counts.sum(axis=1)
    keep = r >= 2
    counts, r = counts[keep], r[keep]
    w = np.ones((1, len(r))) if unit_weights is None else unit_weights[:, keep]
    n = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_mean = (w @ r) / n
        epsilon = 1.0 / (w @ r)
        agree = (counts * (counts @ weights.T - 1)).sum(axis=1)
        pa_prime = (w @ (agree / (r - 1))) / (r_mean * n)
        pa = (1 - epsilon) * pa_prime + epsilon
        pi = (w @ counts) / (r_mean * n)[:, None]
        pe = np.einsum("bk,kl,bl->b", pi, weights, pi)
    return pa, pe


def conger_components(codes: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """(pa, pe) of Conger's kappa: pe averages the pairwise Cohen chance agreements.

    ``codes``: units x coders category indices (NaN missing), every coder rated a unit.
    """
    q = weights.shape[0]
    n_raters = codes.shape[1]
    counts = count_matrix(codes, q)
    pa = float(components(counts, "pa", weights)[0][0])
    per_rater = np.stack([(codes == k).sum(axis=0) for k in range(q)], axis=1)
    p = per_rater / per_rater.sum(axis=1, keepdims=True)
    mean = p.mean(axis=0)
    s2 = (p.T @ p - n_raters * np.outer(mean, mean)) / (n_raters - 1)
    pe = float(np.sum(weights * (np.outer(mean, mean) - s2 / n_raters)))
    return pa, pe
