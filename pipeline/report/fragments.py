"""Content-addressed fragments of the big outputs, so a run rewrites only what changed.

``coding.xlsx`` and ``project.qdpx`` are rewritten in full on every run, but
almost all of their bytes are per-document pieces (a document's ``<row>``
elements, its ``<TextSource>`` element) that only change when that document's
passages or codings change. :class:`FragmentCache` keeps those pieces in one
SQLite file (``fragments.sqlite`` in the run's cache folder), keyed by

    (output kind, format version, sha256 of the fragment's exact inputs)

so a writer hashes the inputs of every fragment (cheap), takes the unchanged
ones from the cache and builds only the rest. At the end of each
:meth:`FragmentCache.resolve` the fragments of that kind that the call did not
use are deleted, so the file holds one run's fragments, not every run's.

The cache never decides an output: a value whose checksum does not match is
rebuilt, a file that is not a readable database is deleted and rebuilt, and a
cache that cannot be opened or written (locked, read-only folder) is skipped
for the call, which then builds everything. Building must be a pure function
of the hashed inputs (the format version covers the writer's code).
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "fragments.sqlite"
_SCHEMA = 2
_CHUNK = 500  # SQL parameters per IN (...) query
_BUSY_TIMEOUT = 30.0


def input_digest(*parts: bytes | str) -> str:
    """sha256 of ``parts``, each length-prefixed so that no two part lists collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


@dataclass
class FragmentStats:
    """What the last :meth:`FragmentCache.resolve` of a kind did."""

    hits: int = 0
    built: int = 0
    pruned: int = 0
    rebuilt_file: bool = False  # the cache file was corrupt and started afresh
    cached: bool = True  # False when the call ran without the cache


Builder = Callable[[Sequence[int]], Sequence[bytes]]


class FragmentCache:
    """Fragments in ``<folder>/fragments.sqlite``; ``folder=None`` caches nothing."""

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.stats: dict[str, FragmentStats] = {}

    @property
    def path(self) -> Path | None:
        return self.folder / FILE_NAME if self.folder is not None else None

    def resolve(
        self, kind: str, version: str, digests: Sequence[str], build: Builder
    ) -> list[bytes]:
        """The fragment of every digest: cached ones read back, the others from
        ``build(indices)`` (indices into ``digests``, returning their bytes in that
        order) and stored. Fragments of ``kind`` not among ``digests`` are pruned."""
        stats = FragmentStats()
        self.stats[kind] = stats
        wanted = list(dict.fromkeys(digests))
        found = self._session(stats, lambda conn: _read(conn, kind, version, wanted)) or {}
        missing = [i for i, d in enumerate(digests) if d not in found]
        fresh: dict[str, bytes] = {}
        if missing:
            unique = list({digests[i]: i for i in missing}.values())
            for i, value in zip(unique, _checked(build(unique), len(unique)), strict=True):
                fresh[digests[i]] = value
        stats.hits = sum(1 for d in digests if d in found)
        stats.built = len(fresh)
        if stats.cached:
            pruned = self._session(stats, lambda conn: _write(conn, kind, version, found, fresh))
            stats.pruned = pruned or 0
        return [found[d] if d in found else fresh[d] for d in digests]

    @contextmanager
    def batches(self, kind: str, version: str) -> Iterator[Callable[..., list[bytes]]]:
        """A :meth:`resolve` for one batch of fragments at a time, so a writer holds one
        batch, not the whole output: ``with cache.batches(kind, version) as resolve:``
        then ``resolve(digests, build)`` per batch. Fresh fragments are stored batch by
        batch; on a clean exit those of ``kind`` no batch used are pruned."""
        stats = FragmentStats()
        self.stats[kind] = stats
        used: set[str] = set()

        def resolve(digests: Sequence[str], build: Builder) -> list[bytes]:
            used.update(digests)
            wanted = list(dict.fromkeys(digests))
            found = self._session(stats, lambda conn: _read(conn, kind, version, wanted)) or {}
            missing = list({d: i for i, d in enumerate(digests) if d not in found}.values())
            fresh = dict(zip((digests[i] for i in missing),
                             _checked(build(missing), len(missing)) if missing else [],
                             strict=True))
            stats.hits += sum(1 for d in digests if d in found)
            stats.built += len(fresh)
            if stats.cached and fresh:
                self._session(stats, lambda conn: _write(conn, kind, version, None, fresh))
            return [found[d] if d in found else fresh[d] for d in digests]

        yield resolve
        if stats.cached:
            pruned = self._session(stats, lambda conn: _write(conn, kind, version, used, {}))
            stats.pruned = pruned or 0

    def _session(self, stats: FragmentStats, work: Callable[[sqlite3.Connection], object]):
        """``work(connection)``, or None when the cache is unusable. A corrupt file is
        deleted (the next session starts a new one); any other failure (locked,
        read-only, disk full) turns the cache off for the rest of the call."""
        conn = self._connect(stats)
        if conn is None:
            return None
        try:
            return work(conn)
        except sqlite3.DatabaseError as exc:
            try:
                if conn.in_transaction:
                    conn.rollback()
            except sqlite3.Error:
                pass
            if _is_corruption(exc) and _remove_database(self.path):
                stats.rebuilt_file = True
            else:
                stats.cached = False
            return None
        finally:
            conn.close()

    def _connect(self, stats: FragmentStats) -> sqlite3.Connection | None:
        """An open cache with the current schema, or None (no folder, or unusable)."""
        if self.path is None:
            stats.cached = False
            return None
        for attempt in range(2):
            conn = None
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
                conn.execute("PRAGMA synchronous=NORMAL")
                _ensure_schema(conn)
                return conn
            except (OSError, sqlite3.Error) as exc:
                if conn is not None:
                    conn.close()
                corrupt = _is_corruption(exc)
                if attempt or not corrupt or not _remove_database(self.path):
                    break
                stats.rebuilt_file = True
        stats.cached = False
        return None


def _is_corruption(exc: BaseException) -> bool:
    """A database error that is the file's fault (not a lock, a read-only folder, a full disk)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def _read(conn: sqlite3.Connection, kind: str, version: str, wanted: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT digest, crc, value FROM fragments WHERE kind = ? AND version = ? "
            f"AND digest IN ({marks})",
            (kind, version, *chunk),
        )
        for digest, crc, value in rows:
            value = bytes(value)
            if zlib.crc32(value) == crc:  # a damaged value is a miss, and is rewritten
                found[digest] = value
    return found


def _write(conn, kind: str, version: str, found, fresh: dict) -> int:
    """Add the fresh fragments and prune those of ``kind`` neither ``found`` nor ``fresh``
    hold (digests); ``found=None`` prunes nothing. Returns the number pruned."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT OR REPLACE INTO fragments (kind, version, digest, crc, value) "
            "VALUES (?, ?, ?, ?, ?)",
            [(kind, version, d, zlib.crc32(v), v) for d, v in fresh.items()],
        )
        pruned = 0
        if found is not None:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS used (digest TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM used")
            conn.executemany(
                "INSERT OR IGNORE INTO used (digest) VALUES (?)", [(d,) for d in (*found, *fresh)]
            )
            pruned = conn.execute(
                "DELETE FROM fragments WHERE kind = ? "
                "AND (version <> ? OR digest NOT IN (SELECT digest FROM used))",
                (kind, version),
            ).rowcount
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    return pruned


def _ensure_schema(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == _SCHEMA:
        return
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DROP TABLE IF EXISTS fragments")
    conn.execute(
        "CREATE TABLE fragments (kind TEXT NOT NULL, version TEXT NOT NULL, "
        "digest TEXT NOT NULL, crc INTEGER NOT NULL, value BLOB NOT NULL, "
        "PRIMARY KEY (kind, version, digest))"
    )
    conn.execute(f"PRAGMA user_version = {_SCHEMA}")
    conn.execute("COMMIT")


def _checked(values: Sequence[bytes], n: int) -> list[bytes]:
    values = list(values)
    if len(values) != n or not all(isinstance(v, bytes) for v in values):
        raise TypeError(f"a fragment builder must return {n} bytes values")
    return values


def _remove_database(path: Path) -> bool:
    """Delete a corrupt cache file (and its journal); True when it is gone."""
    try:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    except OSError:
        return False
    return True
