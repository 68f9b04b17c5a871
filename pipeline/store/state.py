"""Per-document stage marks for incremental and resumable runs.

A stage is done for a document when its mark exists and every hash the stage
depends on is unchanged (see :class:`~pipeline.store.records.StageHashes`).
Marks are written after the stage's rows, so a run killed in between simply
redoes that document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.corpus.document import Document
from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.documents import content_hash
from pipeline.store.engine import writer
from pipeline.store.records import Stage, StageHashes
from pipeline.store.sqlutil import db_errors, upsert, utcnow, where_in

DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "segmented": ("content_hash", "settings_hash"),
    "embedded": ("content_hash", "settings_hash", "embedder_id"),
    "classified": ("content_hash", "settings_hash", "embedder_id", "codebook_hash"),
}


def _check_stage(stage: str) -> None:
    if stage not in DEPENDS_ON:
        raise StoreError(f"unknown stage {stage!r}", hint=f"use one of: {', '.join(t.STAGES)}.")


class StateRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def mark_stage(self, doc_id: str, stage: Stage, hashes: StageHashes) -> None:
        self.mark_stages(stage, {doc_id: hashes})

    def mark_stages(self, stage: Stage, hashes: Mapping[str, StageHashes]) -> None:
        """Mark ``stage`` done for many documents in one transaction."""
        _check_stage(stage)
        with db_errors(self._engine, f"mark_stage({stage!r})"):
            with writer(self._engine).begin() as conn:
                known = set()
                for clause in where_in(conn, t.documents.c.id, sorted(hashes)):
                    known.update(conn.scalars(sa.select(t.documents.c.id).where(clause)))
                missing = sorted(set(hashes) - known)
                if missing:
                    raise StoreError(
                        f"cannot mark stage {stage!r}: document {missing[0]!r} is not in the store",
                        unit=f"document {missing[0]}",
                        hint="write the document with replace_document first.",
                    )
                for doc_id, h in sorted(hashes.items()):
                    row = {"doc_id": doc_id, "stage": stage, "updated_at": utcnow()}
                    row.update({k: getattr(h, k) for k in DEPENDS_ON["classified"]})
                    upsert(conn, t.document_state, row, ["doc_id", "stage"])

    def pending_documents(
        self,
        corpus: str,
        docs: Iterable[Document],
        codebook_hash: str,
        embedder_id: str,
        stage: Stage,
        settings_hash: str = "",
    ) -> list[Document]:
        """The documents of ``docs`` (in their order) whose ``stage`` must be (re)done."""
        _check_stage(stage)
        docs = list(docs)
        marks = self._marks(corpus, [d.id for d in docs], stage)
        fields = DEPENDS_ON[stage]
        pending = []
        for doc in docs:
            wanted = StageHashes(content_hash(doc), codebook_hash, embedder_id, settings_hash)
            mark = marks.get(doc.id)
            if mark is None or any(getattr(wanted, f) != mark[f] for f in fields):
                pending.append(doc)
        return pending

    def _marks(self, corpus: str, doc_ids: list[str], stage: str) -> dict[str, Mapping]:
        s, d = t.document_state, t.documents
        query = (
            sa.select(s)
            .join(d, d.c.id == s.c.doc_id)
            .where(s.c.stage == stage, d.c.corpus_id == corpus)
        )
        marks: dict[str, Mapping] = {}
        with self._engine.connect() as conn:
            for clause in where_in(conn, s.c.doc_id, sorted(set(doc_ids))):
                for row in conn.execute(query.where(clause)):
                    marks[row.doc_id] = row._mapping
        return marks
