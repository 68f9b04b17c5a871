"""Saturation test on reserved cases: do they bring concepts the codebook lacks?

A reserved case adds a *new concept* when a candidate category (a cluster of
passages without a confident code) is made only of reserved-case passages: the
earlier cases never said anything like it. Verdict: saturated when no such
cluster exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.cluster.candidates import ClusterResult
from pipeline.segment.passage import Passage


@dataclass(frozen=True)
class ReservedCase:
    doc_id: str
    passages: int
    uncoded: tuple[str, ...]  # passage ids without a confident code
    codes: tuple[str, ...]  # confident codes in this case
    new_concepts: tuple[str, ...]  # candidate ids made only of reserved passages, with ours


@dataclass(frozen=True)
class ReservedVerdict:
    saturated: bool
    reason: str
    cases: tuple[ReservedCase, ...]
    new_concepts: tuple[str, ...]


def codes_per_case(
    passages: Iterable[Passage], suggestions: Iterable[Suggestion], case_order: Sequence[str]
) -> dict[str, set[str]]:
    """Confident (accepted, not ``NO_CODE``) codes per document, in ``case_order``."""
    doc_of = {p.id: p.doc_id for p in passages}
    out: dict[str, set[str]] = {doc: set() for doc in case_order}
    for s in suggestions:
        doc = doc_of.get(s.passage_id)
        if s.accepted and s.code_id != NO_CODE and doc in out:
            out[doc].add(s.code_id)
    return out


def assess_reserved(
    passages: Sequence[Passage],
    suggestions: Iterable[Suggestion],
    clusters: ClusterResult,
    reserved: Sequence[str],
) -> ReservedVerdict:
    """Per reserved case: uncoded passages, confident codes, new concepts; and the verdict."""
    suggestions = list(suggestions)
    reserved_set = set(reserved)
    doc_of = {p.id: p.doc_id for p in passages}
    only_reserved = [
        c
        for c in clusters.candidates
        if all(doc_of.get(pid) in reserved_set for pid in c.passage_ids)
    ]
    coded = codes_per_case(passages, suggestions, reserved)
    confident = {s.passage_id for s in suggestions if s.accepted and s.code_id != NO_CODE}
    cases = tuple(
        ReservedCase(
            doc_id=doc,
            passages=sum(1 for p in passages if p.doc_id == doc),
            uncoded=tuple(p.id for p in passages if p.doc_id == doc and p.id not in confident),
            codes=tuple(sorted(coded[doc])),
            new_concepts=tuple(
                c.id for c in only_reserved if any(doc_of[pid] == doc for pid in c.passage_ids)
            ),
        )
        for doc in reserved
    )
    return ReservedVerdict(
        saturated=not only_reserved,
        reason=_reason(only_reserved, cases),
        cases=cases,
        new_concepts=tuple(c.id for c in only_reserved),
    )


def _reason(only_reserved, cases: Sequence[ReservedCase]) -> str:
    uncoded = sum(len(c.uncoded) for c in cases)
    total = sum(c.passages for c in cases)
    if only_reserved:
        named = "; ".join(
            f"{c.id} ({'、'.join(c.keywords[:3]) or 'no keywords'})" for c in only_reserved
        )
        return (
            f"{len(only_reserved)} candidate categories hold only reserved-case passages "
            f"(new concepts): {named}"
        )
    return (
        f"no candidate category is made only of reserved-case passages; {uncoded} of {total} "
        "reserved passages lack a confident code and either join clusters shared with "
        "earlier cases or stay outliers"
    )


def ordered_cases(
    documents: Iterable, reserved: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """(case order, reserved ids): manifest order with reserved cases moved last.

    ``reserved`` defaults to documents whose manifest ``meta`` has ``reserved: true``.
    """
    docs = list(documents)
    chosen = (
        list(reserved)
        if reserved is not None
        else [d.id for d in docs if _truthy(d.meta.get("reserved"))]
    )
    known = {d.id for d in docs}
    missing = [r for r in chosen if r not in known]
    if missing:
        from pipeline.errors import ManifestError

        raise ManifestError(
            f"reserved case ids not in the corpus: {', '.join(missing)}",
            hint="use document ids from the manifest.",
        )
    order = [d.id for d in docs if d.id not in chosen] + chosen
    return order, chosen


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1"}
    return bool(value)
