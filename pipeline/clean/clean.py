"""The clean stage: decide which paragraphs to drop, corpus-wide and deterministically."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pipeline.clean.noncontent import noncontent_removals
from pipeline.clean.removal import CleanResult, Removal
from pipeline.clean.rules import RULES, Paragraph, corpus_paragraphs, near_duplicates
from pipeline.clean.settings import CleanSettings
from pipeline.corpus.document import Document
from pipeline.errors import CleanError
from pipeline.segment.paragraphs import subtract_spans


def clean_corpus(
    documents: Iterable[Document],
    settings: CleanSettings | None = None,
    memo_path: str | Path | None = None,
) -> list[CleanResult]:
    """One ``CleanResult`` per document, in input order; document texts are unchanged.

    First each document's non-content text is recognised (references, front matter,
    captions, page furniture, markup; see :mod:`pipeline.clean.noncontent`; kinds in
    ``keep`` stay). Then the paragraph rules run in order (too short, patterns,
    boilerplate, exact and near duplicates) over the paragraphs not wholly removed
    already; a paragraph is removed by the first rule that applies, and "first
    occurrence" means first in input-document then text order. ``enabled: false``
    removes nothing.

    ``memo_path`` (a file in the run's cache) lets the near-duplicate rule compare only
    paragraphs the last run did not see; the result is the same.
    """
    settings = settings if settings is not None else CleanSettings()
    documents = list(documents)
    repeated = sorted(i for i, n in Counter(d.id for d in documents).items() if n > 1)
    if repeated:
        raise CleanError(
            f"document ids occur more than once: {', '.join(repeated)}",
            unit="clean_corpus input",
            hint="give every document a unique id in the manifest",
        )
    if not settings.enabled:
        return [CleanResult(doc) for doc in documents]
    by_doc: dict[str, list[Removal]] = {
        doc.id: noncontent_removals(doc, settings.keep) for doc in documents
    }
    paragraphs = corpus_paragraphs(documents)
    covered = {i: None for i, p in enumerate(paragraphs) if _covered(p, by_doc[p.doc_id])}
    removed: dict[int, Removal] = {}
    for rule in RULES:
        seen = {**covered, **removed}
        if rule is near_duplicates and memo_path is not None:
            removed.update(near_duplicates(paragraphs, settings, seen, Path(memo_path)))
        else:
            removed.update(rule(paragraphs, settings, seen))
    for index in sorted(removed):
        by_doc[paragraphs[index].doc_id].append(removed[index])
    return [CleanResult(doc, tuple(sorted(by_doc[doc.id], key=_order))) for doc in documents]


def _order(removal: Removal) -> tuple[int, int]:
    return removal.start, removal.end


def _covered(paragraph: Paragraph, removals: list[Removal]) -> bool:
    """Whether ``removals`` cover every non-space character of ``paragraph``."""
    spans = [(r.start, r.end) for r in removals
             if r.start < paragraph.end and r.end > paragraph.start]
    if not spans:
        return False
    pieces = subtract_spans(paragraph.start, paragraph.end, sorted(spans))
    return all(not paragraph.text[a - paragraph.start : b - paragraph.start].strip()
               for a, b in pieces)
