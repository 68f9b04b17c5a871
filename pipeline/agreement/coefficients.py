"""Agreement coefficients with validation and explicit undefined cases.

Which library does what:

* Gwet-family coefficients on raw ratings with missing data (percent agreement,
  Fleiss' kappa, Conger's kappa, Brennan-Prediger, Gwet's AC1/AC2, and Gwet's
  weighted alpha): point estimates by Gwet's (2014) formulas in
  :mod:`pipeline.agreement.gwet` (the ones the bootstrap resamples, checked
  against ``irrCAC`` on random matrices), analytic standard errors, CIs and
  p-values from ``irrCAC``.
* Two-coder coefficients from a contingency table (Cohen, Scott, Gwet, BP,
  Krippendorff, percent agreement) with standard errors: ``irrCAC.table``.
* Cohen's kappa with SAS/R-style asymptotic SE and custom weights: ``statsmodels``.
* Krippendorff's alpha (nominal/ordinal/interval/ratio, MASI for sets): our own
  coincidence-matrix implementation in :mod:`pipeline.agreement.alpha`, checked
  against the ``krippendorff`` package, because it needs custom distances and
  per-unit contributions for the vectorized bootstrap.

Ratings may hold any hashable labels; ``None``, NaN and ``pd.NA`` are missing and
numpy scalars count as the numbers they hold (:mod:`pipeline.agreement.values`).
Where a statistic is undefined for the data it is NaN with a reason and an
:class:`AgreementWarning`; no exception from a library underneath reaches the caller.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np

from pipeline.agreement.alpha import (
    METRICS,
    alpha_from_counts,
    metric_distance,
    set_distance_matrix,
    value_counts,
)
from pipeline.agreement.estimate import (
    NAN,
    AgreementWarning,
    Estimate,
    check_pairable,
    one_value_reason,
    undefined,
)
from pipeline.agreement.gwet import components, conger_components, weight_matrix
from pipeline.agreement.values import (
    category_order,
    count_matrix,
    encode,
    is_number,
    normalize_ratings,
    normalize_sequence,
    present_values,
    rated_coders,
)
from pipeline.errors import AgreementInputError

__all__ = [
    "AgreementWarning",
    "Estimate",
    "cohen_kappa",
    "krippendorff_alpha",
    "masi_alpha",
    "raw_coefficient",
    "table_coefficient",
]

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
#: chance agreement at or above this counts as 1 (the coefficient is 0/0)
PE_ONE = 1 - 1e-12
#: arithmetic failures of the libraries underneath on degenerate input
LIBRARY_ERRORS = (ZeroDivisionError, FloatingPointError, ValueError, IndexError)


@contextmanager
def _quiet():
    """numpy/scipy/statsmodels runtime warnings are ours to explain, not to pass on."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def raw_coefficient(
    ratings,
    method: str,
    weights: str | np.ndarray = "identity",
    categories: Sequence | None = None,
) -> Estimate:
    """A Gwet-family coefficient on a units x coders matrix (None/NaN/NA = missing).

    ``method`` is one of :data:`RAW_METHODS`; ``weights`` a name in
    :data:`GWET_WEIGHTS` or a q x q matrix over the categories. ``categories``: every
    possible category (unused ones count for AC1/BP and for weights); numbers are
    taken in numeric order, text labels in the order given, which weights other than
    ``identity`` need. A coder who rated no unit is left out (Conger's kappa averages
    over the raters who rated). Percent agreement is 1 when everyone used one category.
    """
    if method not in RAW_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {RAW_METHODS}")
    name = _raw_name(method, weights)
    matrix = rated_coders(normalize_ratings(ratings))
    bad = check_pairable(matrix, name)
    if bad is not None:
        return bad
    cats = _raw_categories(matrix, categories, weights, name)
    codes = encode(matrix, cats)
    info = {"n_units": int((~np.isnan(codes)).any(axis=1).sum()), "n_coders": matrix.shape[1]}
    weight = weight_matrix(weights, cats)
    if method == "conger":
        pa, pe = conger_components(codes, weight)
    else:
        pa, pe = (float(x[0]) for x in components(count_matrix(codes, len(cats)), method, weight))
    if method == "pa":
        return Estimate(name, pa, pa=pa, **info)
    reason = _chance_reason(method, matrix, codes, cats, pe)
    if reason:
        return undefined(name, reason, pa=pa, **info)
    value = (pa - pe) / (1 - pe)
    return Estimate(name, value, pa=pa, pe=pe, **_irrcac_errors(codes, method, weight), **info)


def _raw_categories(matrix, categories, weights, name: str) -> list:
    ordered = not (isinstance(weights, str) and weights == "identity")
    cats = category_order(present_values(matrix), categories, ordered=ordered, what=name)
    if categories is not None and all(is_number(c) for c in cats):
        cats = sorted(cats)  # numeric categories weigh by value, as irrCAC does
    return cats


def _chance_reason(method: str, matrix, codes, cats: list, pe: float) -> str:
    """Why the coefficient is 0/0, or "" when it is defined."""
    if method == "krippendorff":
        pairable = codes[(~np.isnan(codes)).sum(axis=1) >= 2]
        used = sorted({int(c) for c in pairable[~np.isnan(pairable)]})
        if len(used) < 2:
            return one_value_reason([cats[i] for i in used], " in the units two or more coded")
    if len(cats) < 2:
        return one_value_reason(cats)
    if not pe < PE_ONE:  # also NaN
        return one_value_reason(present_values(matrix))
    return ""


def _irrcac_errors(codes: np.ndarray, method: str, weight: np.ndarray) -> dict:
    """Analytic SE, 95% CI and p-value from irrCAC (NaN where its variance is undefined,
    e.g. with fewer than two units)."""
    import pandas as pd
    from irrCAC.raw import CAC

    nan = {"se": NAN, "ci_low": NAN, "ci_high": NAN, "p_value": NAN}
    frame = pd.DataFrame(codes)
    cats = [float(k) for k in range(weight.shape[0])]
    try:
        with _quiet():
            est = getattr(CAC(frame, weights=weight, categories=cats, digits=12), method)()["est"]
    except LIBRARY_ERRORS:
        return nan
    low, high = est["confidence_interval"]
    return {
        "se": _scalar(est["se"]),
        "ci_low": _scalar(low),
        "ci_high": _scalar(high),
        "p_value": _scalar(est.get("p_value", NAN)),
    }


def _scalar(value) -> float:
    """irrCAC returns some bounds as 1-element arrays."""
    return float(np.ravel(value)[0])


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
    if method not in TABLE_METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {TABLE_METHODS}")
    table = np.asarray(table, dtype=float)
    fixed = {"pa2": "percent agreement", "cohen": "Cohen kappa", "scott": "Scott pi"}
    name = fixed[method] if method in fixed else _raw_name(method, "identity")
    if table.sum() == 0:
        return undefined(name, "the contingency table is empty")
    used = int((table.sum(axis=0) + table.sum(axis=1) > 0).sum())
    if used < 2 and method != "pa2":
        return undefined(name, one_value_reason([]), n_units=int(table.sum()), n_coders=2)
    est = _table_irrcac(table, method, weights)
    if est is None:
        return undefined(name, "chance agreement is 1", n_units=int(table.sum()), n_coders=2)
    return _from_irrcac(name, est, int(table.sum()), 2)


def _table_irrcac(table: np.ndarray, method: str, weights) -> dict | None:
    import pandas as pd
    from irrCAC.table import CAC

    try:
        with _quiet():
            est = getattr(CAC(pd.DataFrame(table), weights=weights, digits=12), method)()["est"]
    except LIBRARY_ERRORS:
        return None
    value, pe = float(est["coefficient_value"]), float(est.get("pe", NAN))
    return est if np.isfinite(value) and not pe >= PE_ONE else None


def _from_irrcac(name: str, est: dict, n_units: int, n_coders: int) -> Estimate:
    low, high = est["confidence_interval"]
    return Estimate(
        name,
        float(est["coefficient_value"]),
        pa=float(est.get("pa", NAN)),
        pe=float(est.get("pe", NAN)),
        se=_scalar(est.get("se", NAN)),
        ci_low=_scalar(low),
        ci_high=_scalar(high),
        p_value=_scalar(est.get("p_value", NAN)),
        n_units=n_units,
        n_coders=n_coders,
    )


def cohen_kappa(
    first: Sequence,
    second: Sequence,
    weights: str | Sequence[float] | None = None,
    categories: Sequence | None = None,
) -> Estimate:
    """Cohen's kappa for two coders (units where either is missing are dropped).

    ``weights``: None (unweighted), ``"linear"``, ``"quadratic"``, or disagreement
    weights by category distance (R ``irr::kappa2`` numeric vector, e.g. ``[0,0,1,1,2]``,
    one per category). Weights count the distance between the positions of two
    categories in ``categories``: by default those either coder used, numbers in
    numeric order (as scikit-learn and R ``irr`` do); text labels have no order, so a
    weighted kappa on them needs ``categories`` in their order.
    Asymptotic SE and 95% CI as printed by SAS PROC FREQ (statsmodels).
    """
    a_values, b_values = normalize_sequence(first), normalize_sequence(second)
    if len(a_values) != len(b_values):
        raise ValueError(f"the coders rated {len(a_values)} and {len(b_values)} units")
    pairs = [
        (a, b) for a, b in zip(a_values, b_values, strict=True) if a is not None and b is not None
    ]
    label = "Cohen kappa" if weights is None else f"weighted Cohen kappa ({_wlabel(weights)})"
    info = {"n_units": len(pairs), "n_coders": 2}
    if not pairs:
        return undefined(label, "no unit was coded by both coders", **info)
    present = list(dict.fromkeys(v for pair in pairs for v in pair))
    cats = category_order(present, categories, ordered=weights is not None, what=label)
    if len(present) < 2:
        return undefined(label, one_value_reason(present), **info)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for a, b in pairs:
        table[index[a], index[b]] += 1
    res = _statsmodels_kappa(table, weights)
    if res is None or not np.isfinite(res.kappa):
        return undefined(label, "the expected disagreement is 0", **info)
    return Estimate(
        label,
        float(res.kappa),
        se=float(res.std_kappa),
        ci_low=float(res.kappa_low),
        ci_high=float(res.kappa_upp),
        p_value=float(res.pvalue_two_sided),
        **info,
    )


def _statsmodels_kappa(table: np.ndarray, weights):
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    if weights is not None and not isinstance(weights, str) and len(weights) != len(table):
        raise ValueError(
            f"{len(weights)} weights for {len(table)} categories; give one per category"
        )
    try:
        with _quiet():
            if isinstance(weights, str):
                return sm_kappa(table, wt=weights)
            if weights is None:
                return sm_kappa(table)
            return sm_kappa(table, weights=np.asarray(weights, float), wt="toeplitz")
    except LIBRARY_ERRORS:
        return None


def _wlabel(weights) -> str:
    return weights if isinstance(weights, str) else ",".join(f"{w:g}" for w in weights)


def krippendorff_alpha(
    ratings, metric: str = "nominal", values: Sequence | None = None
) -> Estimate:
    """Krippendorff's alpha on a units x coders matrix; missing data allowed.

    ``values``: every value in order (ordinal alpha on text labels needs it; interval
    and ratio alpha need numbers). Undefined (NaN, with the reason) when the units two
    or more coders coded hold a single value.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")
    name = f"Krippendorff alpha ({metric})"
    matrix = rated_coders(normalize_ratings(ratings))
    bad = check_pairable(matrix, name)
    if bad is not None:
        return bad
    vals = _alpha_values(matrix, metric, values, name)
    counts, vals = value_counts(matrix, vals)
    return _alpha_estimate(name, counts, vals, metric_distance(metric, vals), matrix.shape[1])


def _alpha_values(matrix, metric: str, values, name: str) -> list:
    vals = category_order(present_values(matrix), values, ordered=metric == "ordinal", what=name)
    if metric in ("interval", "ratio") and not all(is_number(v) for v in vals):
        raise AgreementInputError(
            f"{name} needs numbers; the values include text",
            hint="use the nominal or ordinal metric for labels.",
        )
    return vals


def _alpha_estimate(name: str, counts: np.ndarray, vals: list, distance, n_coders: int):
    pairable = counts[counts.sum(axis=1) >= 2]
    info = {"n_units": len(pairable), "n_coders": n_coders}
    used = [v for v, n in zip(vals, pairable.sum(axis=0), strict=True) if n > 0]
    if len(used) < 2:
        return undefined(name, one_value_reason(used, " in the units two or more coded"), **info)
    value = float(alpha_from_counts(counts, distance)[0])
    if not np.isfinite(value):
        return undefined(name, "the expected disagreement is 0", **info)
    return Estimate(name, value, **info)


def masi_alpha(sets) -> Estimate:
    """Krippendorff's alpha with the MASI distance on a units x coders matrix of frozensets."""
    name = "Krippendorff alpha (MASI)"
    matrix = rated_coders(normalize_ratings(sets))
    bad = check_pairable(matrix, name)
    if bad is not None:
        return bad
    counts, vals = value_counts(matrix, _distinct_sets(matrix))
    delta = set_distance_matrix(vals)
    return _alpha_estimate(name, counts, vals, lambda totals: delta, matrix.shape[1])


def _distinct_sets(sets: np.ndarray) -> list[frozenset]:
    found = {v for v in sets.ravel() if v is not None}
    return sorted(found, key=lambda s: (len(s), sorted(s)))
