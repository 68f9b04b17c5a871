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

The result is a function of the saved state and the current passages and
suggestions only (which passages joined or left, not in which run), so it is
deterministic; it is not what a fresh fit of the same corpus would give.
``candidates.yaml`` and the report say which fit the candidates come from, how
many passages it clustered and how many joined or left since.

The clusters are fitted again when the passages that joined exceed
``cluster.refit_share`` of the fitted pool, when ``refit=True`` (``groundcode run
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.classify.suggestion import Suggestion
from pipeline.cluster.candidates import (
    ClusterResult,
    FitInfo,
    _check_inputs,
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
from pipeline.errors import ClusterError
from pipeline.io import atomic_write_text, sha256_text
from pipeline.segment.passage import Passage

STATE_FORMAT = 1
# settings that only change how candidates are described (recomputed every run)
_DESCRIBE_ONLY = {"enabled", "refit_share", "keywords", "representatives", "nearest_codes"}
_CHUNK = 2048


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

    The reference is every passage of the fit (clustered or not): its ``ids``, text
    ``digests``, unit ``vectors`` (float64, as the fit used them), ``known`` (coded)
    mask and ``best`` code cosine.
    ``pool`` are the reference rows that were clustered, with their ``labels``,
    ``kth`` (distance to their ``n_neighbors``-th nearest pool passage) and
    ``density`` (KnownDensityNovelty, None when it was not computed; ``ks`` its
    neighbourhood sizes). ``threshold`` is the agreement threshold of the fit.
    """

    key: str
    fit_id: str
    ids: tuple[str, ...]
    digests: tuple[str, ...]
    vectors: np.ndarray
    known: np.ndarray
    best: np.ndarray
    pool: np.ndarray
    labels: np.ndarray
    kth: np.ndarray
    density: np.ndarray | None
    ks: tuple[int, ...]
    threshold: float
    n_neighbors: int
    prototypes: Prototypes


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
    embed: Callable[[Sequence[Passage]], np.ndarray],
    prototypes: Callable[[], Prototypes],
    refit: bool = False,
    tokenizer: Tokenizer = basic_tokenize,
) -> ClusterResult:
    """Candidates of ``passages`` from the clusterer saved in ``folder`` (fitted if needed).

    ``embed`` gives vectors for passages (called for the passages that are not in the
    saved reference, or for all of them when fitting); ``prototypes`` is only called
    when fitting. See the module docstring for when the clusters are fitted again.
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
    vectors = embed(passages)
    result, state = fit_frozen(
        passages,
        vectors,
        prototypes(),
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
    vectors,
    prototypes: Prototypes,
    settings: ClusterSettings,
    seed: int,
    *,
    suggestions: Sequence[Suggestion],
    key: str = "",
    tokenizer: Tokenizer = basic_tokenize,
) -> tuple[ClusterResult, ClusterState | None]:
    """Cluster the uncoded passages; the result and the state to freeze (None: too few)."""
    from pipeline.cluster.graph import knn

    raw = np.asarray(vectors)
    vecs, codes = _check_inputs(passages, raw, prototypes.codes, prototypes.code_ids)
    mains = _mains(vecs, prototypes)
    suggestions = list(suggestions)
    known = coded_mask(passages, suggestions)
    chosen = _pool(known, settings)
    if len(chosen) < settings.min_cluster_size:
        outliers = tuple(passages[i].id for i in chosen)
        return ClusterResult((), outliers, 1.0 if chosen else 0.0), None
    best = (vecs @ codes.T).max(axis=1) if codes.shape[0] else np.zeros(len(passages))
    sub = vecs[chosen]
    clusterer = clusterer_from_settings(settings, seed).fit(sub)
    labels = clusterer.labels_
    threshold = clusterer.params_.min_agreement
    threshold = settings.min_agreement if threshold is None else float(threshold)
    density, ks = None, ()
    if not known.all() and known.any() and len(passages) > 5:
        scorer = KnownDensityNovelty().fit(vecs, known, rows=chosen)
        density, ks = scorer.novelty_, scorer.ks_
    dist, _ = knn(sub, settings.n_neighbors)
    ids = tuple(p.id for p in passages)
    pool = np.asarray(chosen, dtype=np.int64)
    fit_id = sha256_text(
        json.dumps([key, [ids[i] for i in chosen], labels.tolist()], separators=(",", ":"))
    )[:12]
    state = ClusterState(
        key=key,
        fit_id=fit_id,
        ids=ids,
        digests=tuple(_digest(p.text) for p in passages),
        vectors=vecs,
        known=known,
        best=best,
        pool=pool,
        labels=labels.astype(np.int64),
        kth=dist[:, -1].copy(),
        density=density,
        ks=tuple(int(k) for k in ks),
        threshold=threshold,
        n_neighbors=settings.n_neighbors,
        prototypes=prototypes,
    )
    result = describe_clusters(
        [passages[i] for i in chosen],
        sub,
        labels,
        codes,
        prototypes.code_ids,
        settings,
        reference=best[known],
        density=density,
        mains=mains,
        tokenizer=tokenizer,
        fit=FitInfo(fit_id, len(chosen), 0, 0),
    )
    return result, state


def assign_frozen(
    state: ClusterState,
    passages: Sequence[Passage],
    suggestions: Sequence[Suggestion],
    settings: ClusterSettings,
    embed: Callable[[Sequence[Passage]], np.ndarray],
    tokenizer: Tokenizer = basic_tokenize,
) -> ClusterResult | None:
    """The saved clusters updated to the current passages; None when they need a refit."""
    suggestions = list(suggestions)
    where = {(i, d): r for r, (i, d) in enumerate(zip(state.ids, state.digests, strict=True))}
    rows = np.array([where.get((p.id, _digest(p.text)), -1) for p in passages], dtype=np.int64)
    known = coded_mask(passages, suggestions)
    chosen = np.asarray(_pool(known, settings), dtype=np.int64)
    position = np.full(len(state.ids), -1, dtype=np.int64)  # reference row -> pool position
    position[state.pool] = np.arange(len(state.pool))
    chosen_rows = rows[chosen]
    pos = np.where(chosen_rows >= 0, position[np.maximum(chosen_rows, 0)], -1)
    joined = pos < 0
    if joined.sum() > settings.refit_share * len(state.pool):
        return None
    fresh = np.flatnonzero(rows < 0)
    dim = state.vectors.shape[1]
    fresh_vecs = normalize_rows(embed([passages[i] for i in fresh])) if fresh.size else None
    if fresh_vecs is not None and (fresh_vecs.ndim != 2 or fresh_vecs.shape != (fresh.size, dim)):
        raise ClusterError(
            f"vectors of shape {fresh_vecs.shape} for {fresh.size} new passages do not match "
            f"the saved {dim}-d reference",
            hint="use the embedder the clusterer was fitted with (it is part of its key).",
        )
    fresh_at = np.full(len(passages), -1, dtype=np.int64)
    fresh_at[fresh] = np.arange(fresh.size)

    def unit(index: np.ndarray) -> np.ndarray:
        """Unit vectors of passages ``index``: the fit's own for passages it saw."""
        out = np.empty((len(index), dim))
        old = rows[index] >= 0
        out[old] = state.vectors[rows[index][old]]
        if (~old).any():
            out[~old] = fresh_vecs[fresh_at[index[~old]]]
        return out

    codes = normalize_rows(state.prototypes.codes)
    best = np.where(rows >= 0, state.best[np.maximum(rows, 0)], 0.0)
    if fresh.size and codes.shape[0]:
        best[fresh] = (fresh_vecs @ codes.T).max(axis=1)
    sub = unit(chosen)
    labels = np.where(joined, -1, state.labels[np.maximum(pos, 0)])
    if joined.any():
        fitted_pool = np.asarray(state.vectors[state.pool])
        labels[joined] = assign_labels(
            sub[joined], fitted_pool, state.labels, state.kth, state.n_neighbors, state.threshold
        )
    density = None
    if state.density is not None:
        density = np.where(joined, 0.0, state.density[np.maximum(pos, 0)])
        if joined.any():
            self_rows = chosen_rows[joined]
            density[joined] = known_density_of(
                sub[joined], state.vectors, state.known, state.ks, self_rows, unit=True
            )
    mains = None
    if state.prototypes.mains is not None:
        mains = (normalize_rows(state.prototypes.mains), tuple(state.prototypes.main_ids))
    left = len(state.pool) - int((~joined).sum())
    fit = FitInfo(state.fit_id, len(state.pool), int(joined.sum()), left)
    return describe_clusters(
        [passages[i] for i in chosen],
        sub,
        labels,
        codes,
        state.prototypes.code_ids,
        settings,
        reference=best[known],
        density=density,
        mains=mains,
        tokenizer=tokenizer,
        fit=fit,
    )


def assign_labels(
    queries: np.ndarray,
    pool: np.ndarray,
    labels: np.ndarray,
    kth: np.ndarray,
    n_neighbors: int,
    threshold: float,
) -> np.ndarray:
    """Candidate of each query by its ``n_neighbors`` nearest ``pool`` rows (-1 = outlier).

    Unit vectors in, nearest first with ties to the lower pool row (like
    :func:`~pipeline.cluster.graph.knn`). The winner is the label most neighbours
    carry (outliers do not vote; ties: the label of the nearest voter); the query is
    an outlier when its share of the neighbours is below ``threshold``, or when its
    nearest pool row is farther away than the ``kth`` distance of each neighbour.
    """
    n = pool.shape[0]
    k = max(1, min(n_neighbors, n))
    out = np.full(queries.shape[0], -1, dtype=np.int64)
    step = block_rows(n, _CHUNK)
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
    return out


def save_state(state: ClusterState, folder: str | Path) -> Path:
    """Write ``vectors.npy``, ``arrays.npz`` and last ``state.json`` into ``folder``.

    ``state.json`` carries the fit id (stored in ``arrays.npz`` too) and the CRC-32
    of ``vectors.npy``, so a half-written or damaged state is recognised; the zip
    format checks ``arrays.npz`` itself. Other key folders beside ``folder`` (fits
    for settings no longer in use) are removed: a state holds every passage vector.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    protos = state.prototypes
    arrays = {
        "known": state.known,
        "best": state.best,
        "pool": state.pool,
        "labels": state.labels,
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
        "fitted_passages": int(len(state.pool)),
        "clusters": int(state.labels.max(initial=-1) + 1),
        "threshold": state.threshold,
        "n_neighbors": state.n_neighbors,
        "ks": list(state.ks),
        "code_ids": list(protos.code_ids),
        "main_ids": list(protos.main_ids),
        "vectors_crc32": _crc32(np.load(folder / "vectors.npy", mmap_mode="r")),
        "ids": list(state.ids),
        "digests": list(state.digests),
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
        protos = Prototypes(
            arrays["codes"],
            tuple(meta["code_ids"]),
            arrays.get("mains"),
            tuple(meta["main_ids"]),
        )
        state = ClusterState(
            key=key,
            fit_id=str(meta["fit_id"]),
            ids=tuple(meta["ids"]),
            digests=tuple(meta["digests"]),
            vectors=vectors,
            known=arrays["known"].astype(bool),
            best=arrays["best"],
            pool=arrays["pool"].astype(np.int64),
            labels=arrays["labels"].astype(np.int64),
            kth=arrays["kth"],
            density=arrays.get("density"),
            ks=tuple(int(k) for k in meta["ks"]),
            threshold=float(meta["threshold"]),
            n_neighbors=int(meta["n_neighbors"]),
            prototypes=protos,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ClusterError(f"saved clusterer is incomplete: {exc}", file=folder) from None
    _check_state(state, folder)
    return state


def _crc32(array: np.ndarray) -> int:
    return zlib.crc32(memoryview(np.ascontiguousarray(array)).cast("B"))


def _check_state(state: ClusterState, folder: Path) -> None:
    n, p = len(state.ids), len(state.pool)
    problems = []
    if len(state.digests) != n or state.vectors.ndim != 2 or state.vectors.shape[0] != n:
        problems.append("reference ids and vectors differ in length")
    if state.known.shape != (n,) or state.best.shape != (n,):
        problems.append("reference masks differ in length")
    if state.labels.shape != (p,) or state.kth.shape != (p,):
        problems.append("pool labels differ in length")
    if p and (state.pool.min() < 0 or state.pool.max() >= n):
        problems.append("pool rows out of range")
    if state.density is not None and (state.density.shape != (p,) or not state.ks):
        problems.append("density novelty does not match the pool")
    codes = state.prototypes.codes
    if codes.ndim != 2 or codes.shape[0] != len(state.prototypes.code_ids):
        problems.append("prototypes do not match their ids")
    elif state.vectors.ndim == 2 and codes.shape[1] != state.vectors.shape[1]:
        problems.append("prototypes and vectors differ in dimension")
    if problems:
        raise ClusterError(f"saved clusterer is inconsistent: {'; '.join(problems)}", file=folder)


def _mains(vecs: np.ndarray, prototypes: Prototypes):
    if prototypes.mains is None:
        return None
    mains = normalize_rows(prototypes.mains)
    if mains.ndim != 2 or mains.shape != (len(prototypes.main_ids), vecs.shape[1]):
        raise ClusterError(
            f"main-category prototypes of shape {mains.shape} do not match "
            f"{len(prototypes.main_ids)} ids and {vecs.shape[1]}-d passage vectors",
            hint="build them with the same embedder as the passages, one row per main id.",
        )
    return mains, tuple(prototypes.main_ids)


def _pool(known: np.ndarray, settings: ClusterSettings) -> list[int]:
    """The passages to cluster: the uncoded ones (all with ``all_passages``), as in
    :func:`~pipeline.cluster.candidates.find_candidates`."""
    return list(range(len(known))) if settings.all_passages else np.flatnonzero(~known).tolist()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
