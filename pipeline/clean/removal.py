"""Data types of the clean stage: a logged removal and a cleaned document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.corpus.document import Document

#: text that is not content, recognised in each document (``clean.keep`` turns one back on)
NonContent = Literal["references", "front_matter", "captions", "furniture", "markup"]
NON_CONTENT: tuple[NonContent, ...] = ("references", "front_matter", "captions", "furniture",
                                       "markup")
RemovalReason = Literal[
    "too_short", "pattern", "boilerplate", "exact_duplicate", "near_duplicate",
    "references", "front_matter", "captions", "furniture", "markup",
]
#: removals the segmenter reads across (masks) instead of cutting the text at them:
#: markup inside a sentence, a page number or running header inside a wrapped one
INLINE_REASONS = frozenset({"markup", "furniture"})


@dataclass(frozen=True)
class Removal:
    """A span of ``doc_id``'s normalized text that segmentation skips.

    ``reason`` is the rule family; ``rule`` the concrete rule (the regex, the
    threshold, the id/offsets of the paragraph it duplicates, or what a span of
    non-content text was recognised as). An *inline* removal (markup, page
    furniture) does not end a sentence or a paragraph: the segmenter reads across
    it and leaves it out of what the models read (``Passage.content``).
    """

    doc_id: str
    start: int
    end: int
    reason: RemovalReason
    rule: str
    text: str

    @property
    def inline(self) -> bool:
        return self.reason in INLINE_REASONS


@dataclass(frozen=True)
class CleanResult:
    """A document (unchanged, so offsets stay valid) with the spans removed from it."""

    document: Document
    removals: tuple[Removal, ...] = ()
