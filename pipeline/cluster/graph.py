"""k-nearest-neighbour graph tools for clustering: neighbours, spectral embedding, agreement.

The spectral embedding is the Laplacian-eigenmap view of a k-NN graph (the
initialisation UMAP itself uses): edges carry a heat-kernel weight scaled by the two
passages' own distances to their 7th neighbour (self-tuning spectral clustering),
so dense and sparse regions count alike; the graph is symmetrised; the leading eigenvectors of the normalized
adjacency ``D^-1/2 W D^-1/2`` (after the trivial one) give coordinates in which
passages that share many neighbours sit close together. A graph with several
connected components is solved one component at a time, so what is exactly equal
in the mathematics (rows of one component along the directions that tell
components apart) is equal bit for bit, and last-bit differences of the
arithmetic (CPU, BLAS build, row order) cannot show up as structure. Everything is
deterministic: exact neighbours, a dense eigensolver for small components and
ARPACK with a seeded start vector for large ones.
"""

from __future__ import annotations

import numpy as np

from pipeline.cluster.novelty import block_rows, normalize_rows

_DENSE_LIMIT = 1500  # up to this many rows the dense eigensolver is fast enough
_CHUNK = 2048
_LOCAL_SCALE = 7  # neighbour whose distance sets a row's own scale


def knn(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine neighbours of each row among the other rows (self excluded).

    Returns ``(distances, indices)``, each ``(n, k)``, nearest first; distance is the
    Euclidean distance between unit vectors; ties within the k go to the lower row
    index (which of several rows tied at the k-th place is kept is deterministic but
    arbitrary).
    """
    unit = normalize_rows(X)
    n = unit.shape[0]
    k = min(k, n - 1)
    dist = np.empty((n, k))
    idx = np.empty((n, k), dtype=np.int64)
    step = block_rows(n, _CHUNK)
    for lo in range(0, n, step):
        sims = unit[lo : lo + step] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + lo] = -np.inf  # never your own neighbour
        part = np.argpartition(sims, n - k, axis=1)[:, n - k :]  # the k largest
        part_sims = np.take_along_axis(sims, part, axis=1)
        order = np.take_along_axis(part, np.lexsort((part, -part_sims), axis=1), axis=1)
        top = np.take_along_axis(sims, order, axis=1)
        idx[lo : lo + step] = order
        dist[lo : lo + step] = np.sqrt(np.clip(2.0 - 2.0 * top, 0.0, None))
    return dist, idx


def knn_graph(dist: np.ndarray, idx: np.ndarray):
    """Symmetric affinity matrix (scipy CSR) from a k-NN list, with local scaling.

    ``w_ij = exp(-d_ij^2 / (s_i s_j))`` where ``s_i`` is the distance from row i to its
    7th nearest neighbour (Zelnik-Manor & Perona's self-tuning scale), so a tight
    group and a loose one both get strong inner edges and weak outward ones.
    """
    import scipy.sparse as sp

    n, k = idx.shape
    scale = np.maximum(dist[:, min(_LOCAL_SCALE, k) - 1], 1e-12)
    weights = np.exp(-(dist**2) / (scale[:, None] * scale[idx]))
    graph = sp.csr_matrix((weights.ravel(), (np.repeat(np.arange(n), k), idx.ravel())), (n, n))
    return graph.maximum(graph.T).tocsr()


def isolated(dist: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows whose nearest neighbour is farther away than each of their neighbours' k-th.

    Such a row lies outside every neighbour's own neighbourhood: nobody near it
    counts it as near, even its closest passage.
    """
    return dist[:, 0] > dist[idx, -1].max(axis=1)


class SpectralGraph:
    """The normalized k-NN affinity ``D^-1/2 W D^-1/2`` of X and its leading eigenvectors.

    Learned state: ``neighbours_`` (each row's k-NN indices), ``isolated_`` (the
    rows :func:`isolated` picks out), ``affinity_``, ``sqrt_degree_``,
    ``component_labels_`` (each row's connected component, 0 = the largest) and
    ``component_values_``: each row's entry in the unit vector ``D^1/2 1_c`` of its
    connected component (the vectors, largest component first, are made dense only
    for the columns asked for: a corpus of templated text can have thousands of
    components, and n x components floats would not fit in memory). Those span the eigenvalue-1 space exactly, so
    :meth:`eigen` takes them as they are and asks the solver only for the rest.

    The rest is solved one component at a time (the affinity is block-diagonal over
    the components, so its spectrum is the union of theirs): every further
    eigenvector is exactly zero outside its own component, and a component that gets
    none of them sits at one exact point of :meth:`coordinates`, not at a cloud of
    rounding noise that a density clusterer would read as structure.
    """

    def __init__(self, n_neighbors: int = 15, seed: int = 0) -> None:
        self.n_neighbors = n_neighbors
        self.seed = seed

    def fit(self, X) -> SpectralGraph:
        import scipy.sparse as sp

        dist, idx = knn(X, self.n_neighbors)
        graph = knn_graph(dist, idx)
        self.sqrt_degree_ = np.sqrt(np.maximum(np.asarray(graph.sum(axis=1)).ravel(), 1e-12))
        inv_sqrt = sp.diags(1.0 / self.sqrt_degree_)
        self.affinity_ = (inv_sqrt @ graph @ inv_sqrt).tocsr()
        self.component_labels_ = _component_labels(graph)
        self.members_ = _component_members(self.component_labels_)
        self.component_values_ = _component_values(self.members_, self.sqrt_degree_)
        self.neighbours_ = idx
        self.isolated_ = isolated(dist, idx)
        return self

    @property
    def shape_(self) -> tuple[int, int]:
        """(rows, connected components)."""
        return len(self.component_labels_), len(self.members_)

    def components(self, count: int) -> np.ndarray:
        """The first ``count`` component vectors as dense columns (rows x count)."""
        labels = self.component_labels_
        out = np.zeros((len(labels), count))
        keep = np.flatnonzero(labels < count)
        out[keep, labels[keep]] = self.component_values_[keep]
        return out

    def eigen(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``count`` leading eigenvalues and unit eigenvectors, largest first."""
        n, parts = self.shape_
        count = max(1, min(count, n - 1))
        if count <= parts:
            return np.ones(count), self.components(count)
        values, vectors = self._within(count - parts)
        return np.r_[np.ones(parts), values], np.column_stack([self.components(parts), vectors])

    def coordinates(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``count`` leading non-trivial eigenvalues and Laplacian-eigenmap coordinates.

        Coordinates are ``D^-1/2`` times the eigenvectors (the trivial direction
        ``D^1/2 1`` removed), signs fixed so each column's largest entry is positive;
        rows are not normalized. The eigenvalue-1 columns that tell components apart
        are one exact value per component (all rows of a component share them bit
        for bit).
        """
        n, parts = self.shape_
        count = max(1, min(count, n - 2))
        table = _between_table(self.component_labels_, self.sqrt_degree_)
        values, coords = np.ones(parts - 1), table[self.component_labels_]
        if count > parts - 1:
            more_values, more = self._within(count - parts + 1)
            values = np.r_[values, more_values]
            coords = np.column_stack([coords, more / self.sqrt_degree_[:, None]])
        coords = coords[:, :count]
        pivot = np.abs(coords).argmax(axis=0)
        coords = coords * np.sign(coords[pivot, np.arange(coords.shape[1])])
        return values[:count], coords

    def _within(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``count`` leading eigenpairs orthogonal to the component vectors.

        Each component's own leading pairs (its indicator deflated), pooled and
        ranked by eigenvalue (ties: the larger component first, then its own order);
        each vector is zero outside its component.
        """
        n = len(self.component_labels_)
        pooled_values, pooled = [], []
        for rows in self.members_:
            wanted = min(count, rows.size - 1)
            if wanted < 1:
                continue
            block = self.affinity_[rows][:, rows]
            indicator = self.component_values_[rows][:, None]
            values, vectors = _deflated_leading(block, indicator, wanted, self.seed)
            pooled_values.append(values)
            pooled.extend((rows, vectors[:, j]) for j in range(wanted))
        values = np.concatenate(pooled_values)
        order = np.argsort(-values, kind="stable")[:count]
        out = np.zeros((n, len(order)))  # each vector is zero outside its component
        for column, at in enumerate(order):
            rows, vector = pooled[at]
            out[rows, column] = vector
        return values[order], out


def spectral_embedding(
    X, n_components: int, n_neighbors: int = 15, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalized diffusion coordinates of X's k-NN graph, and the k-NN indices.

    Each Laplacian-eigenmap coordinate is scaled by its eigenvalue, so directions
    that separate groups weigh more than the ones that vary within a group.
    """
    graph = SpectralGraph(n_neighbors, seed).fit(X)
    values, coords = graph.coordinates(n_components)
    return normalize_rows(coords * values), graph.neighbours_


def _component_labels(graph) -> np.ndarray:
    """Connected component of each row, numbered by size (largest first), ties by first row."""
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(graph, directed=False)
    ids, first, sizes = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda j: (-sizes[j], first[j]))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank[np.searchsorted(ids, labels)]


def _component_members(labels: np.ndarray) -> list[np.ndarray]:
    """The rows of each component (ascending), component by component."""
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, bounds)


def _component_values(members: list[np.ndarray], sqrt_degree: np.ndarray) -> np.ndarray:
    """Each row's entry in its component's unit vector ``D^1/2 1_c``."""
    values = np.zeros(len(sqrt_degree))
    for rows in members:
        values[rows] = sqrt_degree[rows] / np.linalg.norm(sqrt_degree[rows])
    return values


def _between_table(labels: np.ndarray, sqrt_degree: np.ndarray) -> np.ndarray:
    """Per-component coordinates of the eigenvalue-1 space without ``D^1/2 1``: (c, c-1).

    Component c's vector is ``D^1/2 1_c / sqrt(vol_c)``; in that basis ``D^1/2 1`` is
    ``sqrt(vol)``, so an orthonormal complement ``Q`` of it gives eigenvectors whose
    ``D^-1/2``-scaled entries are ``Q[c] / sqrt(vol_c)`` on every row of component c.
    """
    root_volume = np.sqrt(np.bincount(labels, weights=sqrt_degree**2))
    parts = len(root_volume)
    if parts == 1:
        return np.zeros((1, 0))
    trivial = root_volume / np.linalg.norm(root_volume)
    left, _, _ = np.linalg.svd(np.eye(parts) - np.outer(trivial, trivial))
    return left[:, : parts - 1] / root_volume[:, None]


def _deflated_leading(affinity, known: np.ndarray, count: int, seed: int):
    """``count`` leading eigenpairs of the affinity orthogonal to the unit columns of ``known``.

    ``known`` are eigenvectors of eigenvalue 1; they are shifted to -2, below the
    whole spectrum of a normalized affinity ([-1, 1]), so they never come first.
    """
    n = affinity.shape[0]
    if n <= _DENSE_LIMIT or count >= n - 1:
        values, vectors = np.linalg.eigh(affinity.toarray() - 3.0 * known @ known.T)
    else:
        from scipy.sparse.linalg import LinearOperator, eigsh

        operator = LinearOperator(
            (n, n), matvec=lambda x: affinity @ x - 3.0 * known @ (known.T @ x), dtype=np.float64
        )
        start = np.random.default_rng(seed).uniform(0.5, 1.5, n)
        start -= known @ (known.T @ start)
        values, vectors = eigsh(operator, k=count, which="LA", v0=start, tol=1e-8)
    order = np.argsort(-values, kind="stable")[:count]
    return values[order], vectors[:, order]


def neighbour_agreement(labels: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Share of each row's neighbours that carry the row's own label."""
    return (labels[idx] == labels[:, None]).mean(axis=1)
