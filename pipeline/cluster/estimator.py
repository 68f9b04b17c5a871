"""``CandidateClusterer``: deterministic clustering of passage embeddings, outliers kept.

Two algorithms, both on L2-normalized vectors (Euclidean distance on the unit
sphere orders pairs like cosine distance):

- ``"hdbscan"``: scikit-learn's ``HDBSCAN``, after an optional reduction
  to ``reduce_dims`` components, by PCA (full SVD) or by the spectral embedding of
  the k-NN graph (:mod:`pipeline.cluster.graph`, the coordinates UMAP starts from).
  Outliers are HDBSCAN's noise points. With ``target_outlier_share`` the clusterer
  tries a small fixed grid of ``min_samples`` x ``cluster_selection_epsilon``
  values and keeps the setting whose outlier share is closest to the target (ties:
  the earlier grid point, i.e. the smaller ``min_samples`` and epsilon).
- ``"spectral"`` (default): spectral clustering of the k-NN graph. HDBSCAN on the
  spectral embedding counts the dense groups (``min_cluster_size``,
  ``min_samples``), unless ``n_clusters`` is given; k-means (seeded) on the k
  leading eigenvectors of the normalized affinity (each scaled by its eigenvalue,
  rows normalized, after Ng, Jordan & Weiss) draws the boundaries between that
  many groups. A passage is an
  outlier when fewer than ``min_agreement`` of its ``n_neighbors`` nearest passages
  fall in its cluster (it sits between clusters), when even its nearest passage is
  farther away than each of its neighbours' own k-th nearest (it is isolated), or
  when its cluster has fewer than ``min_cluster_size`` members. With ``target_outlier_share`` the passages
  with the lowest agreement are the outliers, up to that share. When HDBSCAN finds
  at most one dense group, its own labels are the result.

Reductions and k-means run single-threaded (threadpoolctl), so the same vectors
and ``random_state`` give the same labels on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.cluster.novelty import normalize_rows
from pipeline.errors import ClusterError, NotFittedError

_EPSILON_QUANTILES = (0.0, 0.1, 0.25, 0.5)
_SPECTRAL_DIMS = 20  # spectral embedding size when reduce_dims is not set


@dataclass(frozen=True)
class ClusterParams:
    """The setting used: HDBSCAN's ``min_samples`` and epsilon, or k-means' k and agreement."""

    min_samples: int | None
    cluster_selection_epsilon: float | None
    n_clusters: int | None = None
    min_agreement: float | None = None


class CandidateClusterer:
    """scikit-learn-style estimator: ``fit(X)`` sets ``labels_`` (-1 = outlier).

    Learned state: ``labels_``, ``n_clusters_``, ``outlier_share_``, ``params_``
    (the setting used) and ``embedding_`` (the vectors the clustering saw).
    """

    def __init__(
        self,
        min_cluster_size: int = 5,
        min_samples: int | None = None,
        cluster_selection_epsilon: float = 0.0,
        reduce_dims: int | None = None,
        target_outlier_share: float | None = None,
        cluster_selection_method: str = "eom",
        random_state: int = 0,
        algorithm: str = "spectral",
        reduce: str = "pca",
        n_neighbors: int = 15,
        n_clusters: int | None = None,
        min_agreement: float = 0.3,
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.reduce_dims = reduce_dims
        self.target_outlier_share = target_outlier_share
        self.cluster_selection_method = cluster_selection_method
        self.random_state = random_state
        self.algorithm = algorithm
        self.reduce = reduce
        self.n_neighbors = n_neighbors
        self.n_clusters = n_clusters
        self.min_agreement = min_agreement

    def fit(self, X, y=None) -> CandidateClusterer:
        from threadpoolctl import threadpool_limits

        _check_options(self.algorithm, self.reduce)
        data = _check_matrix(X, self.min_cluster_size)
        with threadpool_limits(limits=1):
            if self.algorithm == "spectral":
                embedding, params, labels = self._fit_spectral(data)
            else:
                embedding, params, labels = self._fit_hdbscan(data)
        self.embedding_ = embedding
        self.params_ = params
        self.labels_ = _canonical_labels(labels)
        self.n_clusters_ = int(self.labels_.max() + 1) if self.labels_.size else 0
        self.outlier_share_ = float(np.mean(self.labels_ == -1))
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def _fit_hdbscan(self, data: np.ndarray):
        embedding = self._reduce(data)
        if self.target_outlier_share is None:
            params = ClusterParams(
                self.min_samples or self.min_cluster_size, self.cluster_selection_epsilon
            )
            labels = _hdbscan(
                embedding, self.min_cluster_size, params, self.cluster_selection_method
            )
        else:
            params, labels = self._search(embedding)
        return embedding, params, labels

    def _fit_spectral(self, data: np.ndarray):
        from pipeline.cluster.graph import SpectralGraph, neighbour_agreement

        graph = SpectralGraph(self.n_neighbors, self.random_state).fit(data)
        values, coords = graph.coordinates(self.reduce_dims or _SPECTRAL_DIMS)
        embedding = normalize_rows(coords * values)
        density = ClusterParams(self.min_samples or self.min_cluster_size, 0.0)
        dense = _hdbscan(embedding, self.min_cluster_size, density)
        k = self.n_clusters or int(dense.max() + 1)
        k = min(k, data.shape[0] // self.min_cluster_size)
        if k <= 1:  # at most one dense group: HDBSCAN's own labels, its noise stays noise
            return embedding, ClusterParams(density.min_samples, 0.0, max(k, 0), None), dense
        values, vectors = graph.eigen(k)
        labels = _kmeans(normalize_rows(vectors * values), k, self.random_state)
        agreement = neighbour_agreement(labels, graph.neighbours_)
        threshold = self.min_agreement
        if self.target_outlier_share is not None:
            threshold = _share_threshold(agreement, self.target_outlier_share)
        labels[agreement < threshold - 1e-12] = -1
        labels[graph.isolated_] = -1
        labels = _drop_small(labels, self.min_cluster_size)
        params = ClusterParams(density.min_samples, 0.0, k, round(float(threshold), 6))
        return embedding, params, labels

    def _reduce(self, data: np.ndarray) -> np.ndarray:
        if self.reduce_dims is None or self.reduce_dims >= min(data.shape):
            return _normalize(data)
        if self.reduce == "spectral":
            from pipeline.cluster.graph import spectral_embedding

            coords, _ = spectral_embedding(
                data, self.reduce_dims, self.n_neighbors, self.random_state
            )
            return coords
        from sklearn.decomposition import PCA

        pca = PCA(self.reduce_dims, svd_solver="full", random_state=self.random_state)
        return _normalize(pca.fit_transform(data))

    def _search(self, embedding: np.ndarray) -> tuple[ClusterParams, np.ndarray]:
        best: tuple[float, ClusterParams, np.ndarray] | None = None
        for params in _grid(embedding, self.min_cluster_size):
            labels = _hdbscan(
                embedding, self.min_cluster_size, params, self.cluster_selection_method
            )
            gap = abs(float(np.mean(labels == -1)) - self.target_outlier_share)
            if best is None or gap < best[0] - 1e-12:
                best = (gap, params, labels)
        return best[1], best[2]


def _check_options(algorithm: str, reduce: str) -> None:
    if algorithm not in ("hdbscan", "spectral"):
        raise ClusterError(
            f"unknown clustering algorithm {algorithm!r}",
            unit="cluster.algorithm",
            hint="use 'hdbscan' or 'spectral'.",
        )
    if reduce not in ("pca", "spectral"):
        raise ClusterError(
            f"unknown reduction {reduce!r}", unit="cluster.reduce", hint="use 'pca' or 'spectral'."
        )


def _kmeans(embedding: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    model = KMeans(k, n_init=4, random_state=seed)
    return model.fit_predict(embedding).astype(np.int64)


def _share_threshold(agreement: np.ndarray, share: float) -> float:
    """Smallest agreement value that marks at most ``share`` of the rows as outliers."""
    values = np.sort(agreement)
    count = int(np.floor(share * len(values) + 1e-9))
    return float(values[count]) if count < len(values) else float("inf")


def _drop_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    out = labels.copy()
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    for cid, count in zip(ids, counts, strict=True):
        if count < min_size:
            out[labels == cid] = -1
    return out


def check_fitted(estimator: CandidateClusterer) -> None:
    if not hasattr(estimator, "labels_"):
        raise NotFittedError("CandidateClusterer is not fitted", hint="call fit(vectors) first.")


def _check_matrix(X, min_cluster_size: int) -> np.ndarray:
    data = np.asarray(X, dtype=np.float64)
    if data.ndim != 2:
        raise ClusterError(f"expected a 2-d matrix of vectors, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ClusterError("vectors contain NaN or infinite values", hint="re-run the embed stage.")
    if data.shape[0] < min_cluster_size:
        raise ClusterError(
            f"{data.shape[0]} passages to cluster, fewer than min_cluster_size={min_cluster_size}",
            hint="lower cluster.min_cluster_size or cluster more passages (all_passages: true).",
        )
    return data


def _normalize(data: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(data, axis=1, keepdims=True)
    return data / np.where(norms == 0, 1.0, norms)


def _hdbscan(
    embedding: np.ndarray, min_cluster_size: int, params: ClusterParams, method: str = "eom"
) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min(params.min_samples, embedding.shape[0] - 1),
        cluster_selection_epsilon=params.cluster_selection_epsilon,
        cluster_selection_method=method,
        copy=True,
    )
    return model.fit_predict(embedding)


def _grid(embedding: np.ndarray, min_cluster_size: int) -> list[ClusterParams]:
    """Fixed, data-scaled grid: min_samples values x epsilons from kNN-distance quantiles."""
    from sklearn.neighbors import NearestNeighbors

    n = embedding.shape[0] - 1
    half = max(1, min_cluster_size // 2)
    samples = sorted(
        {min(s, n) for s in (1, half, min_cluster_size, 2 * min_cluster_size, 4 * min_cluster_size)}
    )
    k = min(min_cluster_size, embedding.shape[0] - 1)
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(embedding).kneighbors(embedding)
    core = np.sort(dist[:, -1])
    epsilons = sorted(
        {round(float(np.quantile(core, q)), 6) if q else 0.0 for q in _EPSILON_QUANTILES}
    )
    return [ClusterParams(s, e) for s in samples for e in epsilons]


def _canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters by size (largest first), ties by first member index."""
    out = np.full(labels.shape, -1, dtype=np.int64)
    ids = [c for c in np.unique(labels) if c >= 0]
    order = sorted(ids, key=lambda c: (-int(np.sum(labels == c)), int(np.argmax(labels == c))))
    for new, old in enumerate(order):
        out[labels == old] = new
    return out
