"""Agreement among the coders (and the machine) on the passages they reviewed."""

from __future__ import annotations

import warnings

from pipeline.agreement.codings import CodingTable
from pipeline.review.learn import labels_from_decisions


def human_cells(decisions) -> dict[tuple[str, str], frozenset[str]]:
    """(passage, coder) -> the coder's codes (adjudications are kept apart)."""
    by_coder: dict[str, list] = {}
    for d in decisions:
        if not d.coder.startswith("adjudicator:"):
            by_coder.setdefault(d.coder, []).append(d)
    cells = {}
    for coder, mine in by_coder.items():
        labels, _ = labels_from_decisions(mine)
        for passage, codes in labels.items():
            cells[(passage, coder)] = frozenset(codes)
    return cells


def decisions_report(store, book, n_boot: int = 200, seed: int = 0):
    """(AgreementReport or None, {passage: adjudicated codes}) over units coded by 2+ coders."""
    from pipeline.agreement.audit import AgreementReport, disagreements, statistics_rows
    from pipeline.agreement.machine import (
        machine_cells,
        machine_name,
        machine_rank,
        versus_majority,
    )
    from pipeline.agreement.units import units_from_passages
    from pipeline.report.export import suggestions_frame

    decisions = store.codings.decisions()
    finals: dict[str, set[str]] = {}
    for d in decisions:
        if d.coder.startswith("adjudicator:"):
            finals.setdefault(d.passage_id, set())
            if d.code:
                finals[d.passage_id].add(d.code)
    cells = human_cells(decisions)
    coders = sorted({c for _, c in cells})
    counts: dict[str, int] = {}
    for passage, _ in cells:
        counts[passage] = counts.get(passage, 0) + 1
    units = sorted(p for p, n in counts.items() if n >= 2)
    if len(coders) < 2 or not units:
        return None, finals
    table = CodingTable(tuple(units), tuple(coders),
                        {k: v for k, v in cells.items() if k[0] in set(units)})
    suggestions = store.suggestions.suggestions_for(units, book.hash, "initial")
    frame = suggestions_frame([s for u in units for s in suggestions.get(u, [])])
    name = None
    if len(frame):
        _, machine = machine_cells(frame)
        name = machine_name("+".join(sorted(set(frame["model"]))))
        table = table.with_coder(name, machine)
    passages = store.documents.passages(ids=units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = statistics_rows(table, n_boot, seed)
        comps = versus_majority(table, name)
    report = AgreementReport(
        level="initial", coders=table.coders, n_units=len(units), rows=tuple(rows),
        comparisons=tuple(comps), machine=name,
        machine_rank=machine_rank(comps, name) if name else (0, 0),
        disagreements=tuple(disagreements(table, units_from_passages(passages))),
        seed=seed, n_boot=n_boot,
    )
    return report, finals
