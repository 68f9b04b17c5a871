"""Runs (what was done, with which config/codebook/model) and codebooks by content hash."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.engine import writer
from pipeline.store.records import CodebookRecord, RunRecord
from pipeline.store.sqlutil import as_utc, db_errors, insert_ignore, upsert, utcnow

R, CB = t.runs, t.codebooks


def _run(row: sa.Row) -> RunRecord:
    return RunRecord(
        id=row.id,
        config=dict(row.config),
        code_version=row.code_version,
        seed=row.seed,
        status=row.status,
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at),
        codebook_hash=row.codebook_hash,
        embedder_id=row.embedder_id,
        timings=dict(row.timings),
        counts=dict(row.counts),
    )


class RunRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start_run(
        self,
        run_id: str,
        config: Mapping[str, Any],
        code_version: str,
        seed: int,
        codebook_hash: str | None = None,
        embedder_id: str | None = None,
    ) -> RunRecord:
        """Record a run as ``running``; starting an existing id again (resume) resets it."""
        row = {
            "id": run_id,
            "config": dict(config),
            "code_version": code_version,
            "seed": int(seed),
            "codebook_hash": codebook_hash,
            "embedder_id": embedder_id,
            "started_at": utcnow(),
            "finished_at": None,
            "status": "running",
            "timings": {},
            "counts": {},
        }
        with db_errors(self._engine, f"start_run({run_id!r})"):
            with writer(self._engine).begin() as conn:
                upsert(conn, R, row, ["id"])
        return self.get_run(run_id)

    def finish_run(
        self,
        run_id: str,
        status: str = "finished",
        timings: Mapping[str, float] | None = None,
        counts: Mapping[str, int] | None = None,
    ) -> RunRecord:
        if status not in ("finished", "failed"):
            raise StoreError(
                f"a run finishes as 'finished' or 'failed', not {status!r}", unit=f"run {run_id}"
            )
        values = {"status": status, "finished_at": utcnow()}
        values["timings"] = dict(timings or {})
        values["counts"] = dict(counts or {})
        with db_errors(self._engine, f"finish_run({run_id!r})"):
            with writer(self._engine).begin() as conn:
                if conn.execute(R.update().where(R.c.id == run_id).values(**values)).rowcount == 0:
                    raise StoreError(
                        f"run {run_id!r} was never started", hint="call start_run first."
                    )
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(R).where(R.c.id == run_id)).first()
        return None if row is None else _run(row)

    def runs(self) -> list[RunRecord]:
        with self._engine.connect() as conn:
            return [_run(r) for r in conn.execute(sa.select(R).order_by(R.c.started_at, R.c.id))]


def _codebook(row: sa.Row) -> CodebookRecord:
    changes = tuple(json.loads(row.changes)) if row.changes else ()
    return CodebookRecord(row.id, row.hash, row.version, row.content, row.parent_hash,
                          row.author, row.reason, changes, as_utc(row.created_at))


class CodebookRepo:
    """Codebook versions by content hash, each with its parent version, author, reason
    and the list of changes that made it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_codebook(
        self,
        codebook_id: str,
        hash: str,
        content: str,
        version: str = "",
        *,
        parent: str | None = None,
        author: str | None = None,
        reason: str | None = None,
        changes: Sequence[str] = (),
    ) -> bool:
        """Keep a codebook version (YAML text) under its content hash; idempotent (a version
        already kept keeps its first lineage). Returns whether it was new."""
        if not hash:
            raise StoreError(f"codebook {codebook_id!r} has no content hash", unit=codebook_id)
        row = {
            "hash": hash,
            "id": codebook_id,
            "version": version,
            "content": content,
            "created_at": utcnow(),
            "parent_hash": parent,
            "author": author,
            "reason": reason,
            "changes": json.dumps(list(changes), ensure_ascii=False) if changes else None,
        }
        with db_errors(self._engine, f"save_codebook({codebook_id!r})"):
            with writer(self._engine).begin() as conn:
                if conn.scalar(sa.select(CB.c.hash).where(CB.c.hash == hash)) is not None:
                    return False
                insert_ignore(conn, CB, row, ["hash"])
                return True

    def get_codebook(self, hash: str) -> CodebookRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(CB).where(CB.c.hash == hash)).first()
        return None if row is None else _codebook(row)

    def codebooks(self, codebook_id: str | None = None) -> list[CodebookRecord]:
        """Every kept version (of ``codebook_id``), oldest first."""
        query = sa.select(CB).order_by(CB.c.created_at, CB.c.hash)
        if codebook_id is not None:
            query = query.where(CB.c.id == codebook_id)
        with self._engine.connect() as conn:
            return [_codebook(r) for r in conn.execute(query)]

    def latest_descendant(self, hash: str) -> CodebookRecord | None:
        """The newest version made (through any number of steps) from version ``hash``,
        or that version itself; None when ``hash`` is not kept."""
        records = self.codebooks()
        by_hash = {r.hash: r for r in records}
        if hash not in by_hash:
            return None

        def descends(record: CodebookRecord) -> bool:
            seen = set()
            while record is not None and record.hash not in seen:
                if record.hash == hash:
                    return True
                seen.add(record.hash)
                record = by_hash.get(record.parent_hash) if record.parent_hash else None
            return False

        return [r for r in records if descends(r)][-1]
