"""Seeded, vectorized bootstrap over units.

A resample is a vector of unit multiplicities (multinomial draw); every
coefficient below is a function of per-unit contributions, so all resamples are
computed at once with matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.agreement.alpha import alpha_from_counts
from pipeline.agreement.gwet import components

GWET_POINT_METHODS = ("pa", "fleiss", "gwet", "bp")


def resample_weights(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """``n_boot`` x ``n_units`` multiplicities of a units bootstrap (rows sum to n_units)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(float)


def gwet_points(
    counts: np.ndarray, method: str, weights: np.ndarray, unit_weights: np.ndarray | None = None
) -> np.ndarray:
    """Point estimates (Gwet 2014 definitions, as irrCAC) from a units x categories count matrix.

    ``method`` in :data:`GWET_POINT_METHODS`; returns one value per resample (NaN
    where chance agreement is 1).
    """
    if method not in GWET_POINT_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {GWET_POINT_METHODS}")
    pa, pe = components(counts, method, weights, unit_weights)
    if method == "pa":
        return pa
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (pa - pe) / (1 - pe)
    return np.where(pe < 1 - 1e-12, value, np.nan)


def alpha_points(counts: np.ndarray, distance, unit_weights: np.ndarray) -> np.ndarray:
    return alpha_from_counts(counts, distance, unit_weights)


@dataclass(frozen=True)
class BootstrapSummary:
    """Percentile interval and the share of resamples below the usual alpha cut-offs."""

    low: float
    high: float
    p_below_667: float
    p_below_800: float
    n_boot: int
    n_undefined: int


def summarize(samples: np.ndarray, level: float = 0.95) -> BootstrapSummary:
    finite = samples[np.isfinite(samples)]
    nan = float("nan")
    if finite.size == 0:
        return BootstrapSummary(nan, nan, nan, nan, len(samples), len(samples))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return BootstrapSummary(
        float(low),
        float(high),
        float(np.mean(finite < 0.667)),
        float(np.mean(finite < 0.800)),
        len(samples),
        int(len(samples) - finite.size),
    )
