"""Near-duplicate paragraphs: exact Jaccard over character 3-shingles, incremental.

A paragraph is a near duplicate when its Jaccard similarity with an *earlier,
kept* paragraph reaches the threshold, so the decision for row ``i`` depends only
on rows before it. That makes the rule incremental: :class:`NearDuplicateMemo`
keeps, from the last run, every eligible row's identity (document, offsets,
text), its decision and its shingles. A new run reuses the decisions of the
longest unchanged prefix of rows and compares only the rows after it (for a new
edition appended to a corpus: only its own paragraphs) — the result is the
same as a full recomputation, which is what the tests check.

Shingles are hashed (scikit-learn's ``HashingVectorizer``, MurmurHash3 into
2**30 buckets), so no vocabulary ties one run to the next; at that size two
different shingles of one pair of paragraphs share a bucket with probability
around 1e-6, i.e. the similarity is exact in practice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from pipeline.io import atomic_path

SHINGLE = 3
BUCKETS = 2**30
BLOCK = 512  # rows of the similarity product computed at once
MEMO_VERSION = 1


@dataclass
class Decisions:
    """Per eligible row: the earlier row it duplicates (-1: kept) and the similarity."""

    match: np.ndarray  # int64
    jaccard: np.ndarray  # float64


@dataclass
class NearDuplicateMemo:
    """What a run leaves for the next one (see the module docstring)."""

    threshold: float
    ids: np.ndarray  # one 20-byte digest per eligible row (document, offsets, text)
    decisions: Decisions
    shingles: sparse.csr_matrix  # binary, one row per eligible row

    @classmethod
    def load(cls, path: Path, threshold: float) -> NearDuplicateMemo | None:
        """The memo at ``path`` when it is complete and for ``threshold``; else None.

        A missing, unreadable or inconsistent memo only costs a full recomputation.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                if header != {
                    "version": MEMO_VERSION,
                    "threshold": threshold,
                    "shingle": SHINGLE,
                    "buckets": BUCKETS,
                }:
                    return None
                ids, match, jaccard = data["ids"], data["match"], data["jaccard"]
                indptr, indices = data["indptr"], data["indices"]
            n = len(ids)
            if not (len(match) == len(jaccard) == n and len(indptr) == n + 1):
                return None
            if n and (indptr[-1] != len(indices) or (match >= np.arange(n)).any()):
                return None
            ones = np.ones(len(indices), dtype=np.int32)
            shingles = sparse.csr_matrix((ones, indices, indptr), shape=(n, BUCKETS))
            return cls(threshold, ids, Decisions(match, jaccard), shingles)
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None
        except Exception:  # noqa: BLE001 - e.g. zipfile.BadZipFile: a cache, never fatal
            return None

    def save(self, path: Path) -> None:
        header = json.dumps(
            {
                "version": MEMO_VERSION,
                "threshold": self.threshold,
                "shingle": SHINGLE,
                "buckets": BUCKETS,
            }
        )
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez(
                fh,
                header=np.array(header),
                ids=self.ids,
                match=self.decisions.match,
                jaccard=self.decisions.jaccard,
                indptr=self.shingles.indptr.astype(np.int64),
                indices=self.shingles.indices.astype(np.int32),
            )


def row_ids(rows: list[tuple[str, int, int, str]]) -> np.ndarray:
    """A digest per (doc id, start, end, text) row."""
    digests = [
        hashlib.sha1(f"{d}\x00{s}\x00{e}\x00{k}".encode(), usedforsecurity=False).digest()
        for d, s, e, k in rows
    ]
    return np.array(digests, dtype="S20") if digests else np.zeros(0, dtype="S20")


def shingle_rows(keys: list[str]) -> sparse.csr_matrix:
    """Binary hashed character 3-shingles, one row per key."""
    from sklearn.feature_extraction.text import HashingVectorizer

    if not keys:
        return sparse.csr_matrix((0, BUCKETS), dtype=np.int32)
    vectorizer = HashingVectorizer(
        analyzer="char",
        ngram_range=(SHINGLE, SHINGLE),
        lowercase=False,
        binary=True,
        norm=None,
        alternate_sign=False,
        n_features=BUCKETS,
        dtype=np.int32,
    )
    matrix = vectorizer.transform(keys).tocsr()
    matrix.sort_indices()
    return matrix


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


def near_duplicate_decisions(
    keys: list[str],
    ids: np.ndarray,
    threshold: float,
    memo: NearDuplicateMemo | None = None,
) -> tuple[Decisions, NearDuplicateMemo]:
    """Decide every row (see the module docstring); returns the decisions and the new memo.

    Ties in similarity go to the earliest row.
    """
    n = len(keys)
    start = 0 if memo is None or memo.threshold != threshold else common_prefix(memo.ids, ids)
    match = np.full(n, -1, dtype=np.int64)
    jaccard = np.zeros(n, dtype=np.float64)
    if start:
        match[:start] = memo.decisions.match[:start]
        jaccard[:start] = memo.decisions.jaccard[:start]
        fresh = shingle_rows(keys[start:])
        shingles = sparse.vstack([memo.shingles[:start], fresh], format="csr")
    else:
        shingles = shingle_rows(keys)
    sizes = np.diff(shingles.indptr)
    kept = match < 0
    compact = _compact(shingles) if start < n else shingles
    for block in range(start, n, BLOCK):
        stop = min(block + BLOCK, n)
        inter = (compact[block:stop] @ compact[:stop].T).tocsr()
        for row in range(stop - block):
            i = block + row
            cols = inter.indices[inter.indptr[row] : inter.indptr[row + 1]]
            common = inter.data[inter.indptr[row] : inter.indptr[row + 1]]
            mask = (cols < i) & kept[cols]
            if not mask.any():
                continue
            cols, common = cols[mask], common[mask]
            similarity = common / (sizes[i] + sizes[cols] - common)
            best = int(np.lexsort((cols, -similarity))[0])
            if similarity[best] >= threshold:
                kept[i] = False
                match[i], jaccard[i] = int(cols[best]), float(similarity[best])
    decisions = Decisions(match, jaccard)
    return decisions, NearDuplicateMemo(threshold, ids, decisions, shingles)


def _compact(shingles: sparse.csr_matrix) -> sparse.csr_matrix:
    """The same rows over only the buckets that occur (products stay small)."""
    used, columns = np.unique(shingles.indices, return_inverse=True)
    data = np.ones(len(columns), dtype=np.int32)
    return sparse.csr_matrix(
        (data, columns.astype(np.int32), shingles.indptr), shape=(shingles.shape[0], len(used))
    )
