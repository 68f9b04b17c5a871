"""An agreement coefficient's value, or why it is undefined."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

NAN = float("nan")


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
    """A NaN estimate with its reason, announced as an :class:`AgreementWarning`."""
    warnings.warn(f"{coefficient} is undefined: {reason}", AgreementWarning, stacklevel=3)
    return Estimate(coefficient, NAN, reason, **extra)


def check_pairable(matrix: np.ndarray, coefficient: str) -> Estimate | None:
    """An undefined :class:`Estimate` when fewer than 2 coders or no pairable unit.

    ``matrix``: normalized (``None`` = missing, see :mod:`pipeline.agreement.values`).
    """
    present = matrix != None  # noqa: E711 - elementwise on an object array
    info = {
        "n_units": int(present.any(axis=1).sum()),
        "n_coders": int(present.any(axis=0).sum()),
    }
    if info["n_coders"] < 2:
        return undefined(coefficient, f"only {info['n_coders']} coder(s) coded any unit", **info)
    if not (present.sum(axis=1) >= 2).any():
        return undefined(coefficient, "no unit was coded by two or more coders", **info)
    return None


def one_value_reason(values: list, where: str = "") -> str:
    """Why chance agreement is 1: every rating (``where``) is the same value."""
    value = f" ({values[0]!r})" if len(values) == 1 else ""
    return f"only one category was used{where}{value}; chance agreement is 1"
