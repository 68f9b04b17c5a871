import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.cluster import CandidateClusterer, ClusterSettings
from pipeline.cluster import graph as graph_module
from pipeline.cluster.graph import (
    SpectralGraph,
    isolated,
    knn,
    neighbour_agreement,
    spectral_embedding,
)
from pipeline.errors import ClusterError
from tests.cluster.conftest import make_blobs


def test_knn_excludes_self_and_sorts_nearest_first():
    X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.7, 0.7]])
    dist, idx = knn(X, 2)
    assert idx.shape == (5, 2)
    assert all(i not in row for i, row in enumerate(idx))
    assert (np.diff(dist, axis=1) >= 0).all()
    assert idx[0, 0] == 1 and idx[2, 0] == 3


def test_isolated_marks_a_point_outside_every_neighbourhood(unit_centers):
    X, _ = make_blobs(unit_centers, per_blob=30, spread=0.03, seed=0)
    X = np.vstack([X, np.eye(16)[10]])
    dist, idx = knn(X, 10)
    flags = isolated(dist, idx)
    assert flags[-1] and not flags[:-1].any()


def test_agreement_is_the_share_of_neighbours_in_the_same_cluster():
    labels = np.array([0, 0, 1, 1])
    idx = np.array([[1, 2], [0, 3], [3, 0], [2, 1]])
    assert neighbour_agreement(labels, idx).tolist() == [0.5, 0.5, 0.5, 0.5]


def test_spectral_graph_separates_disconnected_groups(unit_centers):
    X, truth = make_blobs(unit_centers[:3], per_blob=20, spread=0.02, seed=1)
    graph = SpectralGraph(n_neighbors=8, seed=0).fit(X)
    values, vectors = graph.eigen(3)
    assert np.allclose(values, 1.0, atol=1e-6)  # one eigenvalue 1 per component
    _, coords = graph.coordinates(2)
    assert coords.shape == (60, 2)


def test_dense_group_count_sets_k_and_n_clusters_overrides_it(unit_centers):
    X, truth = make_blobs(unit_centers, per_blob=30, spread=0.05, seed=2)
    auto = CandidateClusterer(min_cluster_size=8).fit(X)
    assert auto.params_.n_clusters == 4 and auto.n_clusters_ == 4
    assert adjusted_rand_score(truth, auto.labels_) == 1.0
    forced = CandidateClusterer(min_cluster_size=8, n_clusters=2).fit(X)
    assert forced.params_.n_clusters == 2 and forced.n_clusters_ <= 2


def test_spectral_outliers_are_the_lowest_agreement_passages(unit_centers):
    blobs, _ = make_blobs(unit_centers, per_blob=40, spread=0.12, seed=3)
    noise = np.random.default_rng(3).standard_normal((30, 16))
    X = np.vstack([blobs, noise])
    model = CandidateClusterer(min_cluster_size=8, target_outlier_share=0.2).fit(X)
    assert 0.0 < model.outlier_share_ <= 0.2 + 1e-9
    assert model.params_.min_agreement is not None
    # the noise rows are the ones left out
    assert (model.labels_[-30:] == -1).mean() > (model.labels_[:-30] == -1).mean()


def test_large_input_uses_the_sparse_solver_and_is_reproducible(unit_centers):
    X, truth = make_blobs(unit_centers, per_blob=400, spread=0.08, seed=4)
    a = CandidateClusterer(min_cluster_size=20, random_state=3).fit(X)
    b = CandidateClusterer(min_cluster_size=20, random_state=3).fit(X)
    assert np.array_equal(a.labels_, b.labels_) and np.array_equal(a.embedding_, b.embedding_)
    kept = a.labels_ >= 0
    assert kept.mean() >= 0.95 and adjusted_rand_score(truth[kept], a.labels_[kept]) == 1.0


def test_hdbscan_on_the_spectral_embedding(unit_centers):
    X, truth = make_blobs(unit_centers, per_blob=30, spread=0.08, seed=5)
    model = CandidateClusterer(
        min_cluster_size=8, algorithm="hdbscan", reduce="spectral", reduce_dims=6
    ).fit(X)
    assert model.embedding_.shape == (120, 6)
    kept = model.labels_ >= 0
    assert kept.mean() >= 0.8 and adjusted_rand_score(truth[kept], model.labels_[kept]) == 1.0


def test_disconnected_groups_get_exact_spectral_coordinates(unit_centers):
    # 4 components, 6 coordinates: 3 tell the components apart, 3 vary inside one
    # component each, so one blob gets none and must sit at one exact point
    X, truth = make_blobs(unit_centers, per_blob=30, spread=0.08, seed=5)
    embedding, _ = spectral_embedding(X, 6, n_neighbors=15)
    distinct = sorted(len(np.unique(embedding[truth == b], axis=0)) for b in range(4))
    assert distinct == [1, 30, 30, 30]
    _, coords = SpectralGraph(15).fit(X).coordinates(6)
    for column in coords[:, 3:].T:  # each within-component column lives on one blob
        assert len(np.unique(truth[column != 0])) == 1


@pytest.mark.parametrize("dense_limit", [1500, 10])
def test_eigen_matches_the_full_spectrum_of_a_disconnected_graph(
    unit_centers, monkeypatch, dense_limit
):
    monkeypatch.setattr(graph_module, "_DENSE_LIMIT", dense_limit)  # 10: ARPACK per blob
    X, _ = make_blobs(unit_centers[:3], per_blob=40, spread=0.1, seed=6)
    graph = SpectralGraph(n_neighbors=10).fit(X)
    values, vectors = graph.eigen(9)
    dense = graph.affinity_.toarray()
    assert np.allclose(values, np.linalg.eigvalsh(dense)[::-1][:9], atol=1e-7)
    assert np.allclose(dense @ vectors, vectors * values, atol=1e-6)
    assert np.allclose(vectors.T @ vectors, np.eye(9), atol=1e-6)


def test_hdbscan_on_the_spectral_embedding_ignores_last_bit_noise_and_row_order(unit_centers):
    X, _ = make_blobs(unit_centers, per_blob=30, spread=0.08, seed=5)

    def fit(data):
        model = CandidateClusterer(
            min_cluster_size=8, algorithm="hdbscan", reduce="spectral", reduce_dims=6
        )
        return model.fit(data).labels_

    reference = fit(X)
    rng = np.random.default_rng(0)
    variants = [fit(X + 1e-9 * rng.standard_normal(X.shape)) for _ in range(3)]
    for _ in range(2):
        order = rng.permutation(len(X))
        shuffled = np.empty_like(reference)
        shuffled[order] = fit(X[order])
        variants.append(shuffled)
    for labels in variants:
        assert np.array_equal(labels < 0, reference < 0)
        assert adjusted_rand_score(reference, labels) == 1.0


def test_unknown_algorithm_or_reduction_is_a_cluster_error():
    X = np.random.default_rng(0).standard_normal((20, 4))
    with pytest.raises(ClusterError, match="cluster.algorithm"):
        CandidateClusterer(algorithm="kmeans").fit(X)
    with pytest.raises(ClusterError, match="cluster.reduce"):
        CandidateClusterer(algorithm="hdbscan", reduce="umap", reduce_dims=2).fit(X)
    with pytest.raises(ValueError):
        ClusterSettings(algorithm="kmeans")
