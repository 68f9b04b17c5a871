"""Units (passages) and unitizing span codings onto them by character overlap."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import AgreementInputError
from pipeline.userfiles import ReadLimits, read_frame

UNIT_COLUMNS = ("id", "doc_id", "start", "end")


@dataclass(frozen=True)
class UnitRef:
    """A coded unit and where it sits: ``text`` is ``document.text[start:end]``."""

    id: str
    doc_id: str = ""
    start: int = 0
    end: int = 0
    text: str = ""


def units_from_passages(passages: Iterable) -> tuple[UnitRef, ...]:
    """Accept :class:`pipeline.segment.passage.Passage` or any object with the same fields."""
    return tuple(UnitRef(p.id, p.doc_id, int(p.start), int(p.end), p.text) for p in passages)


def load_units(path: str | Path, limits: ReadLimits | None = None) -> tuple[UnitRef, ...]:
    """Read a passages table (Parquet, CSV or XLSX with id, doc_id, start, end[, text])."""
    path = Path(path)
    frame = read_frame(path, error=AgreementInputError, what="units file", limits=limits)
    missing = [c for c in UNIT_COLUMNS if c not in frame.columns]
    if missing:
        raise AgreementInputError(
            f"missing column(s) {', '.join(missing)}",
            file=path,
            unit="header",
            hint="a passages table needs id, doc_id, start, end (and text).",
        )
    if frame.empty:
        raise AgreementInputError("has a header but no passages", file=path, unit="line 2")
    texts = frame["text"] if "text" in frame.columns else [""] * len(frame)
    rows = zip(frame["id"], frame["doc_id"], frame["start"], frame["end"], texts, strict=True)
    return tuple(
        UnitRef(str(i), str(d), _offset(s, path, n), _offset(e, path, n), str(t))
        for n, (i, d, s, e, t) in enumerate(rows, start=2)
    )


def _offset(value, path: Path, line: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise AgreementInputError(
            f"start/end {value!r} is not a character offset",
            file=path,
            unit=f"line {line}",
            hint="start and end are whole numbers (character offsets into the document).",
        ) from None


@dataclass(frozen=True)
class Unitizer:
    """Maps a coded span onto the units it covers.

    A code applies to a unit when the span covers at least ``min_cover`` of the
    unit's characters (default one half). ``min_cover`` of 0 means any overlap.
    """

    min_cover: float = 0.5

    def index(self, units: Iterable[UnitRef]) -> dict[str, list[UnitRef]]:
        by_doc: dict[str, list[UnitRef]] = {}
        for unit in units:
            by_doc.setdefault(unit.doc_id, []).append(unit)
        for items in by_doc.values():
            items.sort(key=lambda u: (u.start, u.end))
        return by_doc

    def cover(
        self, by_doc: dict[str, list[UnitRef]], doc_id: str, start: int, end: int
    ) -> list[str]:
        items = by_doc.get(doc_id, [])
        starts = [u.start for u in items]
        hits = []
        for unit in items[max(bisect.bisect_right(starts, start) - 1, 0) :]:
            if unit.start >= end:
                break
            overlap = min(end, unit.end) - max(start, unit.start)
            length = max(unit.end - unit.start, 1)
            if overlap > 0 and overlap / length >= self.min_cover:
                hits.append(unit.id)
        return hits
