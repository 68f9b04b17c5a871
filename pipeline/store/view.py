"""One corpus as read back from the store: documents, passages and suggestions.

Every whole-corpus stage (cluster, saturation, agreement) and every output reads
the corpus through :func:`read_view`; a run reads it once and hands the same view
to each. :func:`view_digest` is the hash the corpus stages compare to decide
whether their input changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.corpus.document import Document
from pipeline.segment.passage import Passage

PASSAGE_COLUMNS = ["id", "doc_id", "start", "end", "text", "lang", "paragraph", "speaker",
                   "speaker_role", "codable"]
SUGGESTION_COLUMNS = ["passage_id", "code_id", "score", "rank", "level", "method", "model",
                      "accepted"]


@dataclass
class StoreView:
    """One corpus as read back from the store.

    ``suggestion_frame`` holds the suggestions (``SUGGESTION_COLUMNS``) in passage
    order, then level, rank and code; ``initial`` are its initial-level rows as
    objects, built on first use.
    """

    documents: list[Document]
    passages: list[Passage]
    suggestion_frame: pd.DataFrame
    coder_model: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def codable(self) -> list[Passage]:
        return [p for p in self.passages if p.codable]

    @property
    def initial(self) -> list[Suggestion]:
        """The initial-level suggestions as objects, made on each use (millions of them
        for a large corpus: a stage holds them while it runs, the view does not)."""
        return _suggestion_objects(self.initial_frame())

    def initial_frame(self, passage_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The initial-level rows of ``suggestion_frame`` (of ``passage_ids`` only)."""
        frame = self.suggestion_frame
        keep = frame["level"] == "initial"
        if passage_ids is not None:
            keep &= frame["passage_id"].isin(list(passage_ids))
        return frame[keep]

    @property
    def accepted_initial(self) -> list[Suggestion]:
        """The accepted initial-level suggestions other than ``NO_CODE``: the machine's
        codings, all that clustering and saturation read of the suggestions."""
        frame = self.suggestion_frame
        return _suggestion_objects(frame[(frame["level"] == "initial") & frame["accepted"]
                                         & (frame["code_id"] != NO_CODE)])


def _suggestion_objects(frame: pd.DataFrame) -> list[Suggestion]:
    columns = [frame[c].tolist() for c in SUGGESTION_COLUMNS]
    return [Suggestion(*row) for row in zip(*columns, strict=True)]


def read_view(store, corpus_id: str, codebook_hash: str, passages=None) -> StoreView:
    """The corpus as stored: its documents, its passages in document order and their
    suggestions in passage order, then level, rank and code (suggestions of passages
    the corpus does not hold are left out). ``passages``: the corpus's passages already
    read by ``corpus_passages`` (then they are not read again)."""
    from pipeline.store.suggestions import suggestion_frame

    docs = store.documents.documents(corpus_id)
    if passages is None:
        passages = store.documents.corpus_passages(corpus_id)
    # passage order is document then offset (ids sort differently: "d:100-" < "d:20-");
    # the frame's passage ids are the passages' own str objects
    index = {p.id: i for i, p in enumerate(passages)}
    strings = {p.id: p.id for p in passages}
    columns = store.suggestions.corpus_suggestion_columns(corpus_id, codebook_hash, strings)
    del strings
    position = np.fromiter((index.get(pid, -1) for pid in columns["passage_id"]), np.int64,
                           len(columns["passage_id"]))
    del index
    known = np.flatnonzero(position >= 0)
    keys = [columns["rank"][known] if c == "rank" else
            pd.factorize(columns[c][known], sort=True)[0] for c in ("code_id", "rank", "level")]
    order = known[np.lexsort([*keys, position[known]])]
    return StoreView(docs, passages, suggestion_frame(columns, order))


def documents_frame(docs: Iterable[Document]) -> pd.DataFrame:
    rows = [{"id": d.id, "kind": d.kind, "lang": d.lang, "sha256": d.sha256, "source": d.source,
             "chars": len(d.text), "meta": d.meta} for d in docs]
    return pd.DataFrame(rows, columns=["id", "kind", "lang", "sha256", "source", "chars", "meta"])


def _columns_frame(records: Iterable, columns: Sequence[str]) -> pd.DataFrame:
    """One column at a time (much faster than a dict per record)."""
    records = list(records)
    if not records:
        return pd.DataFrame(columns=list(columns))
    data = {c: [getattr(r, c) for r in records] for c in columns}
    return pd.DataFrame(data, columns=list(columns))


def passages_frame(passages: Iterable[Passage]) -> pd.DataFrame:
    return _columns_frame(passages, PASSAGE_COLUMNS)


def suggestions_frame(suggestions: Iterable[Suggestion]) -> pd.DataFrame:
    frame = _columns_frame(suggestions, SUGGESTION_COLUMNS)
    return frame.astype({"score": float, "rank": int, "accepted": bool})


def view_digest(view: StoreView) -> str:
    """A hash of everything a corpus stage may read from the view: the documents (ids,
    content hashes, order), the passages' spans and codability, every suggestion."""
    docs = json.dumps([(d.id, d.sha256) for d in view.documents])
    spans = _columns_frame(view.passages, ["id", "doc_id", "start", "end", "codable"])
    parts = [docs.encode()]
    for frame in (spans, view.suggestion_frame):
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        parts.append(hashed.tobytes())
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:32]
