"""Human decisions, coders and memos: every action is one transaction."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import StoreError
from pipeline.segment.passage import Passage
from pipeline.store import schema as t
from pipeline.store.documents import row_passage
from pipeline.store.engine import writer
from pipeline.store.records import Decision, DecisionKind, Memo
from pipeline.store.sqlutil import as_utc, db_errors, insert_ignore, utcnow, where_in

C, P = t.codings, t.passages
NEEDS_CODE = {"accept", "reject", "add"}


def _check_decision(coder: str, passage_id: str, code: str | None, decision: str) -> None:
    unit = f"coder {coder}, passage {passage_id}"
    if not coder or not coder.strip():
        raise StoreError("a decision needs a coder name", unit=f"passage {passage_id}")
    if decision not in t.DECISIONS:
        raise StoreError(
            f"unknown decision {decision!r}",
            unit=unit,
            hint=f"use one of: {', '.join(t.DECISIONS)}.",
        )
    if decision in NEEDS_CODE and not code:
        raise StoreError(f"decision {decision!r} needs a code", unit=unit)
    if decision == "none" and code is not None:
        raise StoreError(
            "decision 'none' (no code applies) cannot carry a code",
            unit=unit,
            hint="pass code=None for 'none'.",
        )


def _decision(row: sa.Row) -> Decision:
    return Decision(
        id=row.id,
        coder=row.coder_id,
        passage_id=row.passage_id,
        code=row.code_id,
        decision=row.decision,
        time=as_utc(row.created_at),
        shown=row.shown_code,
        score=row.score,
        model=row.model,
        memo=row.memo,
        codebook_hash=row.codebook_hash,
    )


def _check_passage(conn: Connection, passage_id: str, coder: str) -> None:
    """Decisions and memos are only made on passages the store has (now)."""
    if conn.scalar(sa.select(P.c.id).where(P.c.id == passage_id)) is None:
        raise StoreError(
            f"passage {passage_id!r} is not in the store",
            unit=f"coder {coder}",
            hint="reload the review page; the corpus may have been re-run.",
        )


def _ensure_coder(conn: Connection, coder: str) -> None:
    insert_ignore(conn, t.coders, {"id": coder, "created_at": utcnow()}, ["id"])


class CodingRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record_decision(
        self,
        coder: str,
        passage_id: str,
        code: str | None,
        decision: DecisionKind,
        *,
        shown: str | None = None,
        score: float | None = None,
        model: str | None = None,
        memo: str | None = None,
        codebook_hash: str | None = None,
    ) -> int:
        """Store one decision in one transaction; returns its row id. ``codebook_hash``
        names the codebook version the coder saw."""
        _check_decision(coder, passage_id, code, decision)
        row = {
            "coder_id": coder,
            "passage_id": passage_id,
            "code_id": code,
            "decision": decision,
            "created_at": utcnow(),
            "shown_code": shown,
            "score": None if score is None else float(score),
            "model": model,
            "memo": memo,
            "codebook_hash": codebook_hash,
        }
        with db_errors(self._engine, "record_decision"):
            with writer(self._engine).begin() as conn:
                _check_passage(conn, passage_id, coder)
                _ensure_coder(conn, coder)
                return conn.execute(C.insert().values(**row)).inserted_primary_key[0]

    def undo_last(self, coder: str) -> int | None:
        """Withdraw ``coder``'s latest active decision (kept for audit); returns its id."""
        with db_errors(self._engine, "undo_last"):
            with writer(self._engine).begin() as conn:
                last = conn.scalar(
                    sa.select(sa.func.max(C.c.id)).where(
                        C.c.coder_id == coder, C.c.undone_at.is_(None)
                    )
                )
                if last is not None:
                    conn.execute(C.update().where(C.c.id == last).values(undone_at=utcnow()))
                return last

    def undo_decision(self, coder: str) -> str | None:
        """Like :meth:`undo_last`, returning the passage id of the withdrawn decision."""
        with db_errors(self._engine, "undo_last"):
            with writer(self._engine).begin() as conn:
                last = conn.execute(
                    sa.select(C.c.id, C.c.passage_id)
                    .where(C.c.coder_id == coder, C.c.undone_at.is_(None))
                    .order_by(C.c.id.desc())
                    .limit(1)
                ).first()
                if last is None:
                    return None
                conn.execute(C.update().where(C.c.id == last.id).values(undone_at=utcnow()))
                return last.passage_id

    def decided_passages(self, coder: str) -> set[str]:
        """Passages ``coder`` has at least one active decision on."""
        query = sa.select(C.c.passage_id).where(C.c.coder_id == coder, C.c.undone_at.is_(None))
        with self._engine.connect() as conn:
            return set(conn.scalars(query.distinct()))

    def decisions(
        self, coder: str | None = None, passage_ids: Iterable[str] | None = None
    ) -> list[Decision]:
        """Active (not undone) decisions, oldest first; optionally one coder's only."""
        query = sa.select(C).where(C.c.undone_at.is_(None)).order_by(C.c.id)
        if coder is not None:
            query = query.where(C.c.coder_id == coder)
        with self._engine.connect() as conn:
            if passage_ids is None:
                return [_decision(r) for r in conn.execute(query)]
            rows = []
            for clause in where_in(conn, C.c.passage_id, sorted(set(passage_ids))):
                rows.extend(conn.execute(query.where(clause)))
        return [_decision(r) for r in sorted(rows, key=lambda r: r.id)]

    def coders(self) -> list[str]:
        with self._engine.connect() as conn:
            return list(conn.scalars(sa.select(t.coders.c.id).order_by(t.coders.c.id)))

    def add_memo(
        self, coder: str, text: str, passage_id: str | None = None, code: str | None = None
    ) -> int:
        """Store a memo, on a passage the store has if ``passage_id``; returns its row id."""
        row = {
            "coder_id": coder,
            "text": text,
            "passage_id": passage_id,
            "code_id": code,
            "created_at": utcnow(),
        }
        with db_errors(self._engine, "add_memo"):
            with writer(self._engine).begin() as conn:
                if passage_id is not None:
                    _check_passage(conn, passage_id, coder)
                _ensure_coder(conn, coder)
                return conn.execute(t.memos.insert().values(**row)).inserted_primary_key[0]

    def memos(self, coder: str | None = None, passage_id: str | None = None) -> list[Memo]:
        m = t.memos
        query = sa.select(m).order_by(m.c.id)
        if coder is not None:
            query = query.where(m.c.coder_id == coder)
        if passage_id is not None:
            query = query.where(m.c.passage_id == passage_id)
        with self._engine.connect() as conn:
            return [
                Memo(r.id, r.coder_id, r.text, as_utc(r.created_at), r.passage_id, r.code_id)
                for r in conn.execute(query)
            ]

    def review_queue(
        self,
        coder: str,
        limit: int = 20,
        after: str | None = None,
        doc_id: str | None = None,
        code: str | None = None,
    ) -> list[Passage]:
        """The next ``limit`` codable passages ``coder`` has not decided, in document
        order, starting after passage ``after``; optionally within one document or
        among passages with a suggestion for ``code``.
        """
        decided = sa.exists().where(
            C.c.coder_id == coder, C.c.passage_id == P.c.id, C.c.undone_at.is_(None)
        )
        query = sa.select(P).where(P.c.codable.is_(True), ~decided)
        if doc_id is not None:
            query = query.where(P.c.doc_id == doc_id)
        if code is not None:
            s = t.suggestions
            query = query.where(sa.exists().where(s.c.passage_id == P.c.id, s.c.code_id == code))
        with self._engine.connect() as conn:
            if after is not None:
                query = query.where(self._after(conn, after))
            query = query.order_by(P.c.doc_id, P.c.start, P.c.end).limit(limit)
            return [row_passage(r) for r in conn.execute(query)]

    @staticmethod
    def _after(conn: Connection, passage_id: str) -> sa.ColumnElement[bool]:
        row = conn.execute(sa.select(P.c.doc_id, P.c.start, P.c.end).where(P.c.id == passage_id))
        anchor = row.first()
        if anchor is None:
            raise StoreError(f"passage {passage_id!r} is not in the store", unit="review queue")
        key = sa.tuple_(P.c.doc_id, P.c.start, P.c.end)
        return key > sa.tuple_(*(sa.literal(v) for v in anchor))
