"""Run the store's Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import StoreError
from pipeline.store.engine import safe_url, writer

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store at ``engine`` to ``revision`` in one transaction.

    The transaction holds the write lock, so two processes opening a new store at
    the same time migrate it once. A store made by a newer groundcode (unknown
    revision) is an error, never silently used.
    """
    config = alembic_config()
    with writer(engine).begin() as conn:
        _check_known(conn, engine)
        if revision == "head" and _at_head(conn):
            return
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, revision)
        except CommandError as exc:
            raise StoreError(
                f"cannot migrate store {safe_url(engine.url)} to {revision}: {exc}",
            ) from exc


def _at_head(conn: Connection) -> bool:
    return MigrationContext.configure(conn).get_current_revision() == head_revision()


def _check_known(conn: Connection, engine: Engine) -> None:
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        return
    scripts = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in scripts.walk_revisions()}
    if current not in known:
        raise StoreError(
            f"store {safe_url(engine.url)} is at schema revision {current!r}, "
            "which this version of groundcode does not know",
            hint="it was written by a newer groundcode; upgrade groundcode to open it.",
        )
