"""Agreement coefficients with validation and explicit undefined cases.

Which library does what (see the module docs in ``__init__``):

* Gwet-family coefficients on raw ratings with missing data (percent agreement,
  Fleiss' kappa, Conger's kappa, Brennan-Prediger, Gwet's AC1/AC2, and Gwet's
  weighted alpha) with analytic standard errors: ``irrCAC`` (Gwet 2014 formulas).
* Two-coder coefficients from a contingency table (Cohen, Scott, Gwet, BP,
  Krippendorff, percent agreement) with standard errors: ``irrCAC.table``.
* Cohen's kappa with SAS/R-style asymptotic SE and custom weights: ``statsmodels``.
* Krippendorff's alpha (nominal/ordinal/interval/ratio, MASI for sets): our own
  coincidence-matrix implementation in :mod:`pipeline.agreement.alpha`, checked
  against the ``krippendorff`` package, because it needs custom distances and
  per-unit contributions for the vectorized bootstrap.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.agreement.alpha import (
    alpha_from_counts,
    metric_distance,
    set_distance_matrix,
    value_counts,
)

NAN = float("nan")
RAW_METHODS = ("pa", "fleiss", "conger", "gwet", "bp", "krippendorff")
TABLE_METHODS = ("pa2", "cohen", "scott", "gwet", "bp", "krippendorff")
GWET_WEIGHTS = (
    "identity",
    "linear",
    "quadratic",
    "ordinal",
    "radical",
    "ratio",
    "circular",
    "bipolar",
)


class AgreementWarning(UserWarning):
    """A coefficient is undefined for these data; it is reported as NaN with a reason."""


@dataclass(frozen=True)
class Estimate:
    """One coefficient. ``value`` is NaN exactly when ``reason`` says why."""

    coefficient: str
    value: float
    reason: str = ""
    pa: float = NAN
    pe: float = NAN
    se: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    p_value: float = NAN
    n_units: int = 0
    n_coders: int = 0

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)


def undefined(coefficient: str, reason: str, **extra) -> Estimate:
    warnings.warn(f"{coefficient} is undefined: {reason}", AgreementWarning, stacklevel=3)
    return Estimate(coefficient, NAN, reason, **extra)


def _as_frame(ratings: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(np.asarray(ratings, dtype=object))
    return frame.map(lambda v: np.nan if v is None else v)


def check_pairable(ratings: np.ndarray, coefficient: str) -> Estimate | None:
    """An undefined :class:`Estimate` when fewer than 2 coders or no pairable unit."""
    present = ~pd.isna(_as_frame(ratings)).to_numpy()
    n_units = int(present.any(axis=1).sum())
    n_coders = int(present.any(axis=0).sum())
    info = {"n_units": n_units, "n_coders": n_coders}
    if n_coders < 2:
        return undefined(coefficient, f"only {n_coders} coder(s) coded any unit", **info)
    if not (present.sum(axis=1) >= 2).any():
        return undefined(coefficient, "no unit was coded by two or more coders", **info)
    if len(set(ratings[present].tolist())) < 2:
        return undefined(coefficient, "only one category was used; chance agreement is 1", **info)
    return None


def _from_irrcac(name: str, est: dict, n_units: int, n_coders: int) -> Estimate:
    value = float(est["coefficient_value"])
    pe = float(est.get("pe", NAN))
    if not np.isfinite(value) or pe >= 1.0:
        return undefined(name, "chance agreement is 1", n_units=n_units, n_coders=n_coders)
    low, high = est["confidence_interval"]
    return Estimate(
        name,
        value,
        pa=float(est.get("pa", NAN)),
        pe=pe,
        se=float(est.get("se", NAN)),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(np.ravel(est.get("p_value", NAN))[0]),
        n_units=n_units,
        n_coders=n_coders,
    )


def raw_coefficient(
    ratings: np.ndarray,
    method: str,
    weights: str | np.ndarray = "identity",
    categories: Sequence | None = None,
) -> Estimate:
    """A Gwet-family coefficient on a units x coders matrix (None/NaN = missing).

    ``method`` is one of :data:`RAW_METHODS`; ``weights`` a name in
    :data:`GWET_WEIGHTS` or a q x q matrix over ``categories`` (sorted order).
    """
    from irrCAC.raw import CAC

    if method not in RAW_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {RAW_METHODS}")
    name = _raw_name(method, weights)
    bad = check_pairable(np.asarray(ratings, dtype=object), name)
    if bad is not None:
        return bad
    frame = _as_frame(ratings)
    cats = list(categories) if categories is not None else None
    cac = CAC(frame, weights=weights, categories=cats, digits=12)
    result = getattr(cac, "fleiss" if method == "pa" else method)()["est"]
    n_units, n_coders = cac.n, int(frame.notna().any(axis=0).sum())
    if method == "pa":
        return Estimate(
            name, float(result["pa"]), pa=float(result["pa"]), n_units=n_units, n_coders=n_coders
        )
    return _from_irrcac(name, result, n_units, n_coders)


def _raw_name(method: str, weights) -> str:
    base = {
        "pa": "percent agreement",
        "fleiss": "Fleiss kappa",
        "conger": "Conger kappa",
        "gwet": "Gwet AC1",
        "bp": "Brennan-Prediger",
        "krippendorff": "Krippendorff alpha (Gwet)",
    }[method]
    if isinstance(weights, str) and weights == "identity":
        return base
    if method == "gwet":
        base = "Gwet AC2"
    label = weights if isinstance(weights, str) else "custom"
    return f"{base} ({label} weights)"


def table_coefficient(
    table: np.ndarray, method: str, weights: str | np.ndarray = "identity"
) -> Estimate:
    """A two-coder coefficient from a q x q contingency table (rows coder 1)."""
    from irrCAC.table import CAC

    if method not in TABLE_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {TABLE_METHODS}")
    table = np.asarray(table, dtype=float)
    fixed = {"pa2": "percent agreement", "cohen": "Cohen kappa", "scott": "Scott pi"}
    name = fixed[method] if method in fixed else _raw_name(method, "identity")
    if table.sum() == 0:
        return undefined(name, "the contingency table is empty")
    if (table.sum(axis=0) + table.sum(axis=1) > 0).sum() < 2 and method != "pa2":
        return undefined(name, "only one category was used; chance agreement is 1")
    frame = pd.DataFrame(table)
    result = getattr(CAC(frame, weights=weights, digits=12), method)()["est"]
    return _from_irrcac(name, result, int(table.sum()), 2)


def cohen_kappa(
    first: Sequence, second: Sequence, weights: str | Sequence[float] | None = None
) -> Estimate:
    """Cohen's kappa for two coders (units where either is missing are dropped).

    ``weights``: None (unweighted), ``"linear"``, ``"quadratic"``, or disagreement
    weights by category distance (R ``irr::kappa2`` numeric vector, e.g. ``[0,0,1,1,2]``).
    Categories are those either coder used (as R ``irr`` and scikit-learn do).
    Asymptotic SE and 95% CI as printed by SAS PROC FREQ (statsmodels).
    """
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    pairs = [(a, b) for a, b in zip(first, second, strict=True) if not (_na(a) or _na(b))]
    label = "Cohen kappa" if weights is None else f"weighted Cohen kappa ({_wlabel(weights)})"
    if not pairs:
        return undefined(label, "no unit was coded by both coders")
    cats = sorted({v for pair in pairs for v in pair}, key=str)
    if len(cats) < 2:
        return undefined(
            label,
            "only one category was used; chance agreement is 1",
            n_units=len(pairs),
            n_coders=2,
        )
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for a, b in pairs:
        table[index[a], index[b]] += 1
    if isinstance(weights, str):
        res = sm_kappa(table, wt=weights)
    elif weights is None:
        res = sm_kappa(table)
    else:
        res = sm_kappa(table, weights=np.asarray(weights, float), wt="toeplitz")
    return Estimate(
        label,
        float(res.kappa),
        se=float(res.std_kappa),
        ci_low=float(res.kappa_low),
        ci_high=float(res.kappa_upp),
        p_value=float(res.pvalue_two_sided),
        n_units=len(pairs),
        n_coders=2,
    )


def _na(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _wlabel(weights) -> str:
    return weights if isinstance(weights, str) else ",".join(f"{w:g}" for w in weights)


def krippendorff_alpha(
    ratings: np.ndarray, metric: str = "nominal", values: Sequence | None = None
) -> Estimate:
    """Krippendorff's alpha on a units x coders matrix; missing data allowed."""
    name = f"Krippendorff alpha ({metric})"
    ratings = np.asarray(ratings, dtype=object)
    bad = check_pairable(ratings, name)
    if bad is not None:
        return bad
    counts, vals = value_counts(ratings, values)
    value = float(alpha_from_counts(counts, metric_distance(metric, vals))[0])
    pairable = int((counts.sum(axis=1) >= 2).sum())
    return Estimate(name, value, n_units=pairable, n_coders=ratings.shape[1])


def masi_alpha(sets: np.ndarray) -> Estimate:
    """Krippendorff's alpha with the MASI distance on a units x coders matrix of frozensets."""
    name = "Krippendorff alpha (MASI)"
    sets = np.asarray(sets, dtype=object)
    bad = check_pairable(sets, name)
    if bad is not None:
        return bad
    counts, vals = value_counts(sets, _distinct_sets(sets))
    delta = set_distance_matrix(vals)
    value = float(alpha_from_counts(counts, lambda totals: delta)[0])
    return Estimate(name, value, n_units=int((counts.sum(1) >= 2).sum()), n_coders=sets.shape[1])


def _distinct_sets(sets: np.ndarray) -> list[frozenset]:
    found = {v for v in sets.ravel() if v is not None}
    return sorted(found, key=lambda s: (len(s), sorted(s)))
