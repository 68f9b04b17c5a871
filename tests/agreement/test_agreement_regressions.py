"""The agreement defects of issue 15, each with its failing example."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score

from pipeline.agreement.coefficients import (
    AgreementWarning,
    cohen_kappa,
    krippendorff_alpha,
    masi_alpha,
    raw_coefficient,
)
from pipeline.errors import AgreementInputError


def matrix(rows) -> np.ndarray:
    return np.array(rows, dtype=object)


@pytest.mark.parametrize(("weights", "expected"), [("linear", 0.7333), ("quadratic", 0.9091)])
def test_weighted_cohen_sorts_numbers_numerically(weights, expected):
    first, second = [1, 2, 9, 10], [1, 3, 10, 10]
    est = cohen_kappa(first, second, weights)
    assert est.value == pytest.approx(cohen_kappa_score(first, second, weights=weights))
    assert est.value == pytest.approx(expected, abs=1e-4)  # text order gave 0.333 / 0.310


def test_weighted_cohen_numpy_numbers_sort_like_python_numbers():
    first, second = np.array([1, 2, 9, 10]), np.array([1, 3, 10, 10], dtype=np.int32)
    assert cohen_kappa(first, second, "linear").value == pytest.approx(
        cohen_kappa(list(map(int, first)), list(map(int, second)), "linear").value
    )


def test_weighted_cohen_on_text_labels_takes_their_order():
    first = ["low", "mid", "high", "high", "mid"]
    second = ["low", "high", "high", "mid", "mid"]
    order = ["low", "mid", "high"]
    est = cohen_kappa(first, second, "quadratic", categories=order)
    ref = cohen_kappa_score(first, second, labels=order, weights="quadratic")
    assert est.value == pytest.approx(ref)
    alphabetical = cohen_kappa_score(first, second, weights="quadratic")
    assert est.value != pytest.approx(alphabetical)  # the order matters here
    with pytest.raises(AgreementInputError, match="order of the categories"):
        cohen_kappa(first, second, "quadratic")
    with pytest.raises(AgreementInputError, match="'top'"):
        cohen_kappa(first, [*second[:-1], "top"], categories=order)


def test_unused_categories_count_for_weighted_cohen():
    first, second = [1, 2, 2, 3], [1, 2, 3, 3]
    est = cohen_kappa(first, second, "linear", categories=[1, 2, 3, 4, 5])
    ref = cohen_kappa_score(first, second, labels=[1, 2, 3, 4, 5], weights="linear")
    assert est.value == pytest.approx(ref)


def test_percent_agreement_is_one_when_everyone_used_one_category():
    est = raw_coefficient(matrix([["A", "A", "A"], ["A", "A", None], ["A", None, None]]), "pa")
    assert est.defined and est.value == 1.0
    with pytest.warns(AgreementWarning, match="only one category"):
        fleiss = raw_coefficient(matrix([["A", "A"], ["A", "A"]]), "fleiss")
    assert np.isnan(fleiss.value) and "chance agreement is 1" in fleiss.reason


def test_alpha_undefined_with_reason_when_pairable_units_hold_one_value():
    data = matrix([[1, 1], [1, 1], [2, None], [None, 3]])
    with pytest.warns(AgreementWarning, match="units two or more coded"):
        est = krippendorff_alpha(data)
    assert np.isnan(est.value)
    assert est.reason == "only one category was used in the units two or more coded (1); " + (
        "chance agreement is 1"
    )
    with pytest.warns(AgreementWarning):
        gwet = raw_coefficient(data, "krippendorff")
    assert np.isnan(gwet.value) and "two or more coded" in gwet.reason
    with pytest.warns(AgreementWarning):
        masi = masi_alpha(
            matrix([[frozenset("A")] * 2, [frozenset("A")] * 2, [frozenset("B"), None]])
        )
    assert np.isnan(masi.value) and masi.reason


def test_gwet_alpha_with_one_pairable_unit_does_not_raise():
    data = matrix([[1, 2], [1, None], [None, 2]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither an exception nor a warning
        est = raw_coefficient(data, "krippendorff")
    numbers = np.array([[1, 2], [1, np.nan], [np.nan, 2]], float)
    assert est.value == pytest.approx(krippendorff.alpha(numbers.T, level_of_measurement="nominal"))
    assert np.isnan(est.se)  # irrCAC's variance divides by (pairable units - 1)


def test_conger_leaves_out_a_coder_who_coded_nothing():
    rows = [[1, 2, None], [1, 1, None], [2, 2, None], [2, 1, None], [3, 3, None]]
    est = raw_coefficient(matrix(rows), "conger")
    two = pd.DataFrame([r[:2] for r in rows], dtype=float)
    ref = CAC(two, digits=15).conger()["est"]
    assert est.defined and est.value == pytest.approx(ref["coefficient_value"])
    assert est.se == pytest.approx(ref["se"]) and est.n_coders == 2


ORDINAL = [[1, 10], [2, 2], [10, 1], [2, 10]]  # units x coders


def ordinal_reference() -> float:
    return krippendorff.alpha(np.array(ORDINAL, float).T, level_of_measurement="ordinal")


@pytest.mark.parametrize(
    "as_type",
    [
        lambda v: np.int64(v),
        lambda v: np.int32(v),
        lambda v: np.float32(v),
        lambda v: np.uint8(v),
    ],
    ids=["int64", "int32", "float32", "uint8"],
)
def test_numpy_scalars_are_the_numbers_they_hold(as_type):
    data = matrix([[as_type(v) for v in row] for row in ORDINAL])
    assert krippendorff_alpha(data, "ordinal").value == pytest.approx(ordinal_reference())
    assert krippendorff_alpha(data, "interval").value == pytest.approx(
        krippendorff.alpha(np.array(ORDINAL, float).T, level_of_measurement="interval")
    )


def test_numpy_arrays_mixing_ints_and_python_ints_are_one_set_of_categories():
    data = matrix([[np.int64(1), 1], [np.int64(2), 2.0], [np.float32(3), 3]])
    assert krippendorff_alpha(data).value == pytest.approx(1.0)
    assert raw_coefficient(data, "fleiss").value == pytest.approx(1.0)


def test_pandas_nullable_integers_and_na():
    rows = [[1, 10, None], [2, 2, 2], [10, 1, None], [2, 10, 10]]
    frame = pd.DataFrame(rows, dtype="Int64")
    numbers = np.array([[np.nan if v is None else v for v in r] for r in rows], float)
    ref = krippendorff.alpha(numbers.T, level_of_measurement="ordinal")
    assert krippendorff_alpha(frame, "ordinal").value == pytest.approx(ref)
    with_na = matrix([[pd.NA if v is None else v for v in r] for r in rows])
    assert krippendorff_alpha(with_na, "ordinal").value == pytest.approx(ref)
    fleiss = CAC(pd.DataFrame(numbers), digits=15).fleiss()["est"]["coefficient_value"]
    for data in (frame, with_na):
        assert raw_coefficient(data, "fleiss").value == pytest.approx(fleiss)
        assert raw_coefficient(data, "conger").defined
    first, second = frame[0], pd.Series([1, pd.NA, 10, 2], dtype="Int64")
    assert cohen_kappa(first, second).value == pytest.approx(
        cohen_kappa_score([1, 10, 2], [1, 10, 2])
    )


def test_interval_alpha_on_text_is_an_error_not_a_traceback():
    with pytest.raises(AgreementInputError, match="needs numbers"):
        krippendorff_alpha(matrix([["a", "b"], ["b", "b"]]), "interval")
    with pytest.raises(AgreementInputError, match="order of the categories"):
        krippendorff_alpha(matrix([["a", "b"], ["b", "b"]]), "ordinal")
    with pytest.raises(AgreementInputError, match="'c'"):
        krippendorff_alpha(matrix([["a", "c"], ["b", "b"]]), "ordinal", values=["a", "b"])
