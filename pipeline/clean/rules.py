"""The clean rules. Each takes the corpus's paragraphs and the removals decided so
far and returns new removals (paragraph index -> Removal) for paragraphs still kept."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.clean.removal import Removal, RemovalReason
from pipeline.clean.settings import CleanSettings
from pipeline.corpus.document import Document
from pipeline.segment.paragraphs import paragraph_spans

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    start: int
    end: int
    text: str
    key: str  # the text without whitespace: what duplicate rules compare

    def removal(self, reason: RemovalReason, rule: str) -> Removal:
        return Removal(self.doc_id, self.start, self.end, reason, rule, self.text)

    @property
    def ref(self) -> str:
        return f"{self.doc_id}:{self.start}-{self.end}"


def corpus_paragraphs(documents: Iterable[Document]) -> list[Paragraph]:
    """Every paragraph of every document, in document then text order."""
    out = []
    for doc in documents:
        for start, end in paragraph_spans(doc.text):
            text = doc.text[start:end]
            out.append(Paragraph(doc.id, start, end, text, _SPACE.sub("", text)))
    return out


def too_short(paragraphs, settings: CleanSettings, removed) -> dict[int, Removal]:
    limit = settings.min_paragraph_chars
    rule = f"fewer than {limit} characters"
    return {
        i: p.removal("too_short", rule)
        for i, p in enumerate(paragraphs)
        if i not in removed and len(p.key) < limit
    }


def patterns(paragraphs, settings: CleanSettings, removed) -> dict[int, Removal]:
    compiled = [(p, re.compile(p)) for p in settings.patterns]
    out = {}
    for i, para in enumerate(paragraphs):
        if i in removed:
            continue
        hit = next((src for src, rx in compiled if rx.search(para.text)), None)
        if hit is not None:
            out[i] = para.removal("pattern", hit)
    return out


def _eligible(paragraphs, settings: CleanSettings, removed) -> list[int]:
    return [
        i
        for i, p in enumerate(paragraphs)
        if i not in removed and len(p.key) >= settings.duplicate_min_chars
    ]


def boilerplate(paragraphs, settings: CleanSettings, removed) -> dict[int, Removal]:
    limit = settings.boilerplate_min_documents
    if limit == 0:
        return {}
    by_key: dict[str, list[int]] = defaultdict(list)
    for i in _eligible(paragraphs, settings, removed):
        by_key[paragraphs[i].key].append(i)
    out = {}
    for indices in by_key.values():
        docs = {paragraphs[i].doc_id for i in indices}
        if len(docs) >= limit:
            rule = f"in {len(docs)} documents (>= {limit})"
            out.update({i: paragraphs[i].removal("boilerplate", rule) for i in indices})
    return out


def exact_duplicates(paragraphs, settings: CleanSettings, removed) -> dict[int, Removal]:
    if not settings.exact_duplicates:
        return {}
    first: dict[str, int] = {}
    out = {}
    for i in _eligible(paragraphs, settings, removed):
        key = paragraphs[i].key
        if key in first:
            rule = f"duplicate of {paragraphs[first[key]].ref}"
            out[i] = paragraphs[i].removal("exact_duplicate", rule)
        else:
            first[key] = i
    return out


def near_duplicates(
    paragraphs, settings: CleanSettings, removed, memo_path: Path | None = None
) -> dict[int, Removal]:
    """Jaccard over character 3-shingles against earlier kept paragraphs (exact; see
    :mod:`pipeline.clean.neardup`). With ``memo_path`` only paragraphs the last run's
    memo does not know are compared, and the memo is updated."""
    from pipeline.clean.neardup import NearDuplicateMemo, near_duplicate_decisions, row_ids

    threshold = settings.near_duplicate_threshold
    indices = [i for i in _eligible(paragraphs, settings, removed) if len(paragraphs[i].key) > 3]
    if threshold >= 1.0 or len(indices) < 2:
        return {}
    rows = [paragraphs[i] for i in indices]
    ids = row_ids([(p.doc_id, p.start, p.end, p.key) for p in rows])
    memo = NearDuplicateMemo.load(memo_path, threshold) if memo_path is not None else None
    decisions, updated = near_duplicate_decisions([p.key for p in rows], ids, threshold, memo)
    if memo_path is not None and (memo is None or not np.array_equal(memo.ids, ids)):
        updated.save(memo_path)
    out = {}
    for row in np.flatnonzero(decisions.match >= 0):
        para, other = rows[row], rows[decisions.match[row]]
        rule = f"jaccard {decisions.jaccard[row]:.3f} >= {threshold} with {other.ref}"
        out[indices[row]] = para.removal("near_duplicate", rule)
    return out


RULES = (too_short, patterns, boilerplate, exact_duplicates, near_duplicates)
