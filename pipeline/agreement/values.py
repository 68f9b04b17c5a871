"""Rating values: missing values, numpy/pandas scalars, and the order of categories.

Every coefficient first passes its ratings through :func:`normalize_ratings`, so
``None``, ``float('nan')``, ``np.float32('nan')``, ``pd.NA`` and ``pd.NaT`` are all
"missing" and numpy scalars (``np.int64(3)``, ``np.float32(0.5)``) become the Python
numbers they hold. Categories then sort numerically when they are all numbers; text
labels have no order of their own, so a statistic that needs one (weighted kappa,
ordinal alpha) takes it from the caller (``categories=``) and refuses to guess.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import AgreementInputError

MAX_SHOWN = 8


def normalize_value(value):
    """The value as a plain Python scalar, or ``None`` when it is missing."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def normalize_ratings(ratings) -> np.ndarray:
    """A units x coders object matrix of plain values with ``None`` for missing.

    Accepts nested lists, numpy arrays (any dtype) and pandas DataFrames (nullable
    ``Int64``/``Float64``/``string`` columns included).
    """
    if hasattr(ratings, "to_numpy"):
        ratings = ratings.to_numpy(dtype=object)
    matrix = np.asarray(ratings, dtype=object)
    if matrix.ndim != 2:
        raise ValueError(f"ratings must be a units x coders matrix, got {matrix.ndim} dimension(s)")
    out = np.full(matrix.shape, None, dtype=object)
    given = _not_none(matrix)  # most cells of a sparse reliability matrix are missing
    if given.any():
        out[given] = _normalize_all(matrix[given])
    return out


def _not_none(matrix: np.ndarray) -> np.ndarray:
    return np.not_equal(matrix, None) if matrix.size else np.zeros(matrix.shape, bool)


_normalize_all = np.frompyfunc(normalize_value, 1, 1)


def normalize_sequence(values: Iterable) -> list:
    """One coder's ratings as plain values (``None`` for missing)."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy(dtype=object)
    return [normalize_value(v) for v in values]


def is_number(value) -> bool:
    return isinstance(value, numbers.Real)


def present_values(matrix: np.ndarray) -> list:
    """The distinct non-missing values of a normalized matrix, in first-seen order."""
    return list(dict.fromkeys(matrix[_not_none(matrix)].tolist()))


def default_order(values: Iterable) -> list:
    """Numbers in numeric order, then any other labels in text order."""
    return sorted(set(values), key=lambda v: (0, v, "") if is_number(v) else (1, 0, str(v)))


def category_order(
    present: Iterable,
    categories: Sequence | None = None,
    *,
    ordered: bool = False,
    what: str = "this statistic",
) -> list:
    """The categories of a statistic, in order.

    ``categories`` given: exactly those (normalized), in the given order; a value
    outside them is an error naming it. Not given: :func:`default_order` of the
    values present; when ``ordered`` (the statistic weighs distances between
    categories) and some value is not a number, the order is unknown and that is an
    error telling the caller to pass ``categories``.
    """
    present = list(dict.fromkeys(present))
    if categories is not None:
        return _given_order(present, categories)
    text = [v for v in present if not is_number(v)]
    if ordered and text:
        shown = ", ".join(repr(v) for v in text[:MAX_SHOWN])
        raise AgreementInputError(
            f"{what} needs the order of the categories, and text labels ({shown}) have none",
            hint="pass the categories in their order, e.g. categories=['low', 'mid', 'high'].",
        )
    return default_order(present)


def _given_order(present: list, categories: Sequence) -> list:
    given = [normalize_value(c) for c in categories]
    if any(c is None for c in given):
        raise AgreementInputError("the categories contain a missing value (None/NaN/NA)")
    if len(set(given)) != len(given):
        raise AgreementInputError(f"the categories {given!r} contain a duplicate")
    unknown = [v for v in present if v not in set(given)]
    if unknown:
        shown = ", ".join(repr(v) for v in unknown[:MAX_SHOWN])
        raise AgreementInputError(
            f"value(s) {shown} are not among the categories {given!r}",
            hint="add them to categories=, or correct the ratings.",
        )
    return given


def encode(matrix: np.ndarray, categories: Sequence) -> np.ndarray:
    """Float matrix of category indices (0..q-1), NaN for missing."""
    index = {c: float(i) for i, c in enumerate(categories)}
    out = np.full(matrix.shape, np.nan)
    given = _not_none(matrix)
    if given.any():
        out[given] = np.frompyfunc(index.__getitem__, 1, 1)(matrix[given]).astype(float)
    return out


def rated_coders(matrix: np.ndarray) -> np.ndarray:
    """The columns (coders) that rated at least one unit."""
    return matrix[:, _not_none(matrix).any(axis=0)]


def count_matrix(codes: np.ndarray, q: int) -> np.ndarray:
    """Units x categories counts from a matrix of category indices (NaN = missing)."""
    units = np.broadcast_to(np.arange(codes.shape[0])[:, None], codes.shape)
    rated = ~np.isnan(codes)
    flat = units[rated] * q + codes[rated].astype(int)
    return np.bincount(flat, minlength=codes.shape[0] * q).reshape(codes.shape[0], q).astype(float)
