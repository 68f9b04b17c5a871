"""On-disk vector cache keyed by (embedder id, sha256 of the text).

One SQLite file (``vectors.sqlite``) per cache folder. Each ``encode`` call looks
up all keys and embeds only the missing *distinct* texts, in chunks of about
``chunk`` texts (default 2,048): each chunk is embedded by one call of the inner
embedder and stored in its own transaction, so a run killed while embedding a large
document keeps every chunk already stored, and the next call embeds only the rest.
A run killed mid-write leaves the cache as it was before that chunk's transaction
(SQLite's journal makes the write atomic), never half a vector.

The chunks follow the order in which the backends batch (texts sorted by length,
stable) and hold a whole number of the inner embedder's batches, so each batch sees
the same texts as in one unchunked call and the vectors are the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.embed.base import Embedder
from pipeline.errors import ModelError
from pipeline.io import sha256_text

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors ("
    " embedder TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL,"
    " PRIMARY KEY (embedder, key)) WITHOUT ROWID"
)
_CHUNK = 500  # keys per SELECT (below SQLite's host-parameter limit)
ENCODE_CHUNK = 2048  # texts per inner encode call and cache transaction


class CachedEmbedder:
    """Wraps ``inner``; a text is embedded at most once per embedder id and cache folder."""

    def __init__(self, inner: Embedder, cache_dir: str | Path, chunk: int = ENCODE_CHUNK) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        batch = getattr(inner, "batch_size", None)
        # a whole number of the inner embedder's batches (see the module docstring)
        self.chunk = max(1, round(chunk / batch)) * batch if batch else max(1, chunk)
        self.id = inner.id
        self.hits = 0
        self.misses = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def path(self) -> Path:
        return self.cache_dir / "vectors.sqlite"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        rows: dict[str, list[int]] = {}  # key -> its rows in the output, first-seen order
        for i, text in enumerate(texts):
            rows.setdefault(sha256_text(text), []).append(i)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._connect() as conn:
            # vectors go straight into ``out``: the cached blobs are never all held at once
            found = self._fill(conn, rows, out)
            missing = {k: texts[r[0]] for k, r in rows.items() if k not in found}
            if missing:
                self._embed_missing(conn, missing, rows, out)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return out

    def _embed_missing(self, conn: sqlite3.Connection, missing: dict[str, str],
                       rows: dict[str, list[int]], out: np.ndarray) -> None:
        """Embed ``missing`` (key -> text) chunk by chunk, committing each chunk."""
        keys, texts = list(missing), list(missing.values())
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(order), self.chunk):
            idx = order[start : start + self.chunk]
            idx = np.sort(idx)  # first-seen order; the inner call sorts by length, stably
            new = np.asarray(self.inner.encode([texts[i] for i in idx]), dtype=np.float32)
            chunk_keys = [keys[i] for i in idx]
            with conn:  # one transaction per chunk
                conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                 [(self.id, k, v.tobytes()) for k, v in zip(chunk_keys, new,
                                                                             strict=True)])
            for key, vector in zip(chunk_keys, new, strict=True):
                out[rows[key]] = vector

    def _fill(self, conn: sqlite3.Connection, rows: dict[str, list[int]],
              out: np.ndarray) -> set[str]:
        """Write the cached vectors of ``rows``' keys into ``out``; the keys found."""
        found: set[str] = set()
        unique = list(rows)
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, vec FROM vectors WHERE embedder = ? AND key IN ({marks})"
            for key, blob in conn.execute(query, [self.id, *chunk]):
                out[rows[key]] = np.frombuffer(blob, dtype=np.float32)
                found.add(key)
        return found

    def lookup(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors of ``texts`` by text hash (misses are simply absent)."""
        keys = [sha256_text(t) for t in texts]
        with self._connect() as conn:
            return self._lookup(conn, keys)

    def store(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Put vectors computed elsewhere (e.g. by Ray actors) into the cache."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(texts) != len(vectors) or (len(vectors) and vectors.shape[1] != self.dim):
            raise ModelError(
                f"{len(texts)} texts but vectors of shape {vectors.shape}",
                file=self.path,
                hint=f"vectors must come from {self.id} (dimension {self.dim}).",
            )
        rows = [(self.id, sha256_text(t), v.tobytes()) for t, v in zip(texts, vectors, strict=True)]
        with self._connect() as conn:
            conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def _connect(self) -> sqlite3.Connection:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ModelError(
                f"the embedding cache cannot be opened: {exc}",
                file=self.path,
                hint="delete the cache file; it is rebuilt on the next run.",
            ) from exc
        return conn

    def _lookup(self, conn: sqlite3.Connection, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, vec FROM vectors WHERE embedder = ? AND key IN ({marks})"
            for key, blob in conn.execute(query, [self.id, *chunk]):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found
