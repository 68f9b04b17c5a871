"""Human codings as labels on the run's coding units, coder by coder.

What the machine learns from (``classify.accept: learned``) whatever the coders
have already coded: span codings (``agreement.codings``: document, start, end,
code, coder), passage codings (``classify.codings``) and the review app's
decisions. Each is turned into codes per *coding unit* and *coder*:

* a span goes to the unit(s) holding the largest part of it (ties: all of them),
  so a clause a coder marked lands on the clause unit that contains it;
* a decision or passage coding on a unit that no longer exists (the corpus was
  segmented with other settings since) is read as a span: unit ids are
  ``doc:start-end``.

The *majority* of a unit is the set of codes more than half of its coders
applied (a 1-1 split gives no code, as in :func:`pipeline.agreement.machine.majority`);
*examples* of a code are the units at least half of the coders gave it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.io import sha256_text

_UNIT_ID = re.compile(r"^(?P<doc>.+):(?P<start>\d+)-(?P<end>\d+)$")
POSITIVE = ("accept", "add", "adjudicate")


@dataclass(frozen=True)
class SpanCode:
    """One code a coder gave to a stretch of a document (or of a unit, by id)."""

    doc_id: str
    start: int
    end: int
    code: str | None  # None: the coder coded the span with no code
    coder: str


@dataclass(frozen=True)
class HumanLabels:
    """``cells[unit_id][coder]`` = the codes that coder gave the unit."""

    cells: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def coders(self) -> tuple[str, ...]:
        return tuple(sorted({c for by in self.cells.values() for c in by}))

    def majority(self, unit: str) -> frozenset[str]:
        """Codes more than half of the unit's coders applied."""
        return _share(self.cells[unit], strict=True)

    def examples(self, unit: str) -> frozenset[str]:
        """Codes at least half of the unit's coders applied."""
        return _share(self.cells[unit], strict=False)

    def fingerprint(self) -> str:
        """A hash of every cell (what a coder learned from is named by it)."""
        data = sorted((u, c, sorted(codes)) for u, by in self.cells.items() for c, codes in by.items())
        return sha256_text(json.dumps(data, ensure_ascii=False))[:16]

    def summary(self) -> dict:
        """For the model card: hash, coders, counts, sources."""
        per_coder = {c: sum(c in by for by in self.cells.values()) for c in self.coders}
        return {
            "hash": self.fingerprint(),
            "sources": list(self.sources),
            "units": len(self.cells),
            "units_per_coder": per_coder,
            "codes_applied": sum(len(codes) for by in self.cells.values() for codes in by.values()),
        }


def _share(by_coder: Mapping[str, frozenset[str]], strict: bool) -> frozenset[str]:
    tally: dict[str, int] = {}
    for codes in by_coder.values():
        for code in codes:
            tally[code] = tally.get(code, 0) + 1
    n = len(by_coder)
    return frozenset(c for c, k in tally.items() if (2 * k > n if strict else 2 * k >= n))


def merge_labels(*parts: HumanLabels) -> HumanLabels:
    """All parts together; a coder's codes on a unit are united across parts."""
    cells: dict[str, dict[str, frozenset[str]]] = {}
    for part in parts:
        for unit, by in part.cells.items():
            for coder, codes in by.items():
                mine = cells.setdefault(unit, {})
                mine[coder] = mine.get(coder, frozenset()) | codes
    return HumanLabels(cells, tuple(dict.fromkeys(s for p in parts for s in p.sources)))


def labels_from_spans(units: Sequence, spans: Iterable[SpanCode], source: str) -> HumanLabels:
    """Span codes placed on the coding units holding the largest part of each span."""
    by_doc: dict[str, list] = {}
    for unit in units:
        by_doc.setdefault(unit.doc_id, []).append(unit)
    cells: dict[str, dict[str, set[str]]] = {}
    for span in spans:
        for unit_id in units_holding(by_doc.get(span.doc_id, ()), span.start, span.end):
            codes = cells.setdefault(unit_id, {}).setdefault(span.coder, set())
            if span.code:
                codes.add(span.code)
    return HumanLabels(_frozen(cells), (source,) if cells else ())


def units_holding(units: Sequence, start: int, end: int) -> list[str]:
    """Ids of the units holding the largest part of ``[start, end)`` (all of them on ties)."""
    overlaps = [(min(end, u.end) - max(start, u.start), u.id) for u in units]
    best = max((o for o, _ in overlaps), default=0)
    return [uid for o, uid in overlaps if o > 0 and o == best]


def labels_from_unit_codes(
    units: Sequence, codes: Mapping[str, Iterable[str]], coder: str, source: str
) -> HumanLabels:
    """``{unit id: codes}`` of one coder (e.g. ``classify.codings``); ids of units that
    no longer exist are read as spans of their document."""
    known = {u.id for u in units}
    direct = {uid: {coder: frozenset(c)} for uid, c in codes.items() if uid in known}
    spans = [
        SpanCode(m["doc"], int(m["start"]), int(m["end"]), code, coder)
        for uid, cs in codes.items() if uid not in known and (m := _UNIT_ID.match(uid))
        for code in (sorted(cs) or [None])
    ]
    moved = labels_from_spans(units, spans, source)
    return merge_labels(HumanLabels(direct, (source,) if direct else ()), moved)


def labels_from_decisions(units: Sequence, decisions: Iterable) -> HumanLabels:
    """The review app's decisions: per coder, the latest decision on each (unit, code)
    counts; accept/add/adjudicate apply a code, reject removes it, none codes the unit
    with no code."""
    latest: dict[tuple[str, str, str | None], object] = {}
    for d in decisions:  # oldest first
        latest[(d.coder, d.passage_id, d.code)] = d
    by_coder: dict[str, dict[str, set[str]]] = {}
    for (coder, unit, code), d in latest.items():
        codes = by_coder.setdefault(coder, {}).setdefault(unit, set())
        if d.decision in POSITIVE and code:
            codes.add(code)
    for (coder, unit, code), d in latest.items():
        if d.decision == "reject" and code:
            by_coder[coder][unit].discard(code)
    parts = [labels_from_unit_codes(units, codes, coder, "review decisions")
             for coder, codes in sorted(by_coder.items())]
    return merge_labels(*parts) if parts else HumanLabels()


def _frozen(cells: dict[str, dict[str, set[str]]]) -> dict[str, dict[str, frozenset[str]]]:
    return {u: {c: frozenset(codes) for c, codes in by.items()} for u, by in cells.items()}
