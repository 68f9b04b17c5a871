"""The store: documents, passages, suggestions, human codings and runs in SQL.

SQLite (WAL) is the embedded default; the same code runs on PostgreSQL by URL.
Every write is one transaction; the schema is migrated by Alembic on open.
"""

from pipeline.store.records import (
    CodebookRecord,
    Decision,
    DecisionKind,
    Memo,
    RunRecord,
    Stage,
    StageHashes,
)
from pipeline.store.schema import DECISIONS, STAGES
from pipeline.store.store import Store, open_store

__all__ = [
    "DECISIONS",
    "STAGES",
    "CodebookRecord",
    "Decision",
    "DecisionKind",
    "Memo",
    "RunRecord",
    "Stage",
    "StageHashes",
    "Store",
    "open_store",
]
