"""Results of the whole-corpus stages (cluster, saturation, agreement) and their marks.

A corpus stage is done when its row in ``corpus_stages`` exists with the hash of
the inputs it was computed from (``inputs_hash``); the run compares that hash with
the current inputs' and recomputes only on a change. The row holds the stage's
result as JSON text (``NaN`` allowed, so agreement rows with undefined values
round-trip on SQLite and PostgreSQL alike) and, for a skipped stage, why
(``status="skipped"``, ``note``). Candidate categories also get rows of their
own (``candidates``, ``candidate_passages``) so the review app can page through
them; they are replaced together with the cluster stage's mark, in one
transaction, so the mark never describes other candidates than those stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.engine import writer
from pipeline.store.sqlutil import db_errors, insert_ignore, insert_rows, upsert, utcnow

CS, C, CP = t.corpus_stages, t.candidates, t.candidate_passages


@dataclass(frozen=True)
class StageResult:
    """A corpus stage's mark and result: ``result`` is any JSON-able value."""

    stage: str
    inputs_hash: str
    codebook_hash: str
    status: str = "done"  # "done" | "skipped"
    note: str = ""  # why it was skipped, in the user's words
    result: Any = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class CandidateRecord:
    """One candidate category as stored: its member passages in order, the rest as JSON."""

    id: str
    label_zh: str
    label_en: str
    novelty: float
    passage_ids: tuple[str, ...]
    data: dict = field(default_factory=dict, hash=False, compare=False)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=True)


def _check(result: StageResult) -> None:
    if result.stage not in t.CORPUS_STAGES:
        raise StoreError(f"unknown corpus stage {result.stage!r}",
                         hint=f"use one of: {', '.join(t.CORPUS_STAGES)}.")
    if result.status not in t.CORPUS_STAGE_STATUSES:
        raise StoreError(f"a corpus stage is 'done' or 'skipped', not {result.status!r}",
                         unit=f"stage {result.stage}")


class ResultRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_stage_result(
        self,
        corpus: str,
        result: StageResult,
        candidates: Sequence[CandidateRecord] | None = None,
    ) -> None:
        """Store ``result`` as the stage's mark; with ``candidates``, replace the corpus'
        candidate categories too (same transaction)."""
        _check(result)
        row = {"corpus_id": corpus, "stage": result.stage, "inputs_hash": result.inputs_hash,
               "codebook_hash": result.codebook_hash, "status": result.status,
               "note": result.note, "result": dumps(result.result), "updated_at": utcnow()}
        with db_errors(self._engine, f"save_stage_result({result.stage!r})"):
            with writer(self._engine).begin() as conn:
                insert_ignore(conn, t.corpora, {"id": corpus, "created_at": utcnow()}, ["id"])
                if candidates is not None:
                    self._replace_candidates(conn, corpus, result.codebook_hash, candidates)
                upsert(conn, CS, row, ["corpus_id", "stage"])

    def _replace_candidates(self, conn, corpus, codebook_hash, candidates) -> None:
        conn.execute(CP.delete().where(CP.c.corpus_id == corpus))
        conn.execute(C.delete().where(C.c.corpus_id == corpus))
        insert_rows(conn, C, [
            {"corpus_id": corpus, "id": c.id, "codebook_hash": codebook_hash,
             "label_zh": c.label_zh, "label_en": c.label_en, "novelty": float(c.novelty),
             "size": len(c.passage_ids), "data": dumps({**c.data, "order": i})}
            for i, c in enumerate(candidates)
        ])
        insert_rows(conn, CP, [
            {"corpus_id": corpus, "candidate_id": c.id, "passage_id": pid, "position": j}
            for c in candidates for j, pid in enumerate(c.passage_ids)
        ])

    def stage_result(self, corpus: str, stage: str) -> StageResult | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(CS).where(CS.c.corpus_id == corpus, CS.c.stage == stage)
            ).first()
        if row is None:
            return None
        return StageResult(row.stage, row.inputs_hash, row.codebook_hash, row.status, row.note,
                           json.loads(row.result))

    def candidates(self, corpus: str) -> list[CandidateRecord]:
        """The corpus' candidate categories in the order the cluster stage gave them."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(C).where(C.c.corpus_id == corpus)).all()
            members: dict[str, list[str]] = {}
            query = (sa.select(CP.c.candidate_id, CP.c.passage_id)
                     .where(CP.c.corpus_id == corpus)
                     .order_by(CP.c.candidate_id, CP.c.position))
            for cand, pid in conn.execute(query):
                members.setdefault(cand, []).append(pid)
        out = []
        for row in rows:
            data = json.loads(row.data)
            out.append((data.pop("order", 0), CandidateRecord(
                row.id, row.label_zh, row.label_en, row.novelty,
                tuple(members.get(row.id, ())), data)))
        return [record for _, record in sorted(out, key=lambda pair: (pair[0], pair[1].id))]
