"""Krippendorff's alpha from the coincidence matrix, with any distance.

Vectorized over bootstrap resamples: every function takes ``unit_weights``
(resamples x units, how often each unit is drawn; ``None`` = the data once) and
returns one value per resample. Per-unit contributions are computed once, so a
resample is a weighted sum, never a Python loop over units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pipeline.agreement.values import (
    category_order,
    count_matrix,
    default_order,
    encode,
    normalize_ratings,
    present_values,
)

METRICS = ("nominal", "ordinal", "interval", "ratio")


def value_counts(matrix: np.ndarray, values: Sequence | None = None) -> tuple[np.ndarray, list]:
    """Units x values count matrix from a units x coders matrix (None/NaN/NA = missing).

    ``values``: the values in their order (default: numbers numerically, then labels).
    """
    matrix = normalize_ratings(matrix)
    present = present_values(matrix)
    vals = category_order(present, values) if values is not None else default_order(present)
    return count_matrix(encode(matrix, vals), len(vals)), vals


def metric_distance(metric: str, values: Sequence) -> Callable[[np.ndarray], np.ndarray]:
    """Distance as a function of the value totals (B x V) -> (B x V x V) or (V x V).

    Only the ordinal distance depends on the totals; the others are constant.
    """
    if metric == "nominal":
        const = 1.0 - np.eye(len(values))
        return lambda totals: const
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")
    if metric == "ordinal":
        return _ordinal_distance
    x = np.asarray(values, dtype=float)
    if metric == "interval":
        const = (x[:, None] - x[None, :]) ** 2
        return lambda totals: const
    total = x[:, None] + x[None, :]  # ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        const = np.where(total == 0, 0.0, ((x[:, None] - x[None, :]) / total) ** 2)
    return lambda totals: const


def _ordinal_distance(totals: np.ndarray) -> np.ndarray:
    """delta(c,k) = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 with values in rank order."""
    cum = np.cumsum(totals, axis=-1)
    lo = np.minimum.outer(np.arange(totals.shape[-1]), np.arange(totals.shape[-1]))
    hi = np.maximum.outer(np.arange(totals.shape[-1]), np.arange(totals.shape[-1]))
    before = np.where(lo > 0, np.take(cum, lo - 1, axis=-1), 0.0)
    span = np.take(cum, hi, axis=-1) - before
    half = (totals[..., :, None] + totals[..., None, :]) / 2
    return (span - half) ** 2


def masi_distance(a: frozenset, b: frozenset) -> float:
    """1 - Jaccard x monotonicity (Passonneau 2006); two empty sets have distance 0."""
    if a == b:
        return 0.0
    union = len(a | b)
    inter = len(a & b)
    if inter == 0:
        return 1.0
    monotonicity = 2 / 3 if (a <= b or b <= a) else 1 / 3
    return 1.0 - (inter / union) * monotonicity


def set_distance_matrix(sets: Sequence[frozenset]) -> np.ndarray:
    n = len(sets)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = masi_distance(sets[i], sets[j])
    return out


def alpha_from_counts(
    counts: np.ndarray,
    distance: Callable[[np.ndarray], np.ndarray],
    unit_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Alpha per resample from a units x values count matrix.

    Units with fewer than two values are not pairable and are ignored. Returns NaN
    where no unit is pairable or where the expected disagreement is 0 (one value).
    """
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    w = np.ones((1, keep.sum())) if unit_weights is None else unit_weights[:, keep]
    n = w @ m
    totals = w @ counts
    delta = distance(totals)
    if delta.ndim == 2:
        per_unit = np.einsum("uv,vk,uk->u", counts, delta, counts) / (m - 1)
        observed = w @ per_unit
        expected = np.einsum("bv,vk,bk->b", totals, delta, totals)
    else:
        coinc = np.einsum("uv,uk->uvk", counts, counts / (m - 1)[:, None])
        o = (w @ coinc.reshape(len(m), -1)).reshape(delta.shape)
        observed = np.einsum("bvk,bvk->b", o, delta)
        expected = np.einsum("bv,bvk,bk->b", totals, delta, totals)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1) * observed / expected
    return np.where((expected > 0) & (n > 0), alpha, np.nan)
