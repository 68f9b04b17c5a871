"""``open_store(url) -> Store``: the store's entry point.

``Store`` is a thin bundle of repositories (one per table group) sharing one
engine; the operations the pipeline uses most are forwarded for convenience.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.errors import StoreError
from pipeline.store import schema as t
from pipeline.store.candidates import CandidateDecisionRepo
from pipeline.store.codings import CodingRepo
from pipeline.store.documents import DocumentRepo
from pipeline.store.engine import make_engine, safe_url
from pipeline.store.migrate import upgrade
from pipeline.store.results import ResultRepo
from pipeline.store.runs import CodebookRepo, RunRepo
from pipeline.store.state import StateRepo
from pipeline.store.suggestions import SuggestionRepo


@dataclass(frozen=True)
class Store:
    url: str
    engine: Engine = field(repr=False)
    documents: DocumentRepo = field(repr=False)
    state: StateRepo = field(repr=False)
    suggestions: SuggestionRepo = field(repr=False)
    codings: CodingRepo = field(repr=False)
    runs: RunRepo = field(repr=False)
    codebooks: CodebookRepo = field(repr=False)
    results: ResultRepo = field(repr=False)
    candidates: CandidateDecisionRepo = field(repr=False)

    @classmethod
    def from_engine(cls, engine: Engine) -> Store:
        return cls(
            url=safe_url(engine.url),
            engine=engine,
            documents=DocumentRepo(engine),
            state=StateRepo(engine),
            suggestions=SuggestionRepo(engine),
            codings=CodingRepo(engine),
            runs=RunRepo(engine),
            codebooks=CodebookRepo(engine),
            results=ResultRepo(engine),
            candidates=CandidateDecisionRepo(engine),
        )

    # -- forwarded operations (see the repositories for the documentation) ---------
    def replace_document(self, doc, passages, corpus: str = "default") -> None:
        self.documents.replace_document(doc, passages, corpus)

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        return self.documents.remove_documents(doc_ids)

    def replace_suggestions(self, passage_ids, suggestions, codebook_hash: str, model: str) -> int:
        return self.suggestions.replace_suggestions(passage_ids, suggestions, codebook_hash, model)

    def mark_stage(self, doc_id: str, stage, hashes) -> None:
        self.state.mark_stage(doc_id, stage, hashes)

    def pending_documents(self, corpus, docs, codebook_hash, embedder_id, stage, settings_hash=""):
        return self.state.pending_documents(
            corpus, docs, codebook_hash, embedder_id, stage, settings_hash
        )

    def record_decision(self, coder, passage_id, code, decision, **details: Any) -> int:
        return self.codings.record_decision(coder, passage_id, code, decision, **details)

    def undo_last(self, coder: str) -> int | None:
        return self.codings.undo_last(coder)

    def decisions(self, coder: str | None = None):
        return self.codings.decisions(coder)

    # -- housekeeping ----------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows per table (for run.json, tests and sanity checks)."""
        with self.engine.connect() as conn:
            return {
                name: conn.scalar(sa.select(sa.func.count()).select_from(table))
                for name, table in sorted(t.metadata.tables.items())
            }

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str, revision: str = "head") -> Store:
    """Open (creating or migrating as needed) the store at ``url``.

    ``sqlite:///path.db`` (WAL, foreign keys on, busy timeout) or
    ``postgresql+psycopg://user:pw@host:port/db``. ``revision`` is for tests of the
    migration path; normal callers always get the newest schema.
    """
    engine = make_engine(url)
    try:
        upgrade(engine, revision)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot open store: {exc.orig}",
            file=safe_url(url),
            hint="check the URL, that the server is running and the user may connect.",
        ) from exc
    except (sa.exc.DatabaseError, UnicodeDecodeError) as exc:  # a damaged SQLite file
        engine.dispose()
        reason = exc.orig if isinstance(exc, sa.exc.DatabaseError) else exc
        raise StoreError(
            f"the store is damaged: {reason}",
            file=safe_url(url),
            hint="restore it from a backup, or move it away and run again to rebuild it "
                 "(human codings live only in the store).",
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return Store.from_engine(engine)
