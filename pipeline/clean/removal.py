"""Data types of the clean stage: a logged removal and a cleaned document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.corpus.document import Document

RemovalReason = Literal["too_short", "pattern", "boilerplate", "exact_duplicate", "near_duplicate"]


@dataclass(frozen=True)
class Removal:
    """A span of ``doc_id``'s normalized text that segmentation skips.

    ``reason`` is the rule family; ``rule`` the concrete rule (the regex, the
    threshold, or the id/offsets of the paragraph it duplicates).
    """

    doc_id: str
    start: int
    end: int
    reason: RemovalReason
    rule: str
    text: str


@dataclass(frozen=True)
class CleanResult:
    """A document (unchanged, so offsets stay valid) with the spans removed from it."""

    document: Document
    removals: tuple[Removal, ...] = ()
