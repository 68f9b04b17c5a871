"""Novelty scores: how far passages or clusters are from every known code.

Two scores, both "higher = more novel":

- :func:`calibrated_novelty` turns a similarity to the nearest code prototype into
  the share of *coded* passages (passages that do get a confident code) that are
  at least as similar to their best code. 0.5 means "as close to the codebook as a
  typical coded passage", 0.99 "further away than 99% of coded passages". Raw
  cosines differ between embedding models and codebooks; this share does not.
  Without reference similarities it is ``1 - similarity``.
- :class:`KnnNovelty` scores a vector by its mean cosine distance to its ``k``
  nearest known (coded) examples, divided by the typical value of that distance
  among the known examples themselves (leave-one-out median). It does not assume
  a code is one blob around a centroid, which matters for broad codes.
- :class:`KnownDensityNovelty` looks at the corpus itself: among a passage's
  nearest passages (known examples and corpus passages pooled), how many are
  known examples, compared with their share of the pool. A new theme shows up as a
  region of the corpus with many passages but no known examples, even when each of
  its passages is, on its own, not far from some code. The score is the estimated
  probability that a passage comes from the corpus rather than from the known
  examples at equal priors: 0.5 = as many known examples nearby as expected, 1 = none
  at all. It is averaged over several neighbourhood sizes (shares of the pool), so
  small and large themes both show.
"""

from __future__ import annotations

import numpy as np

from pipeline.errors import ClusterError, NotFittedError

BLOCK_BYTES = 128 * 2**20  # one block of a similarity matrix (float64)


def block_rows(columns: int, default: int) -> int:
    """Rows per block when a (rows x ``columns``) float64 similarity matrix is computed
    block by block: ``default``, fewer when such a block would exceed
    :data:`BLOCK_BYTES` (so memory does not grow with the square of the passages; the
    index arrays that ``argpartition`` makes are as large again)."""
    return max(1, min(default, BLOCK_BYTES // (8 * max(1, columns))))


def normalize_rows(matrix) -> np.ndarray:
    data = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(data, axis=1, keepdims=True)
    return data / np.where(norms == 0, 1.0, norms)


def max_similarity(vectors, prototypes) -> np.ndarray:
    """Cosine similarity of each vector to its nearest prototype."""
    return (normalize_rows(vectors) @ normalize_rows(prototypes).T).max(axis=1)


def calibrated_novelty(similarities, reference=None) -> np.ndarray:
    """Share of ``reference`` similarities >= each similarity (``1 - s`` without reference)."""
    sims = np.atleast_1d(np.asarray(similarities, dtype=np.float64))
    if reference is None or len(reference) == 0:
        return 1.0 - sims
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    below = np.searchsorted(ref, sims, side="left")
    return (len(ref) - below) / len(ref)


class KnnNovelty:
    """kNN-distance novelty fitted on known (coded) vectors. ``score`` ~ 1 is typical."""

    def __init__(self, k: int = 10) -> None:
        self.k = k

    def fit(self, X, y=None) -> KnnNovelty:
        known = normalize_rows(X)
        if known.shape[0] <= self.k:
            raise ClusterError(
                f"{known.shape[0]} known vectors, need more than k={self.k}",
                hint="lower k or provide more coded examples.",
            )
        self.known_ = known
        inner = self._mean_distance(known, skip_self=True)
        self.scale_ = float(np.median(inner)) or 1.0
        return self

    def score(self, X) -> np.ndarray:
        if not hasattr(self, "known_"):
            raise NotFittedError("KnnNovelty is not fitted", hint="call fit(known_vectors).")
        return self._mean_distance(normalize_rows(X), skip_self=False) / self.scale_

    def _mean_distance(self, X: np.ndarray, skip_self: bool) -> np.ndarray:
        k = self.k + 1 if skip_self else self.k
        out = np.empty(X.shape[0])
        step = block_rows(self.known_.shape[0], 2048)
        for lo in range(0, X.shape[0], step):
            sims = X[lo : lo + step] @ self.known_.T
            top = -np.sort(-sims, axis=1)[:, :k]
            out[lo : lo + step] = 1.0 - (top[:, 1:] if skip_self else top).mean(axis=1)
        return out


class KnownDensityNovelty:
    """Scarcity of known examples around each passage (see the module docstring).

    ``fit(X, known, rows=None)``: ``X`` is the pool (known examples and corpus
    passages, one row each), ``known`` a boolean mask over it, ``rows`` the row
    indices to score (default: all). Learned state: ``novelty_`` (aligned to
    ``rows``), ``known_share_`` (known examples' share of the pool) and ``ks_`` (the
    neighbourhood sizes used). A row is never its own neighbour.
    """

    def __init__(
        self,
        scales: tuple[float, ...] = (0.01, 0.02, 0.04, 0.08),
        min_k: int = 5,
        block: int = 1024,
    ):
        self.scales = scales
        self.min_k = min_k
        self.block = block  # rows per similarity block (at most; fewer for a large pool)

    def fit(self, X, known, rows=None) -> KnownDensityNovelty:
        pool = normalize_rows(X)
        mask = np.asarray(known, dtype=bool)
        _check_pool(pool, mask, self.min_k)
        n = pool.shape[0]
        rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
        ks = sorted({min(n - 1, max(self.min_k, round(s * n))) for s in self.scales})
        share = float(mask.mean())
        counts = _known_counts(pool, mask, rows, ks, block=self.block)
        self.novelty_ = _density_novelty(counts, ks, share)
        self.known_share_ = share
        self.ks_ = tuple(ks)
        return self


def known_density_of(
    queries,
    pool,
    known,
    ks: tuple[int, ...],
    self_rows=None,
    *,
    unit: bool = False,
    block: int = 1024,
) -> np.ndarray:
    """KnownDensityNovelty of vectors that are *not* in ``pool``, against that pool.

    ``pool`` and ``known`` are what :meth:`KnownDensityNovelty.fit` saw and ``ks`` its
    ``ks_``; the known share is the pool's. A query's neighbours are its ``k`` nearest
    pool rows (it has no row of its own to skip), so a passage scored here gets the
    value it would get as one more corpus passage of the fitted pool, without the
    pool's own scores changing. ``self_rows`` (one per query, -1 = none) names pool
    rows that are the query itself and must not count as its neighbour. ``unit``:
    the pool rows are unit vectors already (they are used as they are). ``block``:
    query rows per similarity block (at most; fewer for a large pool).
    """
    pool = np.asarray(pool, dtype=np.float64) if unit else normalize_rows(pool)
    mask = np.asarray(known, dtype=bool)
    queries = normalize_rows(queries)
    if queries.shape[0] == 0:
        return np.zeros(0)
    if queries.ndim != 2 or queries.shape[1] != pool.shape[1] or mask.shape != (len(pool),):
        raise ClusterError(
            f"{queries.shape} query vectors do not match a pool of shape {pool.shape}",
            hint="score vectors of the same embedder as the fitted pool.",
        )
    ks = [min(k, pool.shape[0]) for k in ks]
    skip = np.full(len(queries), -1) if self_rows is None else np.asarray(self_rows, np.int64)
    counts = _known_counts(
        pool, mask, np.arange(len(queries)), ks, queries=(queries, skip), block=block
    )
    return _density_novelty(counts, ks, float(mask.mean()))


def _density_novelty(counts: np.ndarray, ks, share: float) -> np.ndarray:
    novelty = np.zeros(counts.shape[0])
    for j, k in enumerate(ks):
        f = counts[:, j] / k
        novelty += (1 - f) * share / ((1 - f) * share + f * (1 - share))
    return novelty / len(ks)


def _check_pool(pool: np.ndarray, mask: np.ndarray, min_k: int) -> None:
    if pool.ndim != 2 or mask.shape != (pool.shape[0],):
        raise ClusterError(
            f"known mask of shape {mask.shape} does not match {pool.shape[0]} pooled vectors",
            hint="pass one True/False per pooled row (True = known example).",
        )
    if mask.all() or not mask.any():
        raise ClusterError(
            "density novelty needs both known examples and corpus passages in the pool",
            hint="code some passages first, or leave some passages uncoded.",
        )
    if pool.shape[0] <= min_k:
        raise ClusterError(f"{pool.shape[0]} pooled vectors, need more than min_k={min_k}")


def _known_counts(
    pool: np.ndarray, mask: np.ndarray, rows: np.ndarray, ks, queries=None, block: int = 1024
) -> np.ndarray:
    """Known examples among each row's k nearest other rows, for every k in ``ks``.

    With ``queries`` = ``(vectors, skip)``, ``rows`` index those vectors instead and
    every pool row but ``skip[row]`` (-1: none) is a candidate neighbour.
    """
    top_k = ks[-1]
    counts = np.empty((len(rows), len(ks)))
    step = block_rows(pool.shape[0], block)
    for lo in range(0, len(rows), step):
        chunk = rows[lo : lo + step]
        if queries is None:
            sims = pool[chunk] @ pool.T
            sims[np.arange(len(chunk)), chunk] = -np.inf
        else:
            sims = queries[0][chunk] @ pool.T
            skip = queries[1][chunk]
            sims[np.flatnonzero(skip >= 0), skip[skip >= 0]] = -np.inf
        cut = sims.shape[1] - top_k
        part = np.argpartition(sims, cut, axis=1)[:, cut:]  # the top_k largest
        part_sims = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -part_sims), axis=1)  # nearest first, ties by row index
        near_known = mask[np.take_along_axis(part, order, axis=1)]
        cumulative = np.cumsum(near_known, axis=1)
        counts[lo : lo + step] = cumulative[:, [k - 1 for k in ks]]
    return counts
