"""How many of a unit's ranked codes the machine applies (``classify.accept``).

Every coder ranks a unit's codes by *margin*, ``score - threshold`` of the code
(so codes whose scores live on different scales rank fairly; sorting by raw
score gives another order). An :class:`AcceptRule` then decides which of the
ranked codes are applied; the others stay in the suggestions table with their
scores and ``accepted = False``:

* the best code is applied when its margin is at least ``floor`` and it leads the
  runner-up by at least ``min_gap``; otherwise the unit is coded NONE (the
  explicit "no code applies" decision);
* each further code is applied when its margin is also at least ``floor`` and
  within ``delta`` of the best, up to ``max_codes`` codes in all.

The named rules are points of that space: ``threshold`` applies every code
that clears its threshold (the rule before ``classify.accept`` existed),
``top1`` the best code only, ``margin`` the best code plus those within
``delta``; ``learned`` rules are chosen from human codings
(:mod:`pipeline.classify.learn`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.errors import ClassifyError

RULES = ("threshold", "top1", "margin", "learned")


@dataclass(frozen=True)
class AcceptRule:
    kind: str = "threshold"
    max_codes: int | None = None  # None: no cap (beyond the suggestions' top_k)
    delta: float = math.inf
    floor: float = 0.0
    min_gap: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in RULES:
            raise ClassifyError(
                f"unknown accept rule {self.kind!r}", unit="classify.accept",
                hint=f"use one of: {', '.join(RULES)}.",
            )
        if self.max_codes is not None and self.max_codes < 1:
            raise ClassifyError("max_codes must be at least 1", unit="classify.max_codes")
        if self.delta < 0 or self.min_gap < 0:
            raise ClassifyError("delta and min_gap cannot be negative", unit="classify.accept")

    def describe(self) -> str:
        """The rule in a researcher's words (model card, report)."""
        cap = "any number of codes" if self.max_codes is None else f"at most {self.max_codes}"
        parts = [f"{self.kind}: the best code when its margin is >= {self.floor:g}"]
        if self.min_gap > 0:
            parts.append(f"and it leads the runner-up by >= {self.min_gap:g} (else NONE)")
        if self.max_codes != 1:
            within = "" if math.isinf(self.delta) else f" within {self.delta:g} of the best"
            parts.append(f"plus codes clearing the same margin{within}, {cap}")
        return ", ".join(parts)


def named_rule(kind: str, max_codes: int | None = None, delta: float = 0.05) -> AcceptRule:
    """The rule a run config names (``learned`` starts as ``top1`` until it is learned)."""
    if kind == "threshold":
        return AcceptRule("threshold", max_codes)
    if kind in ("top1", "learned"):
        return AcceptRule(kind, 1, 0.0)
    if kind == "margin":
        return AcceptRule("margin", max_codes, delta)
    return AcceptRule(kind)  # raises: unknown rule


def accept_mask(margins: np.ndarray, rule: AcceptRule) -> np.ndarray:
    """``(n, m)`` booleans: which codes of each unit ``rule`` applies, from their margins."""
    margins = np.asarray(margins, dtype=np.float64)
    n, m = margins.shape
    mask = np.zeros((n, m), dtype=bool)
    if n == 0 or m == 0:
        return mask
    order = np.argsort(-margins, axis=1, kind="stable")
    rows = np.arange(n)
    best = margins[rows, order[:, 0]]
    second = margins[rows, order[:, 1]] if m > 1 else np.full(n, -np.inf)
    applies = (best >= rule.floor) & (best - second >= rule.min_gap)
    for k in range(min(rule.max_codes or m, m)):
        col = order[:, k]
        value = margins[rows, col]
        mask[rows, col] = applies & (value >= rule.floor) & (value >= best - rule.delta)
    return mask
