"""Frozen clusterer: candidate categories fitted once, later passages assigned to them.

``groundcode run`` clusters the uncoded passages once per cluster key (cluster
settings, seed, coder, embedder, codebook; :func:`cluster_key`) and saves the fit
under ``<output>/models/clusters/<key>/``. A later run with the same key does not
cluster again; it updates the saved clusters:

* passages of documents that are gone leave the pool (a candidate left with no
  passage is dropped; ids are never renumbered);
* a passage that joins the pool (uncoded by the rule :func:`find_candidates` uses
  and not clustered at the fit — a new passage, or one whose text changed) goes to
  the candidate most of its ``n_neighbors`` nearest *fitted* pool passages belong
  to (ties: the one whose voter is nearest). Like the spectral clusterer's own rule
  it stays an outlier when fewer than the fit's agreement threshold
  (``min_agreement``) of those neighbours carry that candidate, or when even its
  nearest fitted passage is farther away than each of its neighbours' own k-th
  nearest (it is isolated);
* keywords, representatives, nearest codes and main categories are recomputed for
  the updated memberships; the density novelty of a fitted passage is the value
  saved at the fit, a joining passage is scored against the fit's reference pool
  (:func:`~pipeline.cluster.novelty.known_density_of`), so no run but the fit
  does a k-NN over the whole corpus.

When the codable passages exceed ``cluster.max_fit_passages`` the fit clusters the
uncoded passages of a seeded sample of that many passages (the *reference*: sorted,
so the order is kept) and places every other uncoded passage the way it places a
passage that joins later (nearest fitted passages, density against the reference),
as BERTopic fits on a sample and transforms the rest. The state records every
passage of the fit (a hash of its id and text, its coded flag and best code cosine)
and the label of every uncoded one, but keeps vectors only for the reference, so a
later run with the same passages assigns nobody and a small change assigns few.
Passage vectors are asked of ``embed`` in slices of at most :data:`EMBED_SLICE`.

The result is a function of the saved state and the current passages and
suggestions only (which passages joined or left, not in which run), so it is
deterministic; it is not what a fresh fit of the same corpus would give.
``candidates.yaml`` and the report say which fit the candidates come from, how
many passages it clustered and how many joined or left since.

The clusters are fitted again when the passages that joined exceed
``cluster.refit_share`` of the pool at the fit (the uncoded passages then, clustered
or, beyond the cap, assigned), when ``refit=True`` (``groundcode run
--refit``) or when the key changed. A saved state that cannot be read (missing
file, wrong format, checksum mismatch, shapes that do not fit) is treated like no
saved state: the clusters are fitted again and saved, with a
:class:`ClusterStateWarning`. The state is derived data — the store and the
config can always rebuild it — so refusing to run would only block the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.classify.suggestion import Suggestion
from pipeline.cluster.candidates import (
    ClusterResult,
    FitInfo,
    MemberGeometry,
    clusterer_from_settings,
    coded_mask,
    describe_clusters,
)
from pipeline.cluster.keywords import Tokenizer, basic_tokenize
from pipeline.cluster.novelty import (
    KnownDensityNovelty,
    block_rows,
    known_density_of,
    normalize_rows,
)
from pipeline.cluster.settings import ClusterSettings
from pipeline.embed.slices import EMBED_SLICE
from pipeline.errors import ClusterError
from pipeline.io import atomic_write_text, sha256_text
from pipeline.segment.passage import Passage

STATE_FORMAT = 2
# settings that only change how candidates are described (recomputed every run)
_DESCRIBE_ONLY = {"enabled", "refit_share", "keywords", "representatives", "nearest_codes"}
_CHUNK = 2048
_SAMPLED_BLOCK = 256  # rows per similarity block beyond max_fit_passages (bounds memory)

Embed = Callable[[Sequence[Passage]], np.ndarray]


class ClusterStateWarning(UserWarning):
    """The saved clusterer could not be used; the clusters were fitted again."""


@dataclass(frozen=True)
class Prototypes:
    """Code prototypes (one row per id) and optional main-category prototypes."""

    codes: np.ndarray
    code_ids: tuple[str, ...]
    mains: np.ndarray | None = None
    main_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterState:
    """What a fit leaves behind; enough to assign new passages and describe candidates.

    Every passage of the fit is a row: its ``keys`` (hash of id and text,
    :func:`passage_keys`), ``known`` (coded) mask and ``best`` code cosine.
    ``reference`` are the rows whose unit ``vectors`` (float64, as the fit used them)
    are kept: every row, or the seeded sample the fit was made on
    (``cluster.max_fit_passages``). ``pool`` are the rows clustered or assigned at
    the fit, with their ``labels`` and ``density`` (KnownDensityNovelty against the
    reference, None when it was not computed; ``ks`` its neighbourhood sizes).
    ``fitted`` are the positions in ``pool`` the clusterer saw (every one unless the
    fit was on a sample; all are reference rows), with ``kth`` (distance to their
    ``n_neighbors``-th nearest fitted passage). ``threshold`` is the agreement
    threshold of the fit.
    """

    key: str
    fit_id: str
    keys: np.ndarray
    known: np.ndarray
    best: np.ndarray
    reference: np.ndarray
    vectors: np.ndarray
    pool: np.ndarray
    labels: np.ndarray
    fitted: np.ndarray
    kth: np.ndarray
    density: np.ndarray | None
    ks: tuple[int, ...]
    threshold: float
    n_neighbors: int
    prototypes: Prototypes

    @property
    def sampled(self) -> bool:
        """Whether the clusters were fitted on a sample of the passages."""
        return len(self.reference) < len(self.keys)

    def fit_info(self, assigned: int = 0, left: int = 0) -> FitInfo:
        sample, total = (len(self.reference), len(self.keys)) if self.sampled else (0, 0)
        return FitInfo(self.fit_id, len(self.fitted), assigned, left, sample, total)

    def placer(self) -> Placer:
        """How passages the clusterer did not see get their label and density."""
        fitted = self.pool[self.fitted]
        at = _positions(len(self.keys), self.reference)
        return Placer(
            np.asarray(self.vectors[at[fitted]]),
            self.labels[self.fitted],
            self.kth,
            self.n_neighbors,
            self.threshold,
            self.vectors,
            self.known[self.reference],
            self.ks if self.density is not None else (),
            self.sampled,
        )


@dataclass(frozen=True)
class Placer:
    """Label (:func:`assign_labels`) and density (:func:`known_density_of`, when ``ks``)
    of passages the clusterer did not see, from the fitted pool and the reference."""

    fitted: np.ndarray  # unit vectors of the fitted pool passages
    labels: np.ndarray  # their labels
    kth: np.ndarray
    n_neighbors: int
    threshold: float
    reference: np.ndarray  # unit vectors of the reference
    known: np.ndarray  # coded mask over the reference
    ks: tuple[int, ...]  # () = no density
    small_blocks: bool  # a sampled fit's many queries: smaller similarity blocks

    def place(self, queries: np.ndarray, self_rows: np.ndarray):
        """(labels, density or None) of unit ``queries``; ``self_rows``: each query's
        own reference row (-1 = none), never its own neighbour."""
        labels = np.empty(len(queries), dtype=np.int64)
        density = np.empty(len(queries)) if self.ks else None
        for lo in range(0, len(queries), EMBED_SLICE):
            part = queries[lo : lo + EMBED_SLICE]
            labels[lo : lo + len(part)] = assign_labels(
                part,
                self.fitted,
                self.labels,
                self.kth,
                self.n_neighbors,
                self.threshold,
                block=_SAMPLED_BLOCK if self.small_blocks else _CHUNK,
            )
            if density is not None:
                density[lo : lo + len(part)] = known_density_of(
                    part,
                    self.reference,
                    self.known,
                    self.ks,
                    self_rows[lo : lo + len(part)],
                    unit=True,
                    block=_SAMPLED_BLOCK if self.small_blocks else 1024,
                )
        return labels, density


def cluster_key(
    settings: ClusterSettings, seed: int, coder: str, embedder_id: str, codebook_hash: str
) -> str:
    """What the fitted clusters depend on (not the corpus: they are frozen once fitted)."""
    data = {
        "cluster": settings.model_dump(mode="json", exclude=_DESCRIBE_ONLY),
        "seed": seed,
        "coder": coder,
        "embedder": embedder_id,
        "codebook": codebook_hash,
    }
    return sha256_text(json.dumps(data, sort_keys=True))[:16]


def frozen_candidates(
    folder: str | Path,
    key: str,
    passages: Sequence[Passage],
    suggestions: Sequence[Suggestion],
    settings: ClusterSettings,
    seed: int,
    *,
    embed: Embed,
    prototypes: Callable[[], Prototypes],
    refit: bool = False,
    tokenizer: Tokenizer = basic_tokenize,
) -> ClusterResult:
    """Candidates of ``passages`` from the clusterer saved in ``folder`` (fitted if needed).

    ``embed`` gives vectors for passages, called on slices of at most
    :data:`EMBED_SLICE` (for the passages whose vectors the saved state does not
    hold, or for all of them when fitting); ``prototypes`` is only called when
    fitting. See the module docstring for when the clusters are fitted again.
    """
    folder = Path(folder)
    if not refit:
        try:
            state = load_state(folder, key)
        except ClusterError as exc:
            warnings.warn(
                f"saved clusterer in {folder} not used ({exc.message}); fitting the "
                "candidate clusters again",
                ClusterStateWarning,
                stacklevel=2,
            )
            state = None
        if state is not None:
            result = assign_frozen(state, passages, suggestions, settings, embed, tokenizer)
            if result is not None:
                return result
    result, state = fit_frozen(
        passages,
        embed,
        prototypes,
        settings,
        seed,
        suggestions=suggestions,
        key=key,
        tokenizer=tokenizer,
    )
    if state is not None:
        save_state(state, folder)
    return result


def fit_frozen(
    passages: Sequence[Passage],
    embed: Embed,
    prototypes: Callable[[], Prototypes],
    settings: ClusterSettings,
    seed: int,
    *,
    suggestions: Sequence[Suggestion],
    key: str = "",
    tokenizer: Tokenizer = basic_tokenize,
) -> tuple[ClusterResult, ClusterState | None]:
    """Cluster the uncoded passages; the result and the state to freeze (None: too few).

    Beyond ``settings.max_fit_passages`` passages the clusterer sees the uncoded
    passages of a seeded sample (the reference) and the others are placed by
    :class:`Placer`; ``embed`` is called on slices, each passage once.
    """
    from pipeline.cluster.graph import knn

    known = coded_mask(passages, suggestions)
    chosen = np.asarray(_pool(known, settings), dtype=np.int64)
    reference = _sample(len(passages), settings.max_fit_passages, seed)
    ref_at = _positions(len(passages), reference)
    fitted = np.flatnonzero(ref_at[chosen] >= 0)  # positions in chosen
    if len(fitted) < settings.min_cluster_size:
        outliers = tuple(passages[i].id for i in chosen)
        return ClusterResult((), outliers, 1.0 if len(chosen) else 0.0), None
    vecs = _embed_rows(embed, passages, reference)
    protos = prototypes()
    codes, mains = _codes(protos, vecs.shape[1]), _mains(protos, vecs.shape[1])
    ref_known = known[reference]
    best = np.zeros(len(passages))
    if codes.shape[0]:
        best[reference] = (vecs @ codes.T).max(axis=1)
    sub = vecs[ref_at[chosen[fitted]]]
    clusterer = clusterer_from_settings(settings, seed).fit(sub)
    threshold = clusterer.params_.min_agreement
    threshold = settings.min_agreement if threshold is None else float(threshold)
    labels = np.full(len(chosen), -1, dtype=np.int64)  # the pool's; -1 until placed
    labels[fitted] = clusterer.labels_
    density, ks = None, ()
    if not ref_known.all() and ref_known.any() and len(reference) > 5:
        block = _SAMPLED_BLOCK if len(reference) < len(passages) else 1024
        scorer = KnownDensityNovelty(block=block).fit(vecs, ref_known, rows=ref_at[chosen[fitted]])
        density, ks = np.zeros(len(chosen)), scorer.ks_
        density[fitted] = scorer.novelty_
    dist, _ = knn(sub, settings.n_neighbors)
    fitted_ids = [passages[chosen[j]].id for j in fitted]
    fit_json = json.dumps([key, fitted_ids, clusterer.labels_.tolist()], separators=(",", ":"))
    state = ClusterState(
        key=key,
        fit_id=sha256_text(fit_json)[:12],
        keys=passage_keys(passages),
        known=known,
        best=best,
        reference=reference,
        vectors=vecs,
        pool=chosen,
        labels=labels,
        fitted=fitted,
        kth=dist[:, -1].copy(),
        density=density,
        ks=tuple(int(k) for k in ks),
        threshold=threshold,
        n_neighbors=settings.n_neighbors,
        prototypes=protos,
    )
    if state.sampled:  # the pool's vectors are streamed twice rather than held
        _place_rest(state, passages, embed, codes)
        sub = streamed_geometry(state.labels, _pool_vectors(
            state.pool, ref_at, state.vectors, passages, embed), codes)
    result = describe_clusters(
        [passages[i] for i in chosen],
        sub,
        state.labels,
        codes,
        protos.code_ids,
        settings,
        reference=state.best[known],
        density=state.density,
        mains=mains,
        tokenizer=tokenizer,
        fit=state.fit_info(),
    )
    return result, state


def _place_rest(
    state: ClusterState, passages: Sequence[Passage], embed: Embed, codes: np.ndarray
) -> None:
    """Complete a sampled fit in place: the best code cosine of the passages outside
    the reference, the label and density of the uncoded ones among them (a slice of
    vectors at a time; none is kept)."""
    n, dim = len(state.keys), state.vectors.shape[1]
    placer = state.placer()
    pool_at, ref_at = _positions(n, state.pool), _positions(n, state.reference)
    for rows, vecs in _embed_slices(embed, passages, np.flatnonzero(ref_at < 0), dim):
        if codes.shape[0]:
            state.best[rows] = (vecs @ codes.T).max(axis=1)
        at = pool_at[rows]
        joins = at >= 0
        if not joins.any():
            continue
        labels, density = placer.place(vecs[joins], np.full(int(joins.sum()), -1))
        state.labels[at[joins]] = labels
        if state.density is not None:
            state.density[at[joins]] = density


PoolVectors = Callable[[np.ndarray], Iterator[tuple[np.ndarray, np.ndarray]]]


def _pool_vectors(
    pool: np.ndarray,
    held_at: np.ndarray,
    held: np.ndarray,
    passages: Sequence[Passage],
    embed: Embed,
    extra: dict[int, np.ndarray] | None = None,
) -> PoolVectors:
    """Unit vectors of pool positions, slice by slice: from ``held`` where ``held_at``
    (per passage row) names a row of it, from ``extra`` (pool position → vector) where
    given, else embedded (:func:`_embed_slices`)."""
    dim = held.shape[1]

    def vectors(positions: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rows = pool[positions]
        inside = held_at[rows] >= 0
        local = np.asarray([p in extra for p in positions.tolist()], dtype=bool) \
            if extra else np.zeros(len(positions), dtype=bool)
        for lo in range(0, int(inside.sum()), EMBED_SLICE):
            part = positions[inside][lo : lo + EMBED_SLICE]
            yield part, np.asarray(held[held_at[pool[part]]], dtype=np.float64)
        given = positions[~inside & local]
        for lo in range(0, len(given), EMBED_SLICE):
            part = given[lo : lo + EMBED_SLICE]
            yield part, np.stack([extra[p] for p in part.tolist()])
        rest = positions[~inside & ~local]
        at = _positions(len(passages), rows[~inside & ~local])
        for part_rows, vecs in _embed_slices(embed, passages, rows[~inside & ~local], dim,
                                             saved=True):
            yield rest[at[part_rows]], vecs

    return vectors


def streamed_geometry(labels: np.ndarray, vectors: PoolVectors, codes: np.ndarray
                      ) -> MemberGeometry:
    """:class:`MemberGeometry` of a pool too large to hold: the members' vectors are
    read twice, a slice at a time (the centroids' sums, then each member's cosines).
    ``vectors(positions)`` yields (positions, unit vectors) for pool positions."""
    from scipy import sparse

    labels = np.asarray(labels)
    count = int(labels.max(initial=-1)) + 1
    members = np.flatnonzero(labels >= 0)
    central, best = np.zeros(len(labels)), np.zeros(len(labels))
    sums = None
    for at, vecs in vectors(members):
        one_hot = sparse.csr_matrix((np.ones(len(at)), (labels[at], np.arange(len(at)))),
                                    shape=(count, len(at)))
        part = np.asarray(one_hot @ vecs)
        sums = part if sums is None else sums + part
    if sums is None:
        return MemberGeometry(np.zeros((count, codes.shape[1])), central, best)
    sizes = np.bincount(labels[members], minlength=count)
    centroids = normalize_rows(sums / np.maximum(sizes, 1)[:, None])
    for at, vecs in vectors(members):
        central[at] = np.einsum("ij,ij->i", vecs, centroids[labels[at]])
        if codes.shape[0]:
            best[at] = (vecs @ codes.T).max(axis=1)
    return MemberGeometry(centroids, central, best)


def assign_frozen(
    state: ClusterState,
    passages: Sequence[Passage],
    suggestions: Sequence[Suggestion],
    settings: ClusterSettings,
    embed: Embed,
    tokenizer: Tokenizer = basic_tokenize,
) -> ClusterResult | None:
    """The saved clusters updated to the current passages; None when they need a refit."""
    rows = _rows_of(state.keys, passage_keys(passages))  # -1: not seen at the fit
    known = coded_mask(passages, suggestions)
    chosen = np.asarray(_pool(known, settings), dtype=np.int64)
    n, dim = len(state.keys), state.vectors.shape[1]
    chosen_rows = rows[chosen]
    pos = np.where(chosen_rows >= 0, _positions(n, state.pool)[np.maximum(chosen_rows, 0)], -1)
    joined = pos < 0
    if joined.sum() > settings.refit_share * len(state.pool):
        return None
    ref_at = _positions(n, state.reference)
    in_ref = np.where(rows >= 0, ref_at[np.maximum(rows, 0)], -1)  # reference row or -1
    if state.sampled:
        return _assign_sampled(state, passages, known, chosen, rows, joined, pos, in_ref,
                               settings, embed, tokenizer)
    sub = np.empty((len(chosen), dim))
    held = in_ref[chosen] >= 0
    sub[held] = state.vectors[in_ref[chosen][held]]
    codes = normalize_rows(state.prototypes.codes)
    best = np.where(rows >= 0, state.best[np.maximum(rows, 0)], 0.0)
    chosen_at = _positions(len(passages), chosen)
    need = (rows < 0) | ((in_ref < 0) & (chosen_at >= 0))
    for idx, vecs in _embed_slices(embed, passages, np.flatnonzero(need), dim, saved=True):
        fresh = rows[idx] < 0
        if fresh.any() and codes.shape[0]:
            best[idx[fresh]] = (vecs[fresh] @ codes.T).max(axis=1)
        at = chosen_at[idx]
        sub[at[at >= 0]] = vecs[at >= 0]
    labels, density = _carried(state, joined, pos)
    if joined.any():
        placed, dens = state.placer().place(sub[joined], in_ref[chosen][joined])
        labels[joined] = placed
        if density is not None:
            density[joined] = dens
    return _describe_assigned(state, passages, chosen, sub, labels, density, codes,
                              best[known], joined, settings, tokenizer)


def _assign_sampled(state, passages, known, chosen, rows, joined, pos, in_ref, settings,
                    embed, tokenizer) -> ClusterResult:
    """:func:`assign_frozen` for clusters fitted on a sample: only the joining passages'
    vectors are held (at most ``refit_share`` of the pool); the pool's geometry is
    streamed (:func:`streamed_geometry`)."""
    dim = state.vectors.shape[1]
    codes = normalize_rows(state.prototypes.codes)
    best = np.where(rows >= 0, state.best[np.maximum(rows, 0)], 0.0)
    chosen_at = _positions(len(passages), chosen)
    joined_at = np.full(len(passages), False)
    joined_at[chosen[joined]] = True
    extra: dict[int, np.ndarray] = {}
    need = (rows < 0) | ((in_ref < 0) & joined_at)
    for idx, vecs in _embed_slices(embed, passages, np.flatnonzero(need), dim, saved=True):
        fresh = rows[idx] < 0
        if fresh.any() and codes.shape[0]:
            best[idx[fresh]] = (vecs[fresh] @ codes.T).max(axis=1)
        for j in np.flatnonzero(joined_at[idx]).tolist():
            extra[int(chosen_at[idx[j]])] = vecs[j]
    labels, density = _carried(state, joined, pos)
    if joined.any():
        where = np.flatnonzero(joined)
        from_ref = in_ref[chosen[where]]
        joining = np.stack([state.vectors[r] if r >= 0 else extra[int(p)]
                            for p, r in zip(where.tolist(), from_ref.tolist(), strict=True)])
        placed, dens = state.placer().place(joining, from_ref)
        labels[where] = placed
        if density is not None:
            density[where] = dens
    geometry = streamed_geometry(
        labels, _pool_vectors(chosen, in_ref, state.vectors, passages, embed, extra), codes)
    return _describe_assigned(state, passages, chosen, geometry, labels, density, codes,
                              best[known], joined, settings, tokenizer)


def _carried(state: ClusterState, joined: np.ndarray, pos: np.ndarray):
    """Labels and density the pool's passages keep from the fit (-1 and 0 for the
    joining ones, placed afterwards)."""
    labels = np.where(joined, -1, state.labels[np.maximum(pos, 0)])
    density = None
    if state.density is not None:
        density = np.where(joined, 0.0, state.density[np.maximum(pos, 0)])
    return labels, density


def _describe_assigned(state, passages, chosen, vecs, labels, density, codes, reference,
                       joined, settings, tokenizer) -> ClusterResult:
    """The candidates after an assignment (``vecs``: the pool's vectors or geometry)."""
    mains = None
    if state.prototypes.mains is not None:
        mains = (normalize_rows(state.prototypes.mains), tuple(state.prototypes.main_ids))
    left = len(state.pool) - int((~joined).sum())
    return describe_clusters(
        [passages[i] for i in chosen],
        vecs,
        labels,
        codes,
        state.prototypes.code_ids,
        settings,
        reference=reference,
        density=density,
        mains=mains,
        tokenizer=tokenizer,
        fit=state.fit_info(int(joined.sum()), left),
    )


def assign_labels(
    queries: np.ndarray,
    pool: np.ndarray,
    labels: np.ndarray,
    kth: np.ndarray,
    n_neighbors: int,
    threshold: float,
    block: int = _CHUNK,
) -> np.ndarray:
    """Candidate of each query by its ``n_neighbors`` nearest ``pool`` rows (-1 = outlier).

    Unit vectors in, nearest first with ties to the lower pool row (like
    :func:`~pipeline.cluster.graph.knn`). The winner is the label most neighbours
    carry (outliers do not vote; ties: the label of the nearest voter); the query is
    an outlier when its share of the neighbours is below ``threshold``, or when its
    nearest pool row is farther away than the ``kth`` distance of each neighbour.
    ``block``: query rows per similarity block (at most; fewer for a large pool).
    """
    n = pool.shape[0]
    k = max(1, min(n_neighbors, n))
    out = np.full(queries.shape[0], -1, dtype=np.int64)
    step = block_rows(n, block)
    for lo in range(0, queries.shape[0], step):
        sims = queries[lo : lo + step] @ pool.T
        part = np.argpartition(sims, n - k, axis=1)[:, n - k :]
        part_sims = np.take_along_axis(sims, part, axis=1)
        idx = np.take_along_axis(part, np.lexsort((part, -part_sims), axis=1), axis=1)
        dist = np.sqrt(np.clip(2.0 - 2.0 * np.take_along_axis(sims, idx, axis=1), 0.0, None))
        isolated = dist[:, 0] > kth[idx].max(axis=1)
        for j, near in enumerate(labels[idx]):
            voters = near[near >= 0]
            if voters.size == 0 or isolated[j]:
                continue
            counts = np.bincount(voters)
            top = counts.max()
            winner = next(int(c) for c in voters if counts[c] == top)
            if top / k >= threshold - 1e-12:
                out[lo + j] = winner
    return out if out is not None else np.zeros((0, 0))


def save_state(state: ClusterState, folder: str | Path) -> Path:
    """Write ``vectors.npy``, ``arrays.npz`` and last ``state.json`` into ``folder``.

    ``state.json`` carries the fit id (stored in ``arrays.npz`` too) and the CRC-32
    of ``vectors.npy``, so a half-written or damaged state is recognised; the zip
    format checks ``arrays.npz`` itself. Other key folders beside ``folder`` (fits
    for settings no longer in use) are removed: a state holds the reference's vectors.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    protos = state.prototypes
    arrays = {
        "known": state.known,
        "best": state.best,
        "keys": state.keys,
        "reference": state.reference,
        "pool": state.pool,
        "labels": state.labels,
        "fitted": state.fitted,
        "kth": state.kth,
        "codes": protos.codes,
        "fit_id": np.array(state.fit_id),
    }
    if state.density is not None:
        arrays["density"] = state.density
    if protos.mains is not None:
        arrays["mains"] = protos.mains
    vectors = np.ascontiguousarray(state.vectors, dtype=np.float64)
    for name, write in (
        ("vectors.npy", lambda handle: np.save(handle, vectors)),
        (
            "arrays.npz",
            lambda handle: np.savez(handle, **{k: np.asarray(v) for k, v in arrays.items()}),
        ),
    ):
        tmp = folder / f"{name}.tmp-{os.getpid()}"
        with open(tmp, "wb") as handle:
            write(handle)
        os.replace(tmp, folder / name)
    meta = {
        "format": STATE_FORMAT,
        "key": state.key,
        "fit_id": state.fit_id,
        "passages": len(state.keys),
        "sample": len(state.reference),
        "fitted_passages": len(state.fitted),
        "clusters": int(state.labels.max(initial=-1) + 1),
        "threshold": state.threshold,
        "n_neighbors": state.n_neighbors,
        "ks": list(state.ks),
        "code_ids": list(protos.code_ids),
        "main_ids": list(protos.main_ids),
        "vectors_crc32": _crc32(np.load(folder / "vectors.npy", mmap_mode="r")),
    }
    atomic_write_text(folder / "state.json", json.dumps(meta, ensure_ascii=False) + "\n")
    for other in folder.parent.iterdir():
        if other != folder and other.is_dir() and (other / "state.json").exists():
            shutil.rmtree(other, ignore_errors=True)
    return folder


def load_state(folder: str | Path, key: str) -> ClusterState | None:
    """The state saved in ``folder`` for ``key``; None when there is none.

    Raises :class:`ClusterError` when a state is there but cannot be used. The
    vectors are memory-mapped (read-only).
    """
    folder = Path(folder)
    meta_path = folder / "state.json"
    arrays_path, vectors_path = folder / "arrays.npz", folder / "vectors.npy"
    if not any(p.exists() for p in (meta_path, arrays_path, vectors_path)):
        return None
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ClusterError(f"cannot read the saved clusterer: {exc}", file=meta_path) from None
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        raise ClusterError("saved clusterer has an unknown format", file=meta_path)
    if meta.get("key") != key:
        raise ClusterError("saved clusterer was fitted for other settings", file=meta_path)
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ClusterError(f"cannot read the saved arrays: {exc}", file=folder) from None
    if str(arrays.get("fit_id", "")) != meta.get("fit_id"):
        raise ClusterError("saved arrays belong to another fit", file=arrays_path)
    if vectors.dtype != np.float64 or _crc32(vectors) != meta.get("vectors_crc32"):
        raise ClusterError("saved vectors do not match their checksum", file=vectors_path)
    try:
        state = _state_from(key, meta, arrays, vectors)
    except (KeyError, TypeError, ValueError) as exc:
        raise ClusterError(f"saved clusterer is incomplete: {exc}", file=folder) from None
    _check_state(state, folder)
    return state


def _state_from(key: str, meta: dict, arrays: dict, vectors: np.ndarray) -> ClusterState:
    protos = Prototypes(
        arrays["codes"], tuple(meta["code_ids"]), arrays.get("mains"), tuple(meta["main_ids"])
    )
    index = {name: arrays[name].astype(np.int64) for name in ("reference", "pool", "fitted")}
    return ClusterState(
        key=key,
        fit_id=str(meta["fit_id"]),
        keys=arrays["keys"].astype(np.uint64),
        known=arrays["known"].astype(bool),
        best=arrays["best"],
        vectors=vectors,
        labels=arrays["labels"].astype(np.int64),
        kth=arrays["kth"],
        density=arrays.get("density"),
        ks=tuple(int(k) for k in meta["ks"]),
        threshold=float(meta["threshold"]),
        n_neighbors=int(meta["n_neighbors"]),
        prototypes=protos,
        **index,
    )


def _crc32(array: np.ndarray) -> int:
    return zlib.crc32(memoryview(np.ascontiguousarray(array)).cast("B"))


def _check_state(state: ClusterState, folder: Path) -> None:
    n, p, r = len(state.keys), len(state.pool), len(state.reference)
    problems = []
    if state.known.shape != (n,) or state.best.shape != (n,):
        problems.append("passage keys and masks differ in length")
    if state.vectors.ndim != 2 or state.vectors.shape[0] != r:
        problems.append("reference rows and vectors differ in length")
    if state.labels.shape != (p,) or state.kth.shape != state.fitted.shape:
        problems.append("pool labels differ in length")
    for name, rows, size in (
        ("reference", state.reference, n),
        ("pool", state.pool, n),
        ("fitted", state.fitted, p),
    ):
        if rows.ndim != 1 or (rows.size and (rows.min() < 0 or rows.max() >= size)):
            problems.append(f"{name} rows out of range")
    if not problems and (_positions(n, state.reference)[state.pool[state.fitted]] < 0).any():
        problems.append("fitted passages missing from the reference")
    if state.density is not None and (state.density.shape != (p,) or not state.ks):
        problems.append("density novelty does not match the pool")
    codes = state.prototypes.codes
    if codes.ndim != 2 or codes.shape[0] != len(state.prototypes.code_ids):
        problems.append("prototypes do not match their ids")
    elif state.vectors.ndim == 2 and codes.shape[1] != state.vectors.shape[1]:
        problems.append("prototypes and vectors differ in dimension")
    if problems:
        raise ClusterError(f"saved clusterer is inconsistent: {'; '.join(problems)}", file=folder)


def _codes(prototypes: Prototypes, dim: int) -> np.ndarray:
    codes = normalize_rows(prototypes.codes)
    if codes.ndim != 2 or codes.shape != (len(prototypes.code_ids), dim):
        raise ClusterError(
            f"prototypes of shape {codes.shape} do not match {len(prototypes.code_ids)} code "
            f"ids and {dim}-d passage vectors",
            hint="build prototypes with the same embedder as the passages, one row per code.",
        )
    return codes


def _mains(prototypes: Prototypes, dim: int):
    if prototypes.mains is None:
        return None
    mains = normalize_rows(prototypes.mains)
    if mains.ndim != 2 or mains.shape != (len(prototypes.main_ids), dim):
        raise ClusterError(
            f"main-category prototypes of shape {mains.shape} do not match "
            f"{len(prototypes.main_ids)} ids and {dim}-d passage vectors",
            hint="build them with the same embedder as the passages, one row per main id.",
        )
    return mains, tuple(prototypes.main_ids)


def _embed_slices(
    embed: Embed,
    passages: Sequence[Passage],
    rows: np.ndarray,
    dim: int | None = None,
    *,
    saved: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(rows, their unit float64 vectors) for ``rows`` of ``passages``, :data:`EMBED_SLICE`
    passages per ``embed`` call, all of dimension ``dim`` (None: the first slice's;
    ``saved``: ``dim`` is that of a saved reference)."""
    for lo in range(0, len(rows), EMBED_SLICE):
        part = rows[lo : lo + EMBED_SLICE]
        raw = np.asarray(embed([passages[i] for i in part]))
        if raw.ndim == 2 and raw.shape[0] == len(part) and dim in (None, raw.shape[1]):
            dim = raw.shape[1]
            yield part, normalize_rows(raw)
        elif saved:
            raise ClusterError(
                f"vectors of shape {raw.shape} for {len(part)} new passages do not match "
                f"the saved {dim}-d reference",
                hint="use the embedder the clusterer was fitted with (it is part of its key).",
            )
        else:
            raise ClusterError(
                f"{len(part)} passages but vectors of shape {raw.shape}"
                + ("" if dim is None else f" (earlier passages: {dim}-d)"),
                hint="pass one embedding row per passage, in passage order.",
            )


def _embed_rows(embed: Embed, passages: Sequence[Passage], rows: np.ndarray) -> np.ndarray:
    """Unit float64 vectors of ``rows`` of ``passages`` (one matrix, filled slice by slice)."""
    out, done = None, 0
    for part, vecs in _embed_slices(embed, passages, rows):
        if out is None:
            out = np.empty((len(rows), vecs.shape[1]))
        out[done : done + len(part)] = vecs
        done += len(part)
    return out if out is not None else np.zeros((0, 0))


def _sample(n: int, cap: int, seed: int) -> np.ndarray:
    """The reference: every row up to ``cap`` rows, else a seeded sample of ``cap`` (sorted)."""
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size=cap, replace=False))


def _positions(n: int, rows: np.ndarray) -> np.ndarray:
    """Per row in ``range(n)``: its position in ``rows`` (-1 = not there)."""
    out = np.full(n, -1, dtype=np.int64)
    out[rows] = np.arange(len(rows))
    return out if out is not None else np.zeros((0, 0))


def _rows_of(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row of each ``wanted`` key in ``keys`` (-1 = not there)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    at = np.minimum(np.searchsorted(ordered, wanted), max(len(keys) - 1, 0))
    if not len(keys):
        return np.full(len(wanted), -1, dtype=np.int64)
    return np.where(ordered[at] == wanted, order[at], -1).astype(np.int64)


def _pool(known: np.ndarray, settings: ClusterSettings) -> list[int]:
    """The passages to cluster: the uncoded ones (all with ``all_passages``), as in
    :func:`~pipeline.cluster.candidates.find_candidates`."""
    return list(range(len(known))) if settings.all_passages else np.flatnonzero(~known).tolist()


def passage_keys(passages: Sequence[Passage]) -> np.ndarray:
    """A 64-bit hash of each passage's id and text: the same key is the same passage."""
    return np.fromiter(
        (
            int.from_bytes(
                hashlib.blake2b(f"{p.id}\0{p.text}".encode(), digest_size=8).digest(), "little"
            )
            for p in passages
        ),
        dtype=np.uint64,
        count=len(passages),
    )
