import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.cluster import CandidateClusterer
from pipeline.errors import ClusterError
from tests.cluster.conftest import make_blobs

ALGORITHMS = pytest.mark.parametrize("algorithm", ["spectral", "hdbscan"])


@ALGORITHMS
def test_well_separated_blobs_give_the_known_clusters(unit_centers, algorithm):
    X, truth = make_blobs(unit_centers, per_blob=40, spread=0.03, seed=1)
    model = CandidateClusterer(min_cluster_size=8, random_state=0, algorithm=algorithm)
    labels = model.fit_predict(X)
    clustered = labels >= 0
    assert clustered.mean() >= 0.9
    assert adjusted_rand_score(truth[clustered], labels[clustered]) >= 0.95
    assert len(set(labels[clustered])) == 4


@ALGORITHMS
def test_far_points_stay_outliers(unit_centers, algorithm):
    X, _ = make_blobs(unit_centers, per_blob=40, spread=0.03, seed=2)
    lonely = np.eye(16)[8:12]  # four isolated directions, one point each
    model = CandidateClusterer(min_cluster_size=8, algorithm=algorithm)
    model.fit(np.vstack([X, lonely]))
    assert (model.labels_[-4:] == -1).all()
    assert model.outlier_share_ == pytest.approx(np.mean(model.labels_ == -1))
    assert model.n_clusters_ == 4


def test_same_seed_same_labels_with_pca(unit_centers):
    X, _ = make_blobs(unit_centers, per_blob=30, spread=0.08, seed=3)
    kw = {"min_cluster_size": 6, "reduce_dims": 5, "random_state": 7, "algorithm": "hdbscan"}
    a = CandidateClusterer(**kw).fit(X)
    b = CandidateClusterer(**kw).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.embedding_.shape == (120, 5)


@ALGORITHMS
def test_labels_are_numbered_by_size(unit_centers, algorithm):
    X, _ = make_blobs(unit_centers[:2], per_blob=20, spread=0.02, seed=4)
    big, _ = make_blobs(unit_centers[2:3], per_blob=50, spread=0.02, seed=5)
    model = CandidateClusterer(min_cluster_size=8, algorithm=algorithm)
    labels = model.fit_predict(np.vstack([X, big]))
    assert (labels[-50:] == 0).all()


@ALGORITHMS
def test_target_outlier_share_moves_the_share(unit_centers, algorithm):
    blobs, _ = make_blobs(unit_centers, per_blob=40, spread=0.1, seed=6)
    noise = np.random.default_rng(6).standard_normal((40, 16))
    X = np.vstack([blobs, noise])
    kw = {"min_cluster_size": 8, "algorithm": algorithm}
    low = CandidateClusterer(target_outlier_share=0.02, **kw).fit(X)
    high = CandidateClusterer(target_outlier_share=0.5, **kw).fit(X)
    assert low.outlier_share_ < high.outlier_share_
    assert abs(low.outlier_share_ - 0.02) <= abs(high.outlier_share_ - 0.02)
    again = CandidateClusterer(target_outlier_share=0.5, **kw).fit(X)
    assert again.params_ == high.params_ and np.array_equal(again.labels_, high.labels_)


def test_bad_input_is_a_cluster_error():
    with pytest.raises(ClusterError, match="fewer than min_cluster_size"):
        CandidateClusterer(min_cluster_size=5).fit(np.ones((3, 4)))
    with pytest.raises(ClusterError, match="NaN"):
        CandidateClusterer(min_cluster_size=2).fit(np.full((6, 4), np.nan))
