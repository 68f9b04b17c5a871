"""``CandidateClusterer``: deterministic density clustering of passage embeddings.

scikit-learn's ``HDBSCAN`` on L2-normalized vectors (Euclidean distance on the unit
sphere orders pairs like cosine distance), after an optional PCA. HDBSCAN itself has
no randomness; PCA uses the full SVD, so the same vectors always give the same
labels. Outliers keep the label ``-1``; they are never forced into a cluster.

With ``target_outlier_share`` the clusterer tries a small fixed grid of
``min_samples`` x ``cluster_selection_epsilon`` values and keeps the setting whose
outlier share is closest to the target (ties: the earlier grid point, i.e. the
smaller ``min_samples`` and epsilon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.errors import ClusterError, NotFittedError

_EPSILON_QUANTILES = (0.0, 0.1, 0.25, 0.5)


@dataclass(frozen=True)
class ClusterParams:
    min_samples: int
    cluster_selection_epsilon: float


class CandidateClusterer:
    """scikit-learn-style estimator: ``fit(X)`` sets ``labels_`` (-1 = outlier).

    Learned state: ``labels_``, ``n_clusters_``, ``outlier_share_``, ``params_``
    (the HDBSCAN setting used) and ``embedding_`` (the vectors HDBSCAN saw).
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
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.reduce_dims = reduce_dims
        self.target_outlier_share = target_outlier_share
        self.cluster_selection_method = cluster_selection_method
        self.random_state = random_state

    def fit(self, X, y=None) -> CandidateClusterer:
        data = _check_matrix(X, self.min_cluster_size)
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
        self.embedding_ = embedding
        self.params_ = params
        self.labels_ = _canonical_labels(labels)
        self.n_clusters_ = int(self.labels_.max() + 1) if self.labels_.size else 0
        self.outlier_share_ = float(np.mean(self.labels_ == -1))
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def _reduce(self, data: np.ndarray) -> np.ndarray:
        if self.reduce_dims is not None and self.reduce_dims < min(data.shape):
            from sklearn.decomposition import PCA

            pca = PCA(self.reduce_dims, svd_solver="full", random_state=self.random_state)
            data = pca.fit_transform(data)
        return _normalize(data)

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
