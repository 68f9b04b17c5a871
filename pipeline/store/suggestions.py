"""Machine codings: replaced per (passages, codebook hash), so re-running is idempotent."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.classify.suggestion import Suggestion
from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.engine import writer
from pipeline.store.sqlutil import db_errors, insert_rows, where_in

S = t.suggestions
FETCH = 50_000  # rows per fetchmany when reading a corpus's suggestions
SUGGESTION_FIELDS = ("passage_id", "code_id", "score", "rank", "level", "method", "model",
                     "accepted")  # the order of :class:`Suggestion`'s fields


_DTYPES = {"score": np.float64, "rank": np.int64, "accepted": np.bool_}  # others: object


def _column(name: str, values: tuple, strings: dict) -> np.ndarray:
    """One field of a batch of rows: numbers as a typed array, text as an object array
    whose equal values are one shared str object (from ``strings``)."""
    dtype = _DTYPES.get(name)
    if dtype is not None:
        return np.array(values, dtype=dtype)
    out = np.empty(len(values), dtype=object)
    out[:] = [strings.setdefault(v, v) for v in values]
    return out


def _joined(name: str, parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=_DTYPES.get(name, object))


def suggestion_frame(columns: dict[str, np.ndarray], order: np.ndarray):
    """The rows ``order`` of ``columns`` (see :meth:`SuggestionRepo.corpus_suggestion_columns`)
    as a DataFrame with columns ``SUGGESTION_FIELDS``; each column is dropped from
    ``columns`` once taken, so only one is ever held twice."""
    import pandas as pd

    taken = {}
    for name in SUGGESTION_FIELDS:
        taken[name] = columns.pop(name)[order]
    return pd.DataFrame(taken, columns=list(SUGGESTION_FIELDS), copy=False)


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
        code, read without building an object per row (see :meth:`corpus_suggestion_columns`).
        """
        import numpy as np
        import pandas as pd

        columns = self.corpus_suggestion_columns(corpus, codebook_hash)
        keys = [columns["rank"] if c == "rank" else pd.factorize(columns[c], sort=True)[0]
                for c in ("code_id", "rank", "level", "passage_id")]
        return suggestion_frame(columns, np.lexsort(keys))

    def corpus_suggestion_columns(
        self, corpus: str, codebook_hash: str, strings: dict | None = None
    ) -> dict[str, np.ndarray]:
        """The suggestions of ``corpus`` under ``codebook_hash`` as one array per field of
        ``SUGGESTION_FIELDS``, in no particular order: text fields as object arrays,
        ``score`` float64, ``rank`` int64, ``accepted`` bool.

        Read ``FETCH`` rows at a time (a server-side cursor where the database has them); every distinct text value is one
        str object (looked up in and added to ``strings``), so a corpus of millions of
        rows holds each passage id, code, level, method and model once.
        """
        p, d = t.passages, t.documents
        query = (
            sa.select(*(S.c[name] for name in SUGGESTION_FIELDS))
            .join(p, p.c.id == S.c.passage_id)
            .join(d, d.c.id == p.c.doc_id)
            .where(d.c.corpus_id == corpus, S.c.codebook_hash == codebook_hash)
        )
        strings = {} if strings is None else strings
        parts: list[list[np.ndarray]] = [[] for _ in SUGGESTION_FIELDS]
        with self._engine.connect() as conn:
            result = conn.execution_options(yield_per=FETCH).execute(query)
            for rows in result.partitions():
                fields = zip(*rows, strict=True)
                for part, name, values in zip(parts, SUGGESTION_FIELDS, fields, strict=True):
                    part.append(_column(name, values, strings))
        joined = {}
        for i, name in enumerate(SUGGESTION_FIELDS):  # a field's batches go once joined,
            joined[name], parts[i] = _joined(name, parts[i]), []  # so one is held twice
        return joined

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
