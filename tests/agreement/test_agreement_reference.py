"""Every published value in shared/data/agreement-reference, to the published precision."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from pipeline.agreement.coefficients import (
    cohen_kappa,
    krippendorff_alpha,
    raw_coefficient,
    table_coefficient,
)
from tests.conftest import data_dir  # noqa: E402

DATA = data_dir()
REF = DATA / "agreement-reference"
pytestmark = pytest.mark.skipif(not REF.is_dir(), reason=f"reference data not found at {REF}")


def close(value: float, published: float, min_digits: int = 3) -> bool:
    digits = max(-Decimal(repr(published)).as_tuple().exponent, min_digits)
    return abs(value - published) <= 0.5 * 10**-digits + 1e-12


def matrix(frame: pd.DataFrame) -> np.ndarray:
    values = frame.replace({".": np.nan, " ": np.nan}).to_numpy(dtype=object)
    return np.where(pd.isna(values), None, values)


def expected() -> dict:
    return json.loads((REF / "expected_values.json").read_text())


def k2011() -> np.ndarray:
    frame = pd.read_csv(REF / "krippendorff2011_4coders_12units.csv", index_col=0)
    return matrix(frame.T)


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_with_missing_data(metric):
    ref = expected()["krippendorff2011_4coders_12units.csv"]
    assert close(krippendorff_alpha(k2011(), metric).value, ref[f"alpha_{metric}"])
    assert close(krippendorff_alpha(k2011(), metric).value, ref["crosscheck"][metric], 4)


def test_krippendorff_2011_irrcac_r_values():
    ref = expected()["krippendorff2011_4coders_12units.csv"]
    data = k2011()
    for method, key, field in [
        ("krippendorff", "irrCAC_R_krippen.alpha.raw", "alpha"),
        ("gwet", "irrCAC_R_gwet.ac1.raw", "ac1"),
        ("fleiss", "irrCAC_R_fleiss.kappa.raw", "kappa"),
        ("bp", "irrCAC_R_bp.coeff.raw", "bp"),
        ("pa", "irrCAC_R_pa.coeff.raw", "pa"),
    ]:
        est = raw_coefficient(data, method)
        want = ref[key]
        assert close(est.value, want[field], 5), method
        for extra in ("pa", "pe", "se"):
            if extra in want and field != extra:
                # irrCAC (Python) and Gwet's R package differ in alpha's SE by 1e-4.
                digits = 3 if (method, extra) == ("krippendorff", "se") else 5
                assert abs(getattr(est, extra) - want[extra]) <= 0.5 * 10**-digits, (method, extra)


def test_conger_on_irrcac_raw4raters():
    ref = expected()["krippendorff2011_4coders_12units.csv"]["irrCAC_R_conger.kappa.raw"]
    data = matrix(pd.read_csv(REF / "irrCAC_R_extdata" / "cac.raw4raters.csv", index_col=0))
    est = raw_coefficient(data, "conger")
    assert close(est.value, ref["kappa"], 5) and close(est.pe, ref["pe"], 7)


def test_wikipedia_alpha():
    ref = expected()["wikipedia_kalpha_3coders_15units.csv"]
    data = matrix(pd.read_csv(REF / "wikipedia_kalpha_3coders_15units.csv", index_col=0).T)
    assert close(krippendorff_alpha(data, "nominal").value, ref["alpha_nominal"])
    assert close(krippendorff_alpha(data, "interval").value, ref["alpha_interval"])


def test_hayes_krippendorff_2007():
    ref = expected()["hayes_krippendorff2007_40units_5obs.csv"]
    frame = pd.read_csv(REF / "hayes_krippendorff2007_40units_5obs.csv", index_col=0, dtype=str)
    data = matrix(frame.replace(".", np.nan).astype(float))
    assert close(krippendorff_alpha(data, "ordinal").value, ref["alpha_ordinal"])
    assert close(krippendorff_alpha(data, "nominal").value, ref["alpha_nominal_grill_impl"])
    assert close(krippendorff_alpha(data, "interval").value, ref["alpha_interval_grill_impl"])
    for metric, value in ref["crosscheck"].items():
        assert close(krippendorff_alpha(data, metric).value, value, 4)


def test_fleiss_1971_diagnoses():
    ref = expected()["irr_diagnoses.csv"]
    data = matrix(pd.read_csv(REF / "irr_diagnoses.csv", index_col=0))
    assert close(raw_coefficient(data, "fleiss").value, ref["fleiss_kappa"])
    assert close(raw_coefficient(data, "fleiss").value, 0.4302, 4)
    assert close(cohen_kappa(data[:, 0], data[:, 1]).value, ref["cohen_kappa_rater1_rater2"])


def test_anxiety_cohen_weighted():
    ref = expected()["irr_anxiety.csv"]
    frame = pd.read_csv(REF / "irr_anxiety.csv", index_col=0)
    r1, r2, r3 = (frame[c].tolist() for c in ("rater1", "rater2", "rater3"))
    assert close(cohen_kappa(r2, r3).value, ref["kappa2_r2_r3_unweighted"])
    assert close(cohen_kappa(r2, r3, "linear").value, ref["kappa2_r2_r3_equal(linear)"])
    assert close(cohen_kappa(r2, r3, "quadratic").value, ref["kappa2_r2_r3_squared(quadratic)"])
    assert close(cohen_kappa(r2, r3, [0, 0, 1, 1, 2]).value, ref["kappa2_r2_r3_weights_0,0,1,1,2"])
    assert close(
        cohen_kappa(r1, r2, [0, 0, 0, 1, 1, 1]).value, ref["kappa2_r1_r2_weights_0,0,0,1,1,1"]
    )
    assert close(
        cohen_kappa(r1, r2, [0, 0, 1, 1, 2, 2]).value, ref["kappa2_r1_r2_weights_0,0,1,1,2,2"]
    )


def counts_to_raw(counts: np.ndarray) -> np.ndarray:
    width = int(counts.sum(axis=1).max())
    out = np.full((len(counts), width), None, dtype=object)
    for u, row in enumerate(counts):
        labels = [k for k, n in enumerate(row) for _ in range(int(n))]
        out[u, : len(labels)] = labels
    return out


def test_wikipedia_fleiss_counts():
    ref = expected()["wikipedia_fleiss_14raters_10subjects_counts.csv"]
    counts = pd.read_csv(REF / "wikipedia_fleiss_14raters_10subjects_counts.csv", index_col=0)
    value = raw_coefficient(counts_to_raw(counts.to_numpy()), "fleiss").value
    assert close(value, ref["fleiss_kappa"]) and close(value, ref["crosscheck"], 5)


def test_sas_cohen_table():
    ref = expected()["sas_cohen_table10_3x3.csv"]
    table = pd.read_csv(REF / "sas_cohen_table10_3x3.csv", index_col=0).to_numpy()
    first = [i for i in range(3) for j in range(3) for _ in range(table[i, j])]
    second = [j for i in range(3) for j in range(3) for _ in range(table[i, j])]
    est = cohen_kappa(first, second)
    assert close(est.value, ref["cohen_kappa"]) and close(est.se, ref["ase"])
    assert close(est.ci_low, ref["ci95"][0]) and close(est.ci_high, ref["ci95"][1])
    lin = cohen_kappa(first, second, "linear")
    assert close(lin.value, ref["weighted_kappa_linear(weights 0,1,2)"])
    assert close(lin.se, ref["weighted_ase"])
    assert close(lin.ci_low, ref["weighted_ci95"][0]) and close(
        lin.ci_high, ref["weighted_ci95"][1]
    )


def test_abstractors_table_readme_values():
    ref = expected()["irrCAC_R_extdata/cont3x3abstractors.csv"]
    table = pd.read_csv(REF / "irrCAC_R_extdata" / "cont3x3abstractors.csv", index_col=0).to_numpy()
    pairs = {
        "cohen_kappa": "cohen",
        "scott_pi": "scott",
        "gwet_ac1": "gwet",
        "brennan_prediger": "bp",
        "krippendorff_alpha": "krippendorff",
        "percent_agreement": "pa2",
    }
    for key, method in pairs.items():
        assert close(table_coefficient(table, method).value, ref[key], 5), key
    assert close(table_coefficient(table, "cohen").se, ref["se"]["kappa"], 6)
    assert close(table_coefficient(table, "gwet").se, ref["se"]["ac1"], 6)


def test_distrib_6raters_readme_values():
    ref = expected()["irrCAC_R_extdata/distrib.6raters.csv"]
    counts = pd.read_csv(REF / "irrCAC_R_extdata" / "distrib.6raters.csv", index_col=0).to_numpy()
    raw = counts_to_raw(counts)
    assert close(raw_coefficient(raw, "gwet").value, ref["gwet_ac1"], 6)
    assert close(raw_coefficient(raw, "gwet").pe, ref["pe_ac1"], 6)
    assert close(raw_coefficient(raw, "fleiss").value, ref["fleiss_kappa"], 6)
    assert close(raw_coefficient(raw, "fleiss").pe, ref["pe_fleiss"], 6)
    assert close(raw_coefficient(raw, "krippendorff").value, ref["krippendorff_alpha"], 6)
    assert close(raw_coefficient(raw, "krippendorff").pa, ref["pa_alpha"], 6)
    assert close(raw_coefficient(raw, "bp").value, ref["brennan_prediger"], 6)
    assert close(raw_coefficient(raw, "pa").value, ref["pa"], 6)


def test_dist4cat_ac1():
    ref = expected()["irrCAC_R_extdata/cac.dist4cat.csv"]
    counts = pd.read_csv(REF / "irrCAC_R_extdata" / "cac.dist4cat.csv", index_col=0).to_numpy()
    assert close(
        raw_coefficient(counts_to_raw(counts), "gwet").value, ref["gwet_ac1_columns_a_b_c"], 6
    )


CUSTOM = np.array(
    [
        [1, 0.75, 0.5, 0.25, 0],
        [0, 1, 0.75, 0.5, 0.25],
        [0.25, 0, 1, 0.75, 0.5],
        [0.5, 0.25, 0, 1, 0.75],
        [0.75, 0.5, 0.25, 0, 1],
    ]
)
RAW_FILES = {
    "raw_4raters": ("cac.raw4raters.csv", ["Units"]),
    "raw_5observers": ("cac.raw5obser.csv", ["Unit"]),
    "raw_g1g2": ("cac.raw.g1g2.csv", ["Group", "Units"]),
    "raw_gender": ("cac.raw.gender.csv", ["Group"]),
    "raw_ben_gerry": ("cac.ben.gerry.csv", ["Group", "Units"]),
}


def _unrecorded_weights(case: dict) -> bool:
    if case["weights"] != "custom" or case["kind"] != "table":
        return False
    return "cont4x4diagnosis" in (case["dataset"], *case["test"].split("_"))


def irrcac_cases() -> list:
    path = REF / "irrCAC_python_expected_values.json"
    if not path.exists():
        return []
    unknown = pytest.mark.xfail(
        reason="the 4x4 custom weights of the source tests are not recorded; SOURCE.txt gives "
        "only a 5x5 matrix, and no 4x4 sub-matrix of it reproduces the values",
        strict=False,
    )
    return [
        pytest.param(
            case,
            id=case["test"],
            marks=[unknown] if _unrecorded_weights(case) else [],
        )
        for case in json.loads(path.read_text())
    ]


def load_dataset(name: str):
    extdata = REF / "irrCAC_R_extdata"
    if name in RAW_FILES:
        file, drop = RAW_FILES[name]
        frame = pd.read_csv(extdata / file, dtype=str).drop(columns=drop)
        frame = frame.apply(lambda col: col.str.strip()).replace({"": np.nan, ".": np.nan})
        if name in ("raw_4raters", "raw_5observers"):
            frame = frame.astype(float)
        return matrix(frame)
    table = pd.read_csv(extdata / f"{name}.csv", index_col=0).to_numpy()
    return table.T if name == "cont4x4diagnosis" else table


@pytest.mark.parametrize("case", irrcac_cases())
def test_irrcac_expected_values(case):
    data = load_dataset(case["dataset"])
    q = data.shape[0] if case["kind"] == "table" else 5
    weights = CUSTOM[:q, :q] if case["weights"] == "custom" else case["weights"]
    if case["kind"] == "raw":
        est = raw_coefficient(data, case["method"], weights)
    else:
        est = table_coefficient(data, case["method"], weights)
    fields = {
        "coefficient_value": est.value,
        "pa": est.pa,
        "pe": est.pe,
        "se": est.se,
        "confidence_interval_lo": est.ci_low,
        "confidence_interval_hi": est.ci_high,
        "p_value": est.p_value,
    }
    for key, published in case["expected"].items():
        assert close(fields[key], published), (key, fields[key], published)
