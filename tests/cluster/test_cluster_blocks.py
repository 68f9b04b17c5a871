"""Similarity matrices are computed in blocks whose size is bounded, with the same results."""

from __future__ import annotations

import numpy as np

from pipeline.cluster import frozen, graph, novelty
from pipeline.cluster.novelty import block_rows, normalize_rows


def test_block_rows_bound_the_block_size():
    assert block_rows(1000, 2048) == 2048  # small inputs: the usual block
    for columns in (50_000, 500_000, 5_000_000):
        rows = block_rows(columns, 2048)
        assert 1 <= rows < 2048 and rows * columns * 8 <= novelty.BLOCK_BYTES
    assert block_rows(10**12, 2048) == 1


def test_small_blocks_give_the_same_neighbours_counts_and_labels(monkeypatch):
    rng = np.random.default_rng(5)
    vecs = normalize_rows(rng.normal(size=(300, 24)))
    known = rng.random(300) < 0.3
    labels = rng.integers(-1, 6, size=300)
    queries = normalize_rows(rng.normal(size=(80, 24)))

    def compute():
        dist, idx = graph.knn(vecs, 15)
        counts = novelty._known_counts(vecs, known, np.arange(300), [5, 10])
        kth = dist[:, -1]
        assigned = frozen.assign_labels(queries, vecs, labels, kth, 15, 0.3)
        mean = novelty.KnnNovelty(k=5).fit(vecs[known]).score(queries)
        return dist, idx, counts, assigned, mean

    whole = compute()
    monkeypatch.setattr(novelty, "BLOCK_BYTES", 8 * 300 * 7)  # 7 rows per block
    assert block_rows(300, 2048) == 7
    blocked = compute()
    np.testing.assert_allclose(blocked[0], whole[0], atol=1e-12)
    for a, b in zip(blocked[1:4], whole[1:4], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(blocked[4], whole[4], atol=1e-12)


def test_component_vectors_are_made_dense_only_on_request():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(6, 16)) * 10
    X = np.vstack([c + rng.normal(size=(12, 16)) * 0.01 for c in centres])
    fitted = graph.SpectralGraph(5, 0).fit(X)
    n, parts = fitted.shape_
    assert (n, parts) == (72, 6) and not hasattr(fitted, "components_")
    dense = fitted.components(parts)
    for c in range(parts):
        member = fitted.component_labels_ == c
        expected = fitted.sqrt_degree_[member] / np.linalg.norm(fitted.sqrt_degree_[member])
        np.testing.assert_array_equal(dense[member, c], expected)
        assert not dense[~member, c].any()
    np.testing.assert_array_equal(fitted.components(3), dense[:, :3])
    values, vectors = fitted.eigen(10)  # 6 component vectors, then 4 from within them
    np.testing.assert_array_equal(vectors[:, :6], dense)
    for column in vectors[:, 6:].T:
        assert len(set(fitted.component_labels_[column != 0])) == 1
