"""Researchers' decisions on candidate categories, and the codebook versions they make.

Every action (accept, merge, rename, move passages out, reject) is one attributed
transaction. Accepting or merging also keeps the new codebook version, made from
``base_hash``; the transaction first locks that version and checks that no other
version was made from it meanwhile (two researchers accepting at once), so a
version is never silently overwritten: the loser gets :class:`VersionConflict`
and applies its change again on the newer version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.engine import writer
from pipeline.store.sqlutil import as_utc, db_errors, insert_ignore, utcnow

CD, CB = t.candidate_decisions, t.codebooks


class VersionConflict(StoreError):
    """Another codebook version was made from the same base meanwhile."""


@dataclass(frozen=True)
class NewVersion:
    """A codebook version a decision makes (its parent is the decision's base)."""

    codebook_id: str
    hash: str
    content: str
    version: str = ""
    reason: str = ""
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CandidateDecision:
    id: int
    corpus: str
    candidate_id: str
    action: str
    coder: str
    code_id: str | None
    codebook_hash: str
    new_codebook_hash: str | None
    passage_ids: tuple[str, ...]
    time: datetime
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def _decision(row: sa.Row) -> CandidateDecision:
    return CandidateDecision(row.id, row.corpus_id, row.candidate_id, row.action, row.coder_id,
                             row.code_id, row.codebook_hash, row.new_codebook_hash,
                             tuple(json.loads(row.passage_ids)), as_utc(row.created_at),
                             json.loads(row.details))


class CandidateDecisionRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def decide(
        self,
        corpus: str,
        candidate_id: str,
        action: str,
        coder: str,
        *,
        base_hash: str,
        passage_ids: Sequence[str] = (),
        details: dict[str, Any] | None = None,
        code_id: str | None = None,
        new_version: NewVersion | None = None,
    ) -> int:
        """Record one decision (and the version it makes) in one transaction; its id."""
        if action not in t.CANDIDATE_ACTIONS:
            raise StoreError(f"unknown candidate action {action!r}",
                             hint=f"use one of: {', '.join(t.CANDIDATE_ACTIONS)}.")
        if not coder or not coder.strip():
            raise StoreError("a decision needs a coder name", unit=f"candidate {candidate_id}")
        row = {"corpus_id": corpus, "candidate_id": candidate_id, "action": action,
               "coder_id": coder, "code_id": code_id, "codebook_hash": base_hash,
               "new_codebook_hash": new_version.hash if new_version else None,
               "passage_ids": json.dumps(list(passage_ids), ensure_ascii=False),
               "details": json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
               "created_at": utcnow()}
        with db_errors(self._engine, f"decide({action!r}, {candidate_id!r})"):
            with writer(self._engine).begin() as conn:
                if new_version is not None:
                    self._keep_version(conn, new_version, base_hash, coder)
                insert_ignore(conn, t.coders, {"id": coder, "created_at": utcnow()}, ["id"])
                return conn.execute(CD.insert().values(**row)).inserted_primary_key[0]

    def _keep_version(self, conn, version: NewVersion, base_hash: str, coder: str) -> None:
        base = conn.execute(sa.select(CB.c.hash).where(CB.c.hash == base_hash)
                            .with_for_update()).first()
        if base is None:
            raise StoreError(f"codebook version {base_hash[:12]} is not in the store",
                             hint="run `groundcode run CONFIG` first.")
        child = conn.scalar(sa.select(CB.c.hash).where(CB.c.parent_hash == base_hash).limit(1))
        if child is not None:
            raise VersionConflict(
                f"codebook version {base_hash[:12]} was changed meanwhile (now {child[:12]})",
                hint="apply the decision to the newer version.")
        insert_ignore(conn, CB, {
            "hash": version.hash, "id": version.codebook_id, "version": version.version,
            "content": version.content, "created_at": utcnow(), "parent_hash": base_hash,
            "author": coder, "reason": version.reason,
            "changes": json.dumps(list(version.changes), ensure_ascii=False)}, ["hash"])

    def decisions(self, corpus: str | None = None) -> list[CandidateDecision]:
        """Every decision (on ``corpus``), oldest first."""
        query = sa.select(CD).order_by(CD.c.id)
        if corpus is not None:
            query = query.where(CD.c.corpus_id == corpus)
        with self._engine.connect() as conn:
            return [_decision(r) for r in conn.execute(query)]
