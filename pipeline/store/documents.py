"""Corpora, documents and their passages: replaced as a unit, one transaction each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.corpus.document import Document
from pipeline.errors import StoreError
from pipeline.io import sha256_text
from pipeline.segment.passage import Passage
from pipeline.store import schema as t
from pipeline.store.engine import writer
from pipeline.store.sqlutil import (
    db_errors,
    insert_ignore,
    insert_rows,
    upsert,
    utcnow,
    where_in,
)


def content_hash(doc: Document) -> str:
    return doc.sha256 or sha256_text(doc.text)


def passage_row(p: Passage) -> dict:
    return {
        "id": p.id,
        "doc_id": p.doc_id,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "lang": p.lang,
        "paragraph": p.paragraph,
        "speaker": p.speaker,
        "speaker_role": p.speaker_role,
        "tokens": list(p.tokens),
        "codable": p.codable,
        "context_before": p.context_before,
        "context_after": p.context_after,
        "content": p.content,
    }


def passage_rows(passages: Sequence[Passage]) -> Iterator[dict]:
    """Rows of ``passages``, made as they are inserted; without the ``content`` column
    when no passage has content (NULL is its default), so a store that predates the
    column can still be written."""
    with_content = any(p.content is not None for p in passages)
    for p in passages:
        row = passage_row(p)
        if not with_content:
            del row["content"]
        yield row


def row_passage(row: sa.Row, strings: dict | None = None) -> Passage:
    """The passage of a row; with ``strings``, its document id, language, speaker, role
    and tokens are the str objects found in (or added to) ``strings``, so passages
    read together share one object per distinct value."""
    m = row._mapping
    share = (lambda v: v) if strings is None else (lambda v: strings.setdefault(v, v))
    return Passage(
        id=m["id"],
        doc_id=share(m["doc_id"]),
        start=m["start"],
        end=m["end"],
        text=m["text"],
        lang=share(m["lang"]),
        paragraph=m["paragraph"],
        speaker=share(m["speaker"]),
        speaker_role=share(m["speaker_role"]),
        tokens=tuple(map(share, m["tokens"])),
        codable=bool(m["codable"]),
        context_before=m["context_before"],
        context_after=m["context_after"],
        content=m["content"],
    )


def _check_passages(doc: Document, passages: Sequence[Passage]) -> None:
    for p in passages:
        if p.doc_id != doc.id:
            raise StoreError(
                f"passage {p.id!r} belongs to document {p.doc_id!r}, not {doc.id!r}",
                unit=f"document {doc.id}",
                hint="pass only the document's own passages to replace_document.",
            )


class DocumentRepo:
    """Reads and writes corpora, documents and passages."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def replace_document(
        self, doc: Document, passages: Iterable[Passage], corpus: str = "default"
    ) -> None:
        """Upsert ``doc`` and replace all its passages in ONE transaction.

        Replacing a document drops its suggestions and stage marks (they belonged to
        the old passages); human codings are kept.
        """
        passages = list(passages)
        _check_passages(doc, passages)
        with db_errors(self._engine, f"replace_document({doc.id!r})"):
            with writer(self._engine).begin() as conn:
                self._check_corpus(conn, doc.id, corpus)
                insert_ignore(conn, t.corpora, {"id": corpus, "created_at": utcnow()}, ["id"])
                upsert(conn, t.documents, self._doc_row(doc, corpus), ["id"])
                conn.execute(t.passages.delete().where(t.passages.c.doc_id == doc.id))
                conn.execute(t.document_state.delete().where(t.document_state.c.doc_id == doc.id))
                insert_rows(conn, t.passages, passage_rows(passages))

    @staticmethod
    def _check_corpus(conn: Connection, doc_id: str, corpus: str) -> None:
        owner = conn.scalar(sa.select(t.documents.c.corpus_id).where(t.documents.c.id == doc_id))
        if owner is not None and owner != corpus:
            raise StoreError(
                f"document id {doc_id!r} already belongs to corpus {owner!r}, not {corpus!r}",
                unit=f"document {doc_id}",
                hint="document ids are unique within a store; rename one or use another store.",
            )

    @staticmethod
    def _doc_row(doc: Document, corpus: str) -> dict:
        return {
            "id": doc.id,
            "corpus_id": corpus,
            "kind": doc.kind,
            "lang": doc.lang,
            "sha256": content_hash(doc),
            "meta": doc.meta,
            "text": doc.text,
            "source": doc.source,
            "updated_at": utcnow(),
        }

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Delete documents with their passages, suggestions and stage marks; returns count."""
        ids = sorted(set(doc_ids))
        removed = 0
        with db_errors(self._engine, "remove_documents"):
            with writer(self._engine).begin() as conn:
                for clause in where_in(conn, t.documents.c.id, ids):
                    result = conn.execute(t.documents.delete().where(clause))
                    removed += result.rowcount
        return removed

    def document_ids(self, corpus: str | None = None) -> set[str]:
        query = sa.select(t.documents.c.id)
        if corpus is not None:
            query = query.where(t.documents.c.corpus_id == corpus)
        with self._engine.connect() as conn:
            return set(conn.scalars(query))

    def corpora(self) -> list[str]:
        with self._engine.connect() as conn:
            return list(conn.scalars(sa.select(t.corpora.c.id).order_by(t.corpora.c.id)))

    def documents(self, corpus: str | None = None) -> list[Document]:
        """Every document (of ``corpus``), ordered by id."""
        query = sa.select(t.documents).order_by(t.documents.c.id)
        if corpus is not None:
            query = query.where(t.documents.c.corpus_id == corpus)
        with self._engine.connect() as conn:
            return [_row_document(r) for r in conn.execute(query)]

    def get_document(self, doc_id: str) -> Document | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t.documents).where(t.documents.c.id == doc_id)).first()
        return None if row is None else _row_document(row)


    def corpus_passages(self, corpus: str) -> list[Passage]:
        """Every passage of ``corpus`` in one query, ordered by document and offset; their
        repeated strings (document ids, languages, speakers, tokens) are shared."""
        p, d = t.passages, t.documents
        query = (
            sa.select(p)
            .join(d, d.c.id == p.c.doc_id)
            .where(d.c.corpus_id == corpus)
            .order_by(p.c.doc_id, p.c.start, p.c.end)
        )
        with self._engine.connect() as conn:
            strings: dict = {}
            return [row_passage(r, strings) for r in conn.execute(query)]

    def passage_ids(self, doc_id: str) -> list[str]:
        """The ids of one document's passages, in document order, without reading the
        passages themselves (a long document has hundreds of thousands)."""
        p = t.passages
        query = (sa.select(p.c.id).where(p.c.doc_id == doc_id)
                 .order_by(p.c.doc_id, p.c.start, p.c.end))
        with self._engine.connect() as conn:
            return list(conn.scalars(query))

    def passages(
        self, doc_id: str | None = None, ids: Iterable[str] | None = None
    ) -> list[Passage]:
        """Passages of one document, or with the given ids, or all; in document order."""
        order = (t.passages.c.doc_id, t.passages.c.start, t.passages.c.end)
        base = sa.select(t.passages).order_by(*order)
        with self._engine.connect() as conn:
            if ids is not None:
                rows = []
                for clause in where_in(conn, t.passages.c.id, sorted(set(ids))):
                    rows.extend(conn.execute(base.where(clause)))
                rows.sort(key=lambda r: (r.doc_id, r.start, r.end))
            elif doc_id is not None:
                rows = list(conn.execute(base.where(t.passages.c.doc_id == doc_id)))
            else:
                rows = list(conn.execute(base))
        strings: dict = {}
        return [row_passage(r, strings) for r in rows]


def _row_document(row: sa.Row) -> Document:
    m = row._mapping
    return Document(
        id=m["id"],
        kind=m["kind"],
        lang=m["lang"],
        text=m["text"],
        meta=dict(m["meta"]),
        source=m["source"],
        sha256=m["sha256"],
    )
