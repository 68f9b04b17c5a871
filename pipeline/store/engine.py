"""Engines for the store: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL.

SQLite transactions are started by us (``BEGIN`` / ``BEGIN IMMEDIATE``) instead of
by the driver, so that a write transaction takes the write lock up front and
waits on the busy timeout instead of failing when two coders write at once.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
BEGIN_OPTION = "groundcode_sqlite_begin"


def safe_url(url: str | sa.URL) -> str:
    """The URL with any password masked, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given
        return str(url)


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; raises :class:`StoreError` for unusable URLs."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(
            f"store URL {url!r} is not a valid SQLAlchemy URL",
            hint="use sqlite:///path/to/store.db or postgresql+psycopg://user@host/db.",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _create(parsed, pool_pre_ping=True)
    raise StoreError(
        f"store URL {safe_url(parsed)} uses backend {backend!r}",
        hint="groundcode stores support sqlite:/// and postgresql+psycopg:// URLs.",
    )


def _create(url: sa.URL, **kwargs) -> Engine:
    try:
        return sa.create_engine(url, **kwargs)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise StoreError(
            f"the database driver for {safe_url(url)} is not installed ({exc})",
            hint="install the postgres extra: pip install 'groundcode[postgres]'.",
        ) from exc


def _sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise StoreError(
            f"store URL {safe_url(url)} is not a file",
            hint="an in-memory SQLite store is lost on exit; give a path: sqlite:///store.db.",
        )
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = _create(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine whose transactions take the write lock at BEGIN (SQLite)."""
    return engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
