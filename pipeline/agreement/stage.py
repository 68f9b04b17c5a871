"""The agreement stage: the run's human codings against each other and the machine.

:func:`audit_units` decides the units and the machine's codes on them;
:func:`agreement_stage` runs the audit (:func:`~pipeline.agreement.audit.run_audit`)
on them. The run keeps the :class:`~pipeline.agreement.audit.AgreementReport` in
the store; the outputs (``agreement/``, the report section) render it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.agreement.audit import AgreementReport, MachineInput, run_audit

MACHINE_COLUMNS = ["passage_id", "code_id", "score", "rank", "level", "method", "model",
                   "accepted"]


def audit_units(view, paths: Sequence[Path]):
    """Units for the run's agreement audit, and the machine's codes on them.

    ``view`` has ``documents``, ``codable`` passages and ``initial`` suggestions (a
    :class:`~pipeline.store.view.StoreView`). Human coders usually code spans (a
    clause or a sentence) while the machine codes its own units (``segment.unit``).
    When the human files hold spans, the units are those spans and the machine's
    codes on a span are the accepted codes of the coding unit holding the largest
    part of it (of each of them, on a tie); when they name unit ids, the units are
    the machine's units themselves (and the machine's codes are None: the caller
    uses the suggestions as they are).
    """
    from pipeline.agreement.readers import read_raw
    from pipeline.agreement.units import UnitRef, units_from_passages
    from pipeline.classify.human import units_holding

    raw = [row for path in paths for row in read_raw(path)]
    if not any(r.doc_id is not None for r in raw):
        return units_from_passages(view.codable), None
    texts = {d.id: d.text for d in view.documents}
    spans = sorted({(r.doc_id, r.start, r.end) for r in raw if r.doc_id is not None})
    units = tuple(UnitRef(f"{d}:{s}-{e}", d, s, e, texts.get(d, "")[s:e]) for d, s, e in spans)
    by_doc: dict[str, list] = {}
    for p in view.codable:
        by_doc.setdefault(p.doc_id, []).append(p)
    holding = [(unit, pid) for unit in units
               for pid in units_holding(by_doc.get(unit.doc_id, []), unit.start, unit.end)]
    frame = view.initial_frame({pid for _, pid in holding})
    accepted: dict[str, list] = {}
    for sug in zip(*(frame[c].tolist() for c in MACHINE_COLUMNS), strict=True):
        accepted.setdefault(sug[0], []).append(sug)
    rows = []
    for unit, pid in holding:
        rows += [{**dict(zip(MACHINE_COLUMNS, s, strict=True)), "passage_id": unit.id,
                  "from_passage": pid} for s in accepted.get(pid, [])]
    return units, pd.DataFrame(rows, columns=[*MACHINE_COLUMNS, "from_passage"])


def agreement_stage(view, settings, book, seed: int) -> AgreementReport:
    """The audit of ``settings.codings`` (which must not be empty) on the run's units."""
    units, machine = audit_units(view, settings.codings)
    if machine is None:
        machine = view.suggestion_frame
    return run_audit(
        [str(p) for p in settings.codings],
        units=units,
        codebook=book,
        level=settings.level,
        machine=MachineInput(None, settings.threshold, "initial", frame=machine),
        n_boot=settings.bootstrap,
        seed=seed,
        min_cover=settings.min_cover,
    )
