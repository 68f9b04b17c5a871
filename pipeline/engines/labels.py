"""The human codings a run holds, as labels on its coding units.

Three sources, all optional: the span (or unit) codings of ``agreement.codings``,
the unit codings of ``classify.codings`` and the review app's decisions in the
store. :mod:`pipeline.classify.human` turns each into codes per unit and coder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.classify.human import (
    HumanLabels,
    SpanCode,
    labels_from_decisions,
    labels_from_spans,
    labels_from_unit_codes,
    merge_labels,
)


def codings_file_labels(path: Path, units: Sequence) -> HumanLabels:
    """One ``agreement.codings`` file (CSV/XLSX/.qdpx) on ``units``."""
    from pipeline.agreement.readers import read_raw

    rows = [r for r in read_raw(path) if str(r.decision or "").lower() not in ("reject",)]
    spans = [SpanCode(r.doc_id, r.start, r.end, r.code or None, r.coder)
             for r in rows if r.doc_id is not None]
    parts = [labels_from_spans(units, spans, Path(path).name)]
    by_coder: dict[str, dict[str, set[str]]] = {}
    for r in rows:
        if r.doc_id is None and r.unit is not None:
            codes = by_coder.setdefault(r.coder, {}).setdefault(str(r.unit), set())
            if r.code:
                codes.add(r.code)
    parts += [labels_from_unit_codes(units, codes, coder, Path(path).name)
              for coder, codes in sorted(by_coder.items())]
    return merge_labels(*parts)


def run_labels(config, store, units: Sequence) -> HumanLabels:
    """Every human coding the run holds, on ``units`` (the corpus' codable units)."""
    parts = [codings_file_labels(Path(p), units) for p in config.agreement.codings]
    if config.classify.codings:
        from pipeline.classify.codings import read_codings

        codes = read_codings(config.classify.codings)
        parts.append(labels_from_unit_codes(units, codes, "classify.codings",
                                            Path(config.classify.codings).name))
    decisions = store.codings.decisions() if store is not None else []
    if decisions:
        parts.append(labels_from_decisions(units, decisions))
    return merge_labels(*parts) if parts else HumanLabels()
