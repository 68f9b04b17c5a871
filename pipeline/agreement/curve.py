"""A point of the learning curve (kept with the agreement report in the store)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CurvePoint:
    documents: int  # human-coded documents the machine learned from
    kappa: float  # pooled over draws: machine vs human majority on held-out documents
    alpha: float
    kappa_sd: float
    draws: int
    spans: float  # held-out spans per draw (mean)
