"""Helpers shared by the repositories: time, chunking, upserts, error wrapping."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import StoreError
from pipeline.store.engine import safe_url

T = TypeVar("T")
CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's limits
BATCH = 5_000  # rows per executemany batch


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def where_in(
    conn: Connection, column: sa.ColumnElement, ids: Sequence[str]
) -> Iterator[sa.ColumnElement[bool]]:
    """``column IN ids`` as one clause per chunk of ids.

    PostgreSQL gets ``column = ANY(:array)`` with one array parameter: long
    ``IN (...)`` lists of bound parameters make it fall back to sequential scans.
    """
    if conn.dialect.name == "postgresql":
        array = postgresql.ARRAY(sa.String)
        for chunk in chunks(ids, 50_000):
            yield column == sa.any_(sa.bindparam(None, list(chunk), type_=array))
        return
    for chunk in chunks(ids):
        yield column.in_(chunk)


def insert_rows(conn: Connection, table: sa.Table, rows: Iterable[dict]) -> int:
    """executemany in batches; returns the number of rows inserted. ``rows`` may be a
    generator: only one batch of row dicts exists at a time."""
    rows = iter(rows)
    count = 0
    while batch := list(itertools.islice(rows, BATCH)):
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def upsert(conn: Connection, table: sa.Table, row: dict, keys: Sequence[str]) -> None:
    """Insert ``row`` or update its non-key columns when ``keys`` already exist."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**row)
    updates = {k: stmt.excluded[k] for k in row if k not in keys}
    if updates:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt)


def insert_ignore(conn: Connection, table: sa.Table, row: dict, keys: Sequence[str]) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values(**row).on_conflict_do_nothing(index_elements=keys))


@contextlib.contextmanager
def db_errors(engine: Engine, action: str) -> Iterator[None]:
    """Turn driver errors into :class:`StoreError` naming the store and the action."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        raise StoreError(
            f"{action} violates a store constraint: {exc.orig}",
            file=safe_url(engine.url),
            hint="nothing was written; check the ids in the input.",
        ) from exc
    except sa.exc.OperationalError as exc:
        raise StoreError(
            f"{action} failed: {exc.orig}",
            file=safe_url(engine.url),
            hint="check that the database is reachable and not locked by a stuck process.",
        ) from exc
