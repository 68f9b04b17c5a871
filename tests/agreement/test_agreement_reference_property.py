"""Every coefficient against the reference packages on random reliability matrices.

Hypothesis draws units x coders matrices (1-20 units, 2-8 coders, 1-5 categories,
0-40% missing, uniform or skewed toward one category, sometimes a coder who coded
nothing) and writes the same ratings as one of six value types: Python int, Python
float, numpy int64, numpy float32, text labels (with their order given as
``categories``) and a pandas DataFrame of nullable ``Int64`` columns with ``pd.NA``.
The references get the plain float matrix (NaN = missing):

* Krippendorff's alpha (nominal, ordinal, interval, ratio): ``krippendorff``;
* percent agreement, Fleiss, Conger, Gwet AC1/AC2, Brennan-Prediger and Gwet's alpha,
  each with identity/linear/quadratic/ordinal weights: ``irrCAC`` (on the coders who
  coded something; with a single rated unit irrCAC's variance divides by zero, so the
  reference is the matrix stacked twice, which leaves these point estimates unchanged);
* Cohen's kappa, unweighted/linear/quadratic, and Cohen's kappa, Scott's pi and percent
  agreement from the contingency table, for the first two coders: ``scikit-learn``
  (and irrCAC's Fleiss kappa, which is Scott's pi for two coders without missing data).

Where both are defined they agree to 1e-9. Where ours is undefined it is NaN with a
reason and an :class:`AgreementWarning`; that is allowed where the reference has no
value either (it raises or returns NaN) and in one documented case: with a single
category, irrCAC replaces Gwet's and Brennan-Prediger's chance agreement 0/0 by a
constant and prints about 1. No call ever raises.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score

from pipeline.agreement.coefficients import (
    RAW_METHODS,
    AgreementWarning,
    Estimate,
    cohen_kappa,
    krippendorff_alpha,
    raw_coefficient,
    table_coefficient,
)

VALUE_TYPES = ("int", "float", "numpy.int64", "numpy.float32", "text", "pandas.Int64")
WEIGHTS = ("identity", "linear", "quadratic", "ordinal")
METRICS = ("nominal", "ordinal", "interval", "ratio")
TOL = 1e-9
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Case:
    codes: tuple[tuple[int | None, ...], ...]  # 1..k, None = missing
    k: int
    value_type: str
    weights: str

    @property
    def numbers(self) -> np.ndarray:
        """The reference matrix: the numbers the ratings stand for, NaN = missing."""
        scale = 0.5 if self.value_type in ("float", "numpy.float32") else 1.0
        return np.array(
            [[np.nan if c is None else c * scale for c in row] for row in self.codes], float
        )

    @property
    def categories(self) -> list | None:
        """Text labels need their order; numbers sort themselves."""
        return [f"c{v}" for v in range(1, self.k + 1)] if self.value_type == "text" else None

    def ratings(self):
        """The ratings as the user would pass them, in this case's value type."""
        if self.value_type == "pandas.Int64":
            columns = list(zip(*self.codes, strict=True))
            return pd.DataFrame({j: pd.array(col, dtype="Int64") for j, col in enumerate(columns)})
        write = {
            "int": (lambda v: v, None),
            "float": (lambda v: v * 0.5, float("nan")),
            "numpy.int64": (np.int64, None),
            "numpy.float32": (lambda v: np.float32(v * 0.5), np.float32("nan")),
            "text": (lambda v: f"c{v}", None),
        }[self.value_type]
        value, missing = write
        return np.array(
            [[missing if c is None else value(c) for c in row] for row in self.codes], object
        )

    def column(self, j: int):
        data = self.ratings()
        return data[j] if isinstance(data, pd.DataFrame) else data[:, j]


@st.composite
def cases(draw) -> Case:
    n_units, n_coders, k = (
        draw(st.integers(1, 20)),
        draw(st.integers(2, 8)),
        draw(st.integers(1, 5)),
    )
    missing = draw(st.sampled_from([0, 10, 25, 40]))
    skewed = draw(st.booleans())
    value = st.sampled_from([1] * 8 + list(range(2, k + 1))) if skewed else st.integers(1, k)
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, 99), value),
            min_size=n_units * n_coders,
            max_size=n_units * n_coders,
        )
    )
    empty = draw(st.integers(-n_coders, n_coders - 1))  # a silent coder about half the time
    codes = tuple(
        tuple(
            None if roll < missing or j == empty else v
            for j, (roll, v) in enumerate(cells[u * n_coders : (u + 1) * n_coders])
        )
        for u in range(n_units)
    )
    case = Case(codes, k, draw(st.sampled_from(VALUE_TYPES)), draw(st.sampled_from(WEIGHTS)))
    event(f"value type {case.value_type}")
    event("with missing ratings" if np.isnan(case.numbers).any() else "complete")
    event("a coder coded nothing" if 0 <= empty else "every coder coded")
    event("skewed" if skewed else "uniform")
    return case


def ours(call, *args, **kwargs) -> Estimate:
    """Call a coefficient; it never raises, and NaN comes with a reason and a warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = call(*args, **kwargs)
    agreement = [str(w.message) for w in caught if issubclass(w.category, AgreementWarning)]
    if est.defined:
        assert est.reason == "" and not agreement, (est, agreement)
    else:
        assert est.reason, est
        assert any(est.reason in message for message in agreement), (est, agreement)
    return est


def reference(call, *args, **kwargs) -> float:
    """A reference package's value; NaN when it raises or returns no finite number."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = float(call(*args, **kwargs))
        except (ValueError, ZeroDivisionError, FloatingPointError, IndexError, KeyError):
            return float("nan")
    return value if np.isfinite(value) else float("nan")


def agree(est: Estimate, ref: float, *, defined: bool, ref_may_fail: bool = False) -> None:
    """``defined``: whether the statistic has a value for these data (by its definition)."""
    assert est.defined == defined, (est, ref)
    if defined and np.isfinite(ref):
        assert est.value == pytest.approx(ref, abs=TOL), (est, ref)
    elif defined:
        assert ref_may_fail, (est, ref)


def rated(numbers: np.ndarray) -> np.ndarray:
    """The coders who coded something (a coder with no ratings is no rater)."""
    return numbers[:, ~np.isnan(numbers).all(axis=0)]


def irrcac(numbers: np.ndarray, method: str, weights: str, categories) -> float:
    data = rated(numbers)
    data = data[~np.isnan(data).all(axis=1)]
    if len(data) == 1 and method != "krippendorff":
        # irrCAC's variance needs two units; these point estimates do not (alpha's does)
        data = np.vstack([data, data])
    cac = CAC(pd.DataFrame(data), weights=weights, categories=categories, digits=15)
    est = cac.gwet() if method == "pa" else getattr(cac, method)()
    key = "pa" if method == "pa" else "coefficient_value"
    return est["est"][key]


def pairable_values(numbers: np.ndarray) -> int:
    pairable = numbers[(~np.isnan(numbers)).sum(axis=1) >= 2]
    return len(np.unique(pairable[~np.isnan(pairable)]))


@settings(SETTINGS, max_examples=300)
@given(cases())
def test_alpha_matches_krippendorff(case):
    numbers = case.numbers
    domain = None if case.categories is None else list(range(1, case.k + 1))
    defined = pairable_values(numbers) >= 2
    for metric in METRICS:
        if case.value_type == "text" and metric in ("interval", "ratio"):
            continue
        values = case.categories if metric != "nominal" else None
        est = ours(krippendorff_alpha, case.ratings(), metric, values)
        ref = reference(
            krippendorff.alpha, numbers.T, level_of_measurement=metric, value_domain=domain
        )
        agree(est, ref, defined=defined)


def chance_is_one(method: str, numbers: np.ndarray, q: int) -> bool:
    """Whether the coefficient is 0/0 by its definition: its chance agreement is 1."""
    used = len(np.unique(numbers[~np.isnan(numbers)]))
    if method == "pa":
        return False
    if method == "krippendorff":
        return pairable_values(numbers) < 2
    if method in ("fleiss", "conger"):
        return used < 2
    return q < 2  # AC1 and BP divide by q - 1 and q(q - 1): unused categories count


@settings(SETTINGS, max_examples=150)
@given(cases())
def test_gwet_family_matches_irrcac(case):
    numbers = case.numbers
    ref_categories = None if case.categories is None else [float(v) for v in range(1, case.k + 1)]
    q = case.k if case.categories is not None else len(np.unique(numbers[~np.isnan(numbers)]))
    n_pairable = int(((~np.isnan(numbers)).sum(axis=1) >= 2).sum())
    for method in RAW_METHODS:
        est = ours(raw_coefficient, case.ratings(), method, case.weights, case.categories)
        ref = reference(irrcac, numbers, method, case.weights, ref_categories)
        # irrCAC divides by zero in alpha's variance with one pairable unit, and in
        # its linear/quadratic/... weights with one category (max - min = 0)
        ref_may_fail = (method == "krippendorff" and n_pairable < 2) or q < 2
        defined = n_pairable > 0 and not chance_is_one(method, numbers, q)
        agree(est, ref, defined=defined, ref_may_fail=ref_may_fail)
    nominal = ours(krippendorff_alpha, case.ratings())
    gwet_alpha = ours(raw_coefficient, case.ratings(), "krippendorff", "identity")
    agree(gwet_alpha, nominal.value, defined=nominal.defined)


@settings(SETTINGS, max_examples=200)
@given(cases())
def test_two_coders_match_scikit_learn(case):
    first, second = case.column(0), case.column(1)
    codes = np.array([[np.nan if c is None else c for c in row[:2]] for row in case.codes])
    both = codes[~np.isnan(codes).any(axis=1)].astype(int)  # scikit-learn wants labels
    defined = len(np.unique(both)) >= 2
    ref_labels = None if case.categories is None else list(range(1, case.k + 1))
    for weights in (None, "linear", "quadratic"):
        est = ours(cohen_kappa, first, second, weights, case.categories)
        ref = reference(
            cohen_kappa_score, both[:, 0], both[:, 1], labels=ref_labels, weights=weights
        )
        agree(est, ref, defined=defined)
    if len(both) == 0:
        return
    cats = np.unique(both)
    table = np.array([[np.sum((both[:, 0] == a) & (both[:, 1] == b)) for b in cats] for a in cats])
    agree(
        ours(table_coefficient, table, "cohen"),
        reference(cohen_kappa_score, *both.T),
        defined=defined,
    )
    scott = reference(irrcac, both.astype(float), "fleiss", "identity", None)
    agree(ours(table_coefficient, table, "scott"), scott, defined=defined)
    pa = float(np.mean(both[:, 0] == both[:, 1]))
    agree(ours(table_coefficient, table, "pa2"), pa, defined=True)
