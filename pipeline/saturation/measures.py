"""Guest, Namey & Chen (2020) saturation measures over cases in coding order.

Definitions used here (Guest et al., PLoS ONE 15(5): e0232076):

- **base size** ``b``: the first ``b`` cases; ``base_codes`` = unique codes in them.
- **run length** ``r``: a window of ``r`` consecutive cases after the base. Windows
  start at case ``b + 1`` and slide by one case.
- **new information** of a run: codes that appear in the run and in no earlier
  case, as a share of ``base_codes`` (the denominator stays the base's count).
- **saturation** is reached at the last case of the first run whose new-information
  ratio is ``<= threshold`` (5% by default); ``None`` when no run qualifies.

:func:`bootstrap_saturation` repeats this over seeded random case orders and
reports the distribution of the case count at which saturation is reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.errors import SaturationError


@dataclass(frozen=True)
class CaseStep:
    case_id: str
    codes: int  # codes in this case
    new_codes: int  # codes first seen in this case
    cumulative: int  # unique codes in cases 1..this one


@dataclass(frozen=True)
class Run:
    first_case: int  # 1-based position of the run's first case
    last_case: int
    new_codes: int
    ratio: float  # new_codes / base_codes


@dataclass(frozen=True)
class SaturationMeasures:
    base_size: int
    run_length: int
    threshold: float
    base_codes: int
    steps: tuple[CaseStep, ...]
    runs: tuple[Run, ...]
    saturation_case: int | None  # number of cases needed, None = not reached


@dataclass(frozen=True)
class BootstrapSummary:
    orders: int
    seed: int
    reached_share: float
    case_counts: tuple[int | None, ...]  # per resampled order
    median: float | None
    p05: float | None
    p95: float | None


def cumulative_steps(
    codes_per_case: Mapping[str, Sequence[str] | set[str]],
) -> tuple[CaseStep, ...]:
    seen: set[str] = set()
    steps = []
    for case_id, codes in codes_per_case.items():
        unique = set(codes)
        new = unique - seen
        seen |= unique
        steps.append(CaseStep(str(case_id), len(unique), len(new), len(seen)))
    return tuple(steps)


def saturation_measures(
    codes_per_case: Mapping[str, Sequence[str] | set[str]],
    base_size: int = 4,
    run_length: int = 2,
    threshold: float = 0.05,
) -> SaturationMeasures:
    """Measures for the cases in the mapping's order (see module docstring)."""
    _check(codes_per_case, base_size, run_length, threshold)
    cases = [set(codes) for codes in codes_per_case.values()]
    base_codes = len(set().union(*cases[:base_size]))
    runs = []
    before: set[str] = set().union(*cases[:base_size])  # grows with each start (no re-union)
    for start in range(base_size, len(cases) - run_length + 1):
        if start > base_size:
            before |= cases[start - 1]
        new = set().union(*cases[start : start + run_length]) - before
        ratio = len(new) / base_codes if base_codes else float(len(new) > 0)
        runs.append(Run(start + 1, start + run_length, len(new), ratio))
    reached = next((run.last_case for run in runs if run.ratio <= threshold + 1e-12), None)
    return SaturationMeasures(
        base_size,
        run_length,
        threshold,
        base_codes,
        cumulative_steps(codes_per_case),
        tuple(runs),
        reached,
    )


def bootstrap_saturation(
    codes_per_case: Mapping[str, Sequence[str] | set[str]],
    base_size: int = 4,
    run_length: int = 2,
    threshold: float = 0.05,
    orders: int = 1000,
    seed: int = 0,
) -> BootstrapSummary:
    """Saturation point over ``orders`` random case orders (numpy ``default_rng(seed)``)."""
    _check(codes_per_case, base_size, run_length, threshold)
    rng = np.random.default_rng(seed)
    items = list(codes_per_case.items())
    universe = sorted({str(c) for _, codes in items for c in codes})
    bit = {code: 1 << i for i, code in enumerate(universe)}
    masks = [sum(bit[str(c)] for c in set(codes)) for _, codes in items]
    counts: list[int | None] = []
    for _ in range(orders):
        order = rng.permutation(len(items))
        counts.append(_saturation_case([masks[i] for i in order], base_size, run_length, threshold))
    reached = np.array([c for c in counts if c is not None], dtype=float)
    stats = [float(np.percentile(reached, q)) if reached.size else None for q in (50, 5, 95)]
    return BootstrapSummary(
        orders, seed, reached.size / orders if orders else 0.0, tuple(counts), *stats
    )


def _saturation_case(
    masks: Sequence[int], base_size: int, run_length: int, threshold: float
) -> int | None:
    """``saturation_measures(...).saturation_case`` on cases given as code bitmasks
    (same arithmetic, without building the per-step records; used by the bootstrap)."""
    before = 0
    for mask in masks[:base_size]:
        before |= mask
    base_codes = before.bit_count()
    for start in range(base_size, len(masks) - run_length + 1):
        if start > base_size:
            before |= masks[start - 1]
        window = 0
        for mask in masks[start : start + run_length]:
            window |= mask
        new = (window & ~before).bit_count()
        ratio = new / base_codes if base_codes else float(new > 0)
        if ratio <= threshold + 1e-12:
            return start + run_length
    return None


def _check(codes_per_case, base_size: int, run_length: int, threshold: float) -> None:
    if base_size < 1 or run_length < 1:
        raise SaturationError(
            f"base size {base_size} and run length {run_length} must be >= 1",
            unit="saturation.base_size / saturation.run_length",
            hint="use whole numbers of cases, at least 1 each.",
        )
    if not 0.0 <= threshold < 1.0:
        raise SaturationError(
            f"new-information threshold {threshold} must be in [0, 1)",
            unit="saturation.threshold",
            hint="give a share, e.g. 0.05 for 5%.",
        )
    if len(codes_per_case) < base_size + run_length:
        raise SaturationError(
            f"{len(codes_per_case)} coded cases, fewer than base size + run length "
            f"({base_size} + {run_length})",
            unit="cases: " + (", ".join(map(str, codes_per_case)) or "none"),
            hint="code more cases or lower the base size / run length.",
        )
