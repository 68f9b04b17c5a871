"""The clean stage: decide which paragraphs to drop, corpus-wide and deterministically."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from pipeline.clean.removal import CleanResult, Removal
from pipeline.clean.rules import RULES, corpus_paragraphs, near_duplicates
from pipeline.clean.settings import CleanSettings
from pipeline.corpus.document import Document
from pipeline.errors import CleanError


def clean_corpus(
    documents: Iterable[Document],
    settings: CleanSettings | None = None,
    memo_path: str | Path | None = None,
) -> list[CleanResult]:
    """One ``CleanResult`` per document, in input order; document texts are unchanged.

    Rules run in order (too short, patterns, boilerplate, exact and near duplicates);
    a paragraph is removed by the first rule that applies, and "first occurrence"
    means first in input-document then text order. ``enabled: false`` removes nothing.

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
    paragraphs = corpus_paragraphs(documents)
    removed: dict[int, Removal] = {}
    for rule in RULES:
        if rule is near_duplicates and memo_path is not None:
            removed.update(near_duplicates(paragraphs, settings, removed, Path(memo_path)))
        else:
            removed.update(rule(paragraphs, settings, removed))
    by_doc: dict[str, list[Removal]] = defaultdict(list)
    for index in sorted(removed):
        by_doc[paragraphs[index].doc_id].append(removed[index])
    return [CleanResult(doc, tuple(by_doc.get(doc.id, ()))) for doc in documents]
