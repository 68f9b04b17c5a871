"""The agreement audit: statistics table, per-code alphas, machine comparisons, disagreements."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.agreement.alpha import metric_distance, set_distance_matrix, value_counts
from pipeline.agreement.bootstrap import gwet_points, resample_weights, summarize
from pipeline.agreement.codings import CodingTable, build_table
from pipeline.agreement.coefficients import (
    AgreementWarning,
    Estimate,
    krippendorff_alpha,
    masi_alpha,
    raw_coefficient,
    table_coefficient,
)
from pipeline.agreement.machine import Comparison, machine_rank, versus_majority
from pipeline.agreement.readers import ReadOptions
from pipeline.agreement.units import UnitRef
from pipeline.errors import AgreementInputError

LEVEL_ALIASES = {"framework": "dimension"}


class HasAncestors(Protocol):
    def ancestor_at(self, code_id: str, level: str): ...


@dataclass(frozen=True)
class Row:
    """One line of the agreement table."""

    scope: str
    code: str
    coefficient: str
    value: float
    reason: str = ""
    se: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    boot_low: float = float("nan")
    boot_high: float = float("nan")
    p_below_667: float = float("nan")
    p_below_800: float = float("nan")
    n_units: int = 0
    n_coders: int = 0


@dataclass(frozen=True)
class Disagreement:
    unit: str
    doc_id: str
    start: int
    end: int
    text: str
    codes: tuple[tuple[str, str], ...]  # (coder, "A|B")


@dataclass(frozen=True)
class AgreementReport:
    level: str
    coders: tuple[str, ...]
    n_units: int
    rows: tuple[Row, ...]
    comparisons: tuple[Comparison, ...]
    machine: str | None
    machine_rank: tuple[int, int]
    disagreements: tuple[Disagreement, ...]
    seed: int
    n_boot: int

    def value(self, coefficient: str, code: str = "", scope: str = "all coders") -> float:
        for row in self.rows:
            if (row.coefficient, row.code, row.scope) == (coefficient, code, scope):
                return row.value
        raise KeyError((coefficient, code, scope))


def rollup_mapping(codes: Sequence[str], codebook, level: str) -> dict[str, str | None]:
    """code -> its ancestor id at ``level``; ``codebook`` has ``ancestor_at`` or is a dict
    code -> parent (applied until the code is not a key any more)."""
    level = LEVEL_ALIASES.get(level, level)
    out: dict[str, str | None] = {}
    for code in codes:
        if isinstance(codebook, Mapping):
            target, steps = code, {"initial": 0, "main": 1, "dimension": 2}.get(level, 1)
            for _ in range(steps):
                target = codebook.get(target, target)
            out[code] = target
        else:
            found = codebook.ancestor_at(code, level)
            out[code] = None if found is None else found.id
    return out


def _row(scope: str, code: str, est: Estimate, boot=None) -> Row:
    extra = {}
    if boot is not None:
        extra = {
            "boot_low": boot.low,
            "boot_high": boot.high,
            "p_below_667": boot.p_below_667,
            "p_below_800": boot.p_below_800,
        }
    return Row(
        scope,
        code,
        est.coefficient,
        est.value,
        est.reason,
        est.se,
        est.ci_low,
        est.ci_high,
        n_units=est.n_units,
        n_coders=est.n_coders,
        **extra,
    )


def _boot(samples: np.ndarray | None):
    return None if samples is None else summarize(samples)


def statistics_rows(table: CodingTable, n_boot: int = 1000, seed: int = 0) -> list[Row]:
    """Every coefficient for the table, per-code binary alphas, mean and minimum."""
    weights = resample_weights(len(table.units), n_boot, seed) if n_boot > 0 else None
    rows: list[Row] = []
    if table.is_single_label():
        rows += _single_label_rows(table.label_matrix(), weights)
    sets = np.full((len(table.units), len(table.coders)), None, dtype=object)
    index_u = {u: i for i, u in enumerate(table.units)}
    index_c = {c: j for j, c in enumerate(table.coders)}
    for (unit, coder), codes in table.cells.items():
        sets[index_u[unit], index_c[coder]] = codes
    est = masi_alpha(sets)
    rows.append(_row("all coders", "", est, _boot(_masi_samples(sets, weights, est))))
    rows += _per_code_rows(table, weights)
    return rows


def _masi_samples(sets, weights, est: Estimate):
    if weights is None or not est.defined:
        return None
    found = sorted({v for v in sets.ravel() if v is not None}, key=lambda s: (len(s), sorted(s)))
    counts, vals = value_counts(sets, found)
    delta = set_distance_matrix(vals)
    from pipeline.agreement.alpha import alpha_from_counts

    return alpha_from_counts(counts, lambda totals: delta, weights)


def _single_label_rows(labels: np.ndarray, weights) -> list[Row]:
    rows = []
    counts, cats = value_counts(labels)
    for method in ("pa", "fleiss", "conger", "gwet", "bp"):
        est = raw_coefficient(labels, method)
        samples = None
        if weights is not None and est.defined and method != "conger":
            samples = gwet_points(counts, method, np.eye(len(cats)), weights)
        rows.append(_row("all coders", "", est, _boot(samples)))
    est = krippendorff_alpha(labels, "nominal")
    samples = None
    if weights is not None and est.defined:
        from pipeline.agreement.alpha import alpha_from_counts

        samples = alpha_from_counts(counts, metric_distance("nominal", cats), weights)
    rows.append(_row("all coders", "", est, _boot(samples)))
    if labels.shape[1] == 2:
        rows += _two_coder_rows(labels, cats)
    return rows


def _two_coder_rows(labels: np.ndarray, cats: list) -> list[Row]:
    both = [(a, b) for a, b in labels if a is not None and b is not None]
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for a, b in both:
        table[index[a], index[b]] += 1
    return [_row("all coders", "", table_coefficient(table, m)) for m in ("cohen", "scott")]


def _per_code_rows(table: CodingTable, weights) -> list[Row]:
    from pipeline.agreement.alpha import alpha_from_counts

    rows, values = [], []
    for code in table.codes:
        binary = table.binary_matrix(code)
        labels = np.where(np.isnan(binary), None, binary).astype(object)
        est = krippendorff_alpha(labels, "nominal", values=[0.0, 1.0])
        est = replace(est, coefficient="binary alpha")
        samples = None
        if weights is not None and est.defined:
            counts, _ = value_counts(labels, [0.0, 1.0])
            samples = alpha_from_counts(counts, metric_distance("nominal", [0, 1]), weights)
        rows.append(_row("per code", code, est, _boot(samples)))
        values.append(est.value)
    finite = [v for v in values if v == v]
    if finite:
        rows.append(
            Row(
                "per code",
                "(mean)",
                "binary alpha",
                float(np.mean(finite)),
                n_units=len(table.units),
                n_coders=len(table.coders),
            )
        )
        worst = int(np.nanargmin(values))
        rows.append(
            Row(
                "per code",
                f"(min: {table.codes[worst]})",
                "binary alpha",
                float(values[worst]),
                n_units=len(table.units),
                n_coders=len(table.coders),
            )
        )
    return rows


def disagreements(table: CodingTable, units: Sequence[UnitRef] = ()) -> list[Disagreement]:
    """Every unit where the coders who coded it do not all give the same codes."""
    where = {u.id: u for u in units}
    out = []
    for unit in table.units:
        cells = [(c, table.get(unit, c)) for c in table.coders if table.get(unit, c) is not None]
        if len({codes for _, codes in cells}) > 1:
            ref = where.get(unit, UnitRef(unit))
            codes = tuple((c, "|".join(sorted(s)) or "(none)") for c, s in cells)
            out.append(Disagreement(unit, ref.doc_id, ref.start, ref.end, ref.text, codes))
    return out


@dataclass(frozen=True)
class MachineInput:
    """Machine suggestions to add as a coder: a table (a file at ``path``, or the
    DataFrame ``frame``) and the score threshold."""

    path: str | Path | None
    threshold: float | None = None
    level: str | None = None
    frame: object | None = None  # a suggestion DataFrame; read from ``path`` when None


def run_audit(
    codings: Sequence[str | Path],
    units: Sequence[UnitRef] | None = None,
    codebook: HasAncestors | Mapping[str, str] | None = None,
    level: str = "initial",
    coders: Sequence[str] | None = None,
    machine: MachineInput | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    min_cover: float = 0.5,
    options: ReadOptions | None = None,
) -> AgreementReport:
    """Read codings (and optional machine suggestions), roll up, compute everything.

    ``options``: size caps and unknown columns of the files (:class:`ReadOptions`)."""
    from pipeline.agreement.machine import load_suggestions, machine_cells
    from pipeline.agreement.readers import read_codings
    from pipeline.agreement.units import Unitizer

    options = options or ReadOptions()
    known = _known_codes(codebook)
    found = read_codings(codings, units, known, coders, Unitizer(min_cover), options=options)
    if not found:
        raise AgreementInputError(
            "no accepted codings to compare",
            file=str(codings[0]) if codings else None,
            hint="every row was rejected, or the files hold no codings.",
        )
    table = build_table(found, units=None, coders=coders)
    name = None
    if machine is not None:
        frame = machine.frame
        if frame is None:
            frame = load_suggestions(machine.path, options.limits)
        name, cells = machine_cells(frame, machine.threshold, machine.level)
        coded = set(table.units)
        table = table.with_coder(name, {u: c for u, c in cells.items() if u in coded})
    if codebook is not None and level != "initial":
        table = table.map_codes(rollup_mapping(table.codes, codebook, level))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AgreementWarning)
        rows = statistics_rows(table, n_boot, seed)
        comps = versus_majority(table, name) if len(table.coders) >= 2 else []
    return AgreementReport(
        level=level,
        coders=table.coders,
        n_units=len(table.units),
        rows=tuple(rows),
        comparisons=tuple(comps),
        machine=name,
        machine_rank=machine_rank(comps, name) if name else (0, 0),
        disagreements=tuple(disagreements(table, units or ())),
        seed=seed,
        n_boot=n_boot,
    )


def _known_codes(codebook) -> set[str] | None:
    if codebook is None:
        return None
    if isinstance(codebook, Mapping):
        return set(codebook) | {v for v in codebook.values() if v}
    codes = getattr(codebook, "codes", None)
    return None if codes is None else {c.id for c in codes}
