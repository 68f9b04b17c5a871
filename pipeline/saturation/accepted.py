"""Saturation from the researchers' own decisions (the study's criterion).

The study coded cases one by one, accepted new initial categories as they came
up, and kept a few cases in reserve: saturation holds when the reserved cases
bring no category the earlier cases had not. Here a category counts for a case
when a researcher accepted it on a passage of that case: by accepting a candidate
category as a new code or merging one into a code (its member passages), or by
accepting or adding the code on a passage in the review page. Cases are taken in
the configured order (reserved cases last).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.saturation.measures import CaseStep, cumulative_steps


@dataclass(frozen=True)
class AcceptedCode:
    """A researcher accepted ``code`` on a passage of document ``doc_id``."""

    doc_id: str
    code: str


@dataclass(frozen=True)
class AcceptedCategories:
    steps: tuple[CaseStep, ...]  # per case, in order: categories, new ones, cumulative
    new_by_case: tuple[tuple[str, tuple[str, ...]], ...]  # (case, categories first seen there)
    reserved: tuple[str, ...]
    reserved_new: tuple[str, ...]  # categories first accepted in a reserved case
    decisions: int  # accepted (case, category) pairs counted

    @property
    def saturated(self) -> bool | None:
        """No reserved case added a category (None: no reserved case, or nothing accepted)."""
        if not self.reserved or not self.decisions:
            return None
        return not self.reserved_new


def accepted_categories(
    order: Sequence[str], reserved: Sequence[str], accepted: Iterable[AcceptedCode]
) -> AcceptedCategories:
    per_case: dict[str, set[str]] = {case: set() for case in order}
    count = 0
    for item in accepted:
        if item.doc_id in per_case:
            per_case[item.doc_id].add(item.code)
            count += 1
    seen: set[str] = set()
    new_by_case = []
    for case in order:
        new = sorted(per_case[case] - seen)
        seen |= per_case[case]
        new_by_case.append((case, tuple(new)))
    reserved_set = set(reserved)
    reserved_new = sorted({c for case, new in new_by_case if case in reserved_set for c in new})
    return AcceptedCategories(cumulative_steps(per_case), tuple(new_by_case), tuple(reserved),
                              tuple(reserved_new), count)
