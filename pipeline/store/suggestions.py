"""Machine codings: replaced per (passages, codebook hash), so re-running is idempotent."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.classify.suggestion import Suggestion
from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.engine import writer
from pipeline.store.sqlutil import db_errors, insert_rows, where_in

S = t.suggestions
SUGGESTION_FIELDS = ("passage_id", "code_id", "score", "rank", "level", "method", "model",
                     "accepted")  # the order of :class:`Suggestion`'s fields


def _row(s: Suggestion, codebook_hash: str, model: str) -> dict:
    return {
        "passage_id": s.passage_id,
        "code_id": s.code_id,
        "score": float(s.score),
        "rank": int(s.rank),
        "level": s.level,
        "method": s.method,
        "model": s.model or model,
        "accepted": bool(s.accepted),
        "codebook_hash": codebook_hash,
    }


def _suggestion(row: sa.Row) -> Suggestion:
    return Suggestion(
        passage_id=row.passage_id,
        code_id=row.code_id,
        score=row.score,
        rank=row.rank,
        level=row.level,
        method=row.method,
        model=row.model,
        accepted=bool(row.accepted),
    )


class SuggestionRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def replace_suggestions(
        self,
        passage_ids: Iterable[str],
        suggestions: Iterable[Suggestion],
        codebook_hash: str,
        model: str,
    ) -> int:
        """Make the stored suggestions of ``passage_ids`` under ``codebook_hash`` exactly
        ``suggestions`` (any model's earlier rows for them are replaced), in one
        transaction. A suggestion without ``model`` gets ``model``. Returns rows written.
        """
        ids = sorted(set(passage_ids))
        wanted = set(ids)
        rows = [_row(s, codebook_hash, model) for s in suggestions]
        for row in rows:
            if row["passage_id"] not in wanted:
                raise StoreError(
                    f"suggestion for passage {row['passage_id']!r} is outside the passages "
                    "being replaced",
                    unit=f"passage {row['passage_id']}",
                    hint="include every suggested passage id in passage_ids.",
                )
        with db_errors(self._engine, "replace_suggestions"):
            with writer(self._engine).begin() as conn:
                for clause in where_in(conn, S.c.passage_id, ids):
                    conn.execute(S.delete().where(S.c.codebook_hash == codebook_hash, clause))
                return insert_rows(conn, S, rows)

    def suggestions_for(
        self,
        passage_ids: Iterable[str],
        codebook_hash: str | None = None,
        level: str | None = None,
    ) -> dict[str, list[Suggestion]]:
        """Suggestions by passage id, each list ordered by level then rank."""
        query = sa.select(S).order_by(S.c.passage_id, S.c.level, S.c.rank, S.c.code_id)
        if codebook_hash is not None:
            query = query.where(S.c.codebook_hash == codebook_hash)
        if level is not None:
            query = query.where(S.c.level == level)
        out: dict[str, list[Suggestion]] = {}
        with self._engine.connect() as conn:
            for clause in where_in(conn, S.c.passage_id, sorted(set(passage_ids))):
                for row in conn.execute(query.where(clause)):
                    out.setdefault(row.passage_id, []).append(_suggestion(row))
        return out

    def corpus_suggestion_frame(self, corpus: str, codebook_hash: str):
        """Suggestions for the passages of ``corpus`` under ``codebook_hash`` as a
        DataFrame (columns ``SUGGESTION_FIELDS``), ordered by passage id, level, rank and
        code, read in one query without building an object per row.

        The plain DB-API rows are used (every column is a string or a number; the
        flag is made boolean here) and the rows are sorted by pandas, not SQL.
        """
        import numpy as np
        import pandas as pd

        p, d = t.passages, t.documents
        query = (
            sa.select(*(S.c[name] for name in SUGGESTION_FIELDS))
            .join(p, p.c.id == S.c.passage_id)
            .join(d, d.c.id == p.c.doc_id)
            .where(d.c.corpus_id == corpus, S.c.codebook_hash == codebook_hash)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).cursor.fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(SUGGESTION_FIELDS))
        frame = frame.astype({"score": float, "rank": "int64", "accepted": bool})
        keys = [frame["rank"].to_numpy() if c == "rank" else pd.factorize(frame[c], sort=True)[0]
                for c in ("code_id", "rank", "level", "passage_id")]
        return frame.iloc[np.lexsort(keys)].reset_index(drop=True)

    def all_suggestions(
        self, codebook_hash: str | None = None, level: str | None = None
    ) -> list[Suggestion]:
        """Every stored suggestion, ordered by passage, level, rank (for exports)."""
        query = sa.select(S).order_by(S.c.passage_id, S.c.level, S.c.rank, S.c.code_id)
        if codebook_hash is not None:
            query = query.where(S.c.codebook_hash == codebook_hash)
        if level is not None:
            query = query.where(S.c.level == level)
        with self._engine.connect() as conn:
            return [_suggestion(r) for r in conn.execute(query)]
