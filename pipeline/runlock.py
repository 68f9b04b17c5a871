"""One writer at a time per output folder and store: the run lock.

``groundcode run`` (and ``groundcode export``, which renders into the same
folder) hold :func:`run_lock` for their whole length:

* an OS file lock (``filelock``: ``flock`` on POSIX) on ``<output>/.groundcode.lock``.
  The kernel drops it when the holder exits, however it exits (``kill -9``
  included), so a dead run never blocks the next one;
* beside it ``<output>/.groundcode.lock.json`` (written atomically once the lock
  is held, removed on release) names the holder: command, pid, host, start time,
  config file and run id. Only the lock says whether someone holds it; the file
  is read only to name the holder in the message, and a file whose process is
  gone is reported as stale;
* with a PostgreSQL store, also a session advisory lock (``pg_try_advisory_lock``)
  in the store's database, so runs on two machines sharing one database exclude
  each other. The lock's connection carries the holder in its
  ``application_name``, which is how the other machine names it.

A second run gets :class:`~pipeline.errors.RunLockedError` at once, or after
polling for up to ``wait`` seconds. ``groundcode review`` takes no lock: its
writes are store transactions and its models go to ``models/review``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import RunLockedError
from pipeline.io import atomic_write_text
from pipeline.paths import JobPaths

LOCK_NAME = ".groundcode.lock"
HOLDER_NAME = ".groundcode.lock.json"
POLL_SECONDS = 0.2
_PG_KEY = int.from_bytes(hashlib.sha256(b"groundcode run lock").digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a run lock."""

    command: str
    pid: int
    host: str
    started_at: str
    config: str | None
    run_id: str | None

    def describe(self) -> str:
        config = f", config {self.config}" if self.config else ""
        return (f"groundcode {self.command} (pid {self.pid} on {self.host}, "
                f"started {self.started_at}{config})")

    def alive(self) -> bool | None:
        """Whether the process still exists (None: on another host, cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # someone else's process
        return True


def lock_path(output: Path) -> Path:
    return Path(output) / LOCK_NAME


def read_holder(output: Path) -> Holder | None:
    """The holder file's record, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((Path(output) / HOLDER_NAME).read_text("utf-8"))
        return Holder(**{k: data.get(k) for k in Holder.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


@contextlib.contextmanager
def run_lock(
    paths: JobPaths,
    *,
    command: str = "run",
    config_path: str | Path | None = None,
    run_id: str | None = None,
    wait: float = 0.0,
) -> Iterator[Holder]:
    """Hold the output folder's (and a PostgreSQL store's) run lock; yield this holder."""
    from filelock import FileLock, Timeout

    if wait < 0:
        from pipeline.errors import ConfigError

        raise ConfigError("--wait must be 0 or more seconds", unit="--wait")
    started = time.monotonic()
    # a PostgreSQL driver that is not installed fails here, before any file is written
    engine = _pg_engine(paths.store_url, command) if paths.store_url.startswith("postgresql") \
        else None
    paths.output.mkdir(parents=True, exist_ok=True)
    target = lock_path(paths.output)
    file_lock = FileLock(str(target), thread_local=False)
    try:
        file_lock.acquire(timeout=wait, poll_interval=POLL_SECONDS)
    except Timeout:
        if engine is not None:
            engine.dispose()
        raise _busy(paths.output, target, wait) from None
    me = Holder(command, os.getpid(), socket.gethostname(),
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                str(Path(config_path).resolve()) if config_path is not None else None, run_id)
    holder_file = paths.output / HOLDER_NAME
    pg = None
    try:
        atomic_write_text(holder_file, json.dumps(asdict(me), indent=2) + "\n")
        if engine is not None:
            remaining = max(0.0, wait - (time.monotonic() - started))
            pg = _pg_lock(engine, remaining, asked=wait)
        yield me
    finally:
        if pg is not None:
            _pg_unlock(pg)
        if read_holder(paths.output) == me:
            holder_file.unlink(missing_ok=True)
        file_lock.release()


def _busy(output: Path, target: Path, wait: float) -> RunLockedError:
    holder = read_holder(output)
    waited = f" after waiting {wait:g} s" if wait else ""
    if holder is None:
        who = "another groundcode process (it has not named itself yet)"
    elif holder.alive() is False:
        who = (f"another groundcode process; the holder file names {holder.describe()}, "
               "which is no longer running (a stale record)")
    else:
        who = holder.describe()
    return RunLockedError(
        f"this output folder is locked{waited} by {who}",
        file=target,
        hint="wait for it to finish, or pass --wait SECONDS to wait for it up to that long.",
    )


@dataclass
class _PgLock:
    engine: object
    connection: object


def _pg_engine(url: str, command: str):
    """An engine for the lock's own session, named after this process (``application_name``)."""
    import sqlalchemy as sa

    from pipeline.store.engine import make_engine

    name = f"groundcode {command} {os.getpid()}@{socket.gethostname()}"[:63]
    checked = make_engine(url)  # the driver named and installed, or a StoreError
    try:
        return sa.create_engine(checked.url, connect_args={"application_name": name},
                                isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    finally:
        checked.dispose()


def _pg_lock(engine, wait: float, *, asked: float) -> _PgLock:
    """Poll for the advisory lock for ``wait`` seconds (``asked``: the whole wait, for the message)."""
    import sqlalchemy as sa

    connection = engine.connect()
    deadline = time.monotonic() + wait
    try:
        while True:
            got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": _PG_KEY}).scalar()
            if got:
                return _PgLock(engine, connection)
            if time.monotonic() >= deadline:
                raise RunLockedError(
                    f"the PostgreSQL store is locked{f' after waiting {asked:g} s' if asked else ''}"
                    f" by {_pg_holder(connection)}",
                    file=engine.url.render_as_string(hide_password=True),
                    hint="another machine is running groundcode on this database; wait for "
                    "it to finish, or pass --wait SECONDS to wait for it up to that long.",
                )
            time.sleep(POLL_SECONDS)
    except BaseException:
        connection.close()
        engine.dispose()
        raise


def _pg_holder(connection) -> str:
    import sqlalchemy as sa

    key = _PG_KEY & 0xFFFFFFFFFFFFFFFF
    row = connection.execute(sa.text(
        "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        "AND l.granted AND l.classid::bigint = :hi AND l.objid::bigint = :lo "
        "AND l.objsubid = 1 LIMIT 1"), {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).first()
    if row is None:
        return "another session (it has just let go: try again)"
    app, addr, since = row
    where = f" from {addr}" if addr else ""
    return f"{app or 'another session'}{where}, connected since {since:%Y-%m-%d %H:%M:%S%z}"


def _pg_unlock(pg: _PgLock) -> None:
    import sqlalchemy as sa

    try:
        pg.connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_KEY})
    except Exception:  # noqa: BLE001 - closing the session releases it anyway
        pass
    finally:
        pg.connection.close()
        pg.engine.dispose()
