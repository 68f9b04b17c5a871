"""Near-duplicate paragraphs: exact Jaccard over character 3-shingles, incremental.

A paragraph is a near duplicate when its Jaccard similarity with an *earlier,
kept* paragraph reaches the threshold (the most similar one is named; ties go to
the earliest). The similarity of two paragraphs depends only on their texts, so
the expensive part — which pairs reach the threshold — can be remembered: the
:class:`NearDuplicateMemo` of the last run holds every eligible row's identity
(document, offsets, text), its shingles, and the *edges* (pairs at or above the
threshold, with their similarity). A new run computes similarities only for rows
the memo does not know (for a new edition: its own paragraphs) and then replays
the cheap sequential decision over the edges in the current order — so removals
that change elsewhere (a paragraph that became boilerplate, a reordered corpus)
are handled exactly. The result equals a full recomputation (tested).

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
BLOCK = 512  # rows of the similarity product computed at once (at most)
PAIRS = 2**21  # pairs per block: fewer rows when there are many paragraphs to compare with
MEMO_VERSION = 2


@dataclass
class Decisions:
    """Per eligible row: the earlier row it duplicates (-1: kept) and the similarity."""

    match: np.ndarray  # int64
    jaccard: np.ndarray  # float64


@dataclass
class Edges:
    """Pairs of rows (``a`` < ``b``, row positions) whose similarity reaches the threshold."""

    a: np.ndarray  # int64
    b: np.ndarray  # int64
    similarity: np.ndarray  # float64

    @classmethod
    def empty(cls) -> Edges:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))


@dataclass
class NearDuplicateMemo:
    """What a run leaves for the next one (see the module docstring)."""

    threshold: float
    ids: np.ndarray  # one 20-byte digest per eligible row (document, offsets, text)
    shingles: sparse.csr_matrix  # binary, one row per eligible row
    edges: Edges

    @staticmethod
    def _header(threshold: float) -> dict:
        return {"version": MEMO_VERSION, "threshold": threshold, "shingle": SHINGLE,
                "buckets": BUCKETS}

    @classmethod
    def load(cls, path: Path, threshold: float) -> NearDuplicateMemo | None:
        """The memo at ``path`` when it is complete and for ``threshold``; else None.

        A missing, unreadable or inconsistent memo only costs a full recomputation.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                if json.loads(str(data["header"])) != cls._header(threshold):
                    return None
                ids, indptr, indices = data["ids"], data["indptr"], data["indices"]
                a, b, similarity = data["a"], data["b"], data["similarity"]
            n = len(ids)
            if len(indptr) != n + 1 or (n and indptr[-1] != len(indices)):
                return None
            if not len(a) == len(b) == len(similarity):
                return None
            if len(a) and (a.min() < 0 or b.max() >= n or (a >= b).any()):
                return None
            ones = np.ones(len(indices), dtype=np.int32)
            shingles = sparse.csr_matrix((ones, indices, indptr), shape=(n, BUCKETS))
            return cls(threshold, ids, shingles, Edges(a, b, similarity))
        except Exception:  # noqa: BLE001 - a damaged cache file is never fatal
            return None

    def save(self, path: Path) -> None:
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez(
                fh,
                header=np.array(json.dumps(self._header(self.threshold))),
                ids=self.ids,
                indptr=self.shingles.indptr.astype(np.int64),
                indices=self.shingles.indices.astype(np.int32),
                a=self.edges.a,
                b=self.edges.b,
                similarity=self.edges.similarity,
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
        analyzer="char", ngram_range=(SHINGLE, SHINGLE), lowercase=False, binary=True,
        norm=None, alternate_sign=False, n_features=BUCKETS, dtype=np.int32,
    )
    matrix = vectorizer.transform(keys).tocsr()
    matrix.sort_indices()
    return matrix


def near_duplicate_decisions(
    keys: list[str],
    ids: np.ndarray,
    threshold: float,
    memo: NearDuplicateMemo | None = None,
) -> tuple[Decisions, NearDuplicateMemo]:
    """Decide every row (see the module docstring); returns the decisions and the new memo."""
    n = len(keys)
    source = np.full(n, -1, dtype=np.int64)  # row -> its row in the memo
    if memo is not None and memo.threshold == threshold and len(memo.ids):
        known = {bytes(x): k for k, x in enumerate(memo.ids)}
        source = np.fromiter((known.get(bytes(x), -1) for x in ids), np.int64, count=n)
    new_rows = np.flatnonzero(source < 0)
    shingles = _current_shingles(keys, source, new_rows, memo)
    edges = _join(_remembered_edges(source, memo), _new_edges(shingles, new_rows, threshold))
    decisions = _decide(n, edges)
    return decisions, NearDuplicateMemo(threshold, ids, shingles, edges)


def _current_shingles(keys, source, new_rows, memo) -> sparse.csr_matrix:
    fresh = shingle_rows([keys[i] for i in new_rows])
    if len(new_rows) == len(keys):
        return fresh
    old_rows = np.flatnonzero(source >= 0)
    stacked = sparse.vstack([memo.shingles[source[old_rows]], fresh], format="csr")
    order = np.empty(len(keys), dtype=np.int64)  # stacked row of each current row
    order[old_rows] = np.arange(len(old_rows))
    order[new_rows] = len(old_rows) + np.arange(len(new_rows))
    return stacked[order]


def _remembered_edges(source: np.ndarray, memo: NearDuplicateMemo | None) -> Edges:
    """The memo's edges between rows that are still here, in current positions."""
    if memo is None or not len(memo.edges.a) or not (source >= 0).any():
        return Edges.empty()
    where = np.full(len(memo.ids), -1, dtype=np.int64)
    present = np.flatnonzero(source >= 0)
    where[source[present]] = present
    a, b = where[memo.edges.a], where[memo.edges.b]
    keep = (a >= 0) & (b >= 0)
    a, b = a[keep], b[keep]
    return Edges(np.minimum(a, b), np.maximum(a, b), memo.edges.similarity[keep])


def _new_edges(shingles: sparse.csr_matrix, rows: np.ndarray, threshold: float) -> Edges:
    """Edges between ``rows`` and every other row (each pair once)."""
    n = shingles.shape[0]
    if not len(rows) or n < 2:
        return Edges.empty()
    compact = _compact(shingles)
    sizes = np.diff(compact.indptr)
    is_new = np.zeros(n, dtype=bool)
    is_new[rows] = True
    everything = len(rows) == n  # a first run: row i only needs the rows before it
    parts = []
    # paragraphs of one long report share many shingles, so a block's product is nearly
    # dense: its rows are chosen so it holds about PAIRS pairs (the edges are sorted at
    # the end, so the blocks do not change the result)
    step = max(1, min(BLOCK, PAIRS // n))
    for block in range(0, len(rows), step):
        chunk = rows[block : block + step]
        others = compact[: chunk[-1] + 1] if everything else compact
        inter = (compact[chunk] @ others.T).tocoo()
        i, j, common = chunk[inter.row], inter.col.astype(np.int64), inter.data
        # a pair of two new rows is kept once, from its later row (j < i); never i == j
        keep = (i != j) & (~is_new[j] | (j < i))
        i, j, common = i[keep], j[keep], common[keep]
        similarity = common / (sizes[i] + sizes[j] - common)
        hit = similarity >= threshold
        parts.append(Edges(np.minimum(i, j)[hit], np.maximum(i, j)[hit], similarity[hit]))
    return _join(*parts)


def _join(*parts: Edges) -> Edges:
    parts = [p for p in parts if len(p.a)]
    if not parts:
        return Edges.empty()
    a = np.concatenate([p.a for p in parts])
    b = np.concatenate([p.b for p in parts])
    similarity = np.concatenate([p.similarity for p in parts])
    order = np.lexsort((a, b))
    return Edges(a[order], b[order], similarity[order])


def _decide(n: int, edges: Edges) -> Decisions:
    """Rows in order: the most similar earlier *kept* row over the threshold, if any.

    ``edges`` are sorted by (b, a), so each row's earlier neighbours are one slice.
    """
    match = np.full(n, -1, dtype=np.int64)
    jaccard = np.zeros(n, dtype=np.float64)
    kept = np.ones(n, dtype=bool)
    bounds = np.searchsorted(edges.b, np.arange(n + 1))
    for i in np.flatnonzero(np.diff(bounds)):
        lo, hi = bounds[i], bounds[i + 1]
        earlier, similarity = edges.a[lo:hi], edges.similarity[lo:hi]
        ok = kept[earlier]
        if not ok.any():
            continue
        earlier, similarity = earlier[ok], similarity[ok]
        best = int(np.lexsort((earlier, -similarity))[0])
        kept[i] = False
        match[i], jaccard[i] = int(earlier[best]), float(similarity[best])
    return Decisions(match, jaccard)


def _compact(shingles: sparse.csr_matrix) -> sparse.csr_matrix:
    """The same rows over only the buckets that occur (products stay small)."""
    used, columns = np.unique(shingles.indices, return_inverse=True)
    data = np.ones(len(columns), dtype=np.int32)
    return sparse.csr_matrix((data, columns.astype(np.int32), shingles.indptr),
                             shape=(shingles.shape[0], len(used)))
