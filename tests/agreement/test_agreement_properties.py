"""Property tests, validation errors, qdpx safety, undefined cases."""

from __future__ import annotations

import warnings
import zipfile

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.agreement.alpha import masi_distance
from pipeline.agreement.coefficients import AgreementWarning, cohen_kappa, krippendorff_alpha
from pipeline.agreement.readers import read_codings
from pipeline.agreement.units import UnitRef
from pipeline.errors import AgreementInputError

ratings = st.lists(
    st.lists(st.sampled_from([1, 2, 3, None]), min_size=3, max_size=3), min_size=4, max_size=15
)


def as_matrix(rows) -> np.ndarray:
    return np.array(rows, dtype=object)


@settings(max_examples=60, deadline=None)
@given(ratings, st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_equals_krippendorff_package(rows, metric):
    data = as_matrix(rows)
    numeric = np.where(data == None, np.nan, data).astype(float).T  # noqa: E711
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = krippendorff_alpha(data, metric).value
        try:
            theirs = krippendorff.alpha(numeric, level_of_measurement=metric)
        except (ValueError, ZeroDivisionError):
            theirs = np.nan
    if np.isfinite(ours) and np.isfinite(theirs):
        assert ours == pytest.approx(theirs, abs=1e-9)
    if np.isfinite(ours):
        assert ours <= 1.0 + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=3))
def test_cohen_symmetry_relabel_self(pairs):
    import warnings

    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k1, k2 = cohen_kappa(first, second).value, cohen_kappa(second, first).value
        relabel = {"a": "z", "b": "y", "c": "x"}
        k3 = cohen_kappa([relabel[a] for a in first], [relabel[b] for b in second]).value
        self_k = cohen_kappa(first, first)
    assert k1 == pytest.approx(k2, nan_ok=True) and k1 == pytest.approx(k3, nan_ok=True)
    if len(set(first)) > 1:
        assert self_k.value == pytest.approx(1.0)
    else:
        assert np.isnan(self_k.value) and "one category" in self_k.reason


def test_undefined_cases_are_nan_with_reason():
    with pytest.warns(AgreementWarning):
        one = krippendorff_alpha(as_matrix([[1], [2]]))
    assert np.isnan(one.value) and "coder" in one.reason
    with pytest.warns(AgreementWarning):
        unpaired = krippendorff_alpha(as_matrix([[1, None], [None, 2]]))
    assert np.isnan(unpaired.value) and "two or more" in unpaired.reason


def test_masi_distance():
    a, b = frozenset("ab"), frozenset("a")
    assert masi_distance(a, a) == 0 and masi_distance(a, frozenset("c")) == 1
    assert masi_distance(a, b) == pytest.approx(1 - 0.5 * 2 / 3)


def test_validation_names_file_and_line(tmp_path):
    path = tmp_path / "codings.csv"
    path.write_text("unit,code,coder\nu1,A01,x\nu1,A01,x\nu9,A01,y\nu2,Z99,y\n", encoding="utf-8")
    units = [UnitRef("u1"), UnitRef("u2")]
    with pytest.raises(AgreementInputError) as info:
        read_codings([path], units=units, known_codes={"A01"})
    text = str(info.value)
    assert f"{path}:3: duplicate of line 2" in text
    assert f"{path}:4: unknown unit 'u9'" in text
    assert f"{path}:5: unknown code 'Z99'" in text


def test_single_label_contradiction(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("unit,code,coder\nu1,A01,x\nu1,A02,x\n", encoding="utf-8")
    with pytest.raises(AgreementInputError, match=r"c.csv:3: overlaps"):
        read_codings([path], units=[UnitRef("u1")], single_label=True)


def test_span_unitizing_half_cover(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("doc_id,start,end,code,coder\nd,0,6,A01,x\n", encoding="utf-8")
    units = [UnitRef("p1", "d", 0, 10), UnitRef("p2", "d", 10, 20)]
    got = read_codings([path], units=units)
    assert [(c.unit, c.code) for c in got] == [("p1", "A01")]


def test_qdpx_path_traversal_refused(tmp_path):
    path = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", "<Project/>")
        archive.writestr("../escape.txt", "x")
    with pytest.raises(AgreementInputError, match="outside the archive"):
        read_codings([path])
