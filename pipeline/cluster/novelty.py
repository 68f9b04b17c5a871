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
"""

from __future__ import annotations

import numpy as np

from pipeline.errors import ClusterError, NotFittedError


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
        for lo in range(0, X.shape[0], 2048):
            sims = X[lo : lo + 2048] @ self.known_.T
            top = -np.sort(-sims, axis=1)[:, :k]
            out[lo : lo + 2048] = 1.0 - (top[:, 1:] if skip_self else top).mean(axis=1)
        return out
