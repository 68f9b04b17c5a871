"""Candidate categories: clusters of passages the codebook does not cover.

:func:`find_candidates` clusters passage vectors with :class:`CandidateClusterer`
and describes each cluster by c-TF-IDF keywords, its most central passages (with
their locations), its nearest code prototypes, a novelty score and a draft
bilingual label. Outliers are listed as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.cluster.estimator import CandidateClusterer
from pipeline.cluster.keywords import Tokenizer, basic_tokenize, ctfidf_keywords, passage_tokens
from pipeline.cluster.novelty import KnownDensityNovelty, calibrated_novelty, normalize_rows
from pipeline.cluster.settings import ClusterSettings
from pipeline.errors import ClusterError
from pipeline.segment.passage import Passage


@dataclass(frozen=True)
class Representative:
    passage_id: str
    doc_id: str
    start: int
    end: int
    text: str
    lang: str
    similarity: float  # cosine to the cluster centroid


@dataclass(frozen=True)
class NearestCode:
    code_id: str
    similarity: float  # cosine between the cluster centroid and the code prototype


@dataclass(frozen=True)
class CandidateLabel:
    zh: str
    en: str


@dataclass(frozen=True)
class CandidateCategory:
    id: str
    passage_ids: tuple[str, ...]
    keywords: tuple[str, ...]
    representatives: tuple[Representative, ...]
    nearest_codes: tuple[NearestCode, ...]
    novelty: float
    label: CandidateLabel
    # mean KnownDensityNovelty of the members (0.5 = as many coded passages nearby as
    # expected, 1 = none); None when no passage, or every passage, has a confident code
    density_novelty: float | None = None
    # main categories nearest to the centroid, by their own prototypes (name,
    # definition and children); empty when no main-category prototypes were given
    nearest_main: tuple[NearestCode, ...] = ()


@dataclass(frozen=True)
class FitInfo:
    """Where the candidates of a frozen clusterer come from (:mod:`pipeline.cluster.frozen`)."""

    fit_id: str  # content hash of the fitted pool and its labels
    fitted_passages: int  # passages clustered when the clusterer was fitted
    assigned: int  # passages that joined the pool since (a candidate or the outliers)
    left: int  # fitted passages no longer in the pool (their documents are gone)
    # a fit on a seeded sample (cluster.max_fit_passages): the sample's size and the
    # passages it was drawn from; the other uncoded passages were assigned at the fit
    sample: int = 0  # 0: the fit saw every passage
    sampled_from: int = 0


@dataclass(frozen=True)
class MemberGeometry:
    """Where the clustered passages lie: per label its unit ``centroids`` row; per
    passage its cosine to its own cluster's centroid (``central``) and to its nearest
    code prototype (``best``), 0 for outliers. Made from one matrix
    (:func:`member_geometry`) or streamed slice by slice when the pool is too large
    to hold (:func:`pipeline.cluster.frozen.streamed_geometry`)."""

    centroids: np.ndarray  # (labels, dim)
    central: np.ndarray  # aligned to the passages
    best: np.ndarray  # aligned to the passages


def member_geometry(vecs: np.ndarray, labels: np.ndarray, protos: np.ndarray) -> MemberGeometry:
    """:class:`MemberGeometry` of unit ``vecs`` (one row per passage) under ``labels``."""
    labels = np.asarray(labels)
    count = int(labels.max(initial=-1)) + 1
    centroids = np.zeros((count, vecs.shape[1]))
    central, best = np.zeros(len(labels)), np.zeros(len(labels))
    for c in range(count):
        members = np.flatnonzero(labels == c)
        if not len(members):
            continue
        member_vecs = vecs[members]
        centroids[c] = normalize_rows(member_vecs.mean(axis=0, keepdims=True))[0]
        central[members] = member_vecs @ centroids[c]
        best[members] = (member_vecs @ protos.T).max(axis=1)
    return MemberGeometry(centroids, central, best)


@dataclass(frozen=True)
class ClusterResult:
    candidates: tuple[CandidateCategory, ...]
    outliers: tuple[str, ...]  # passage ids HDBSCAN left unclustered
    outlier_share: float
    fit: FitInfo | None = None  # set by the frozen clusterer


def coded_ids(suggestions: Iterable[Suggestion]) -> set[str]:
    """Ids of the passages with an accepted suggestion other than ``NO_CODE``."""
    return {s.passage_id for s in suggestions if s.accepted and s.code_id != NO_CODE}


def coded_mask(passages: Sequence[Passage], suggestions: Iterable[Suggestion]) -> np.ndarray:
    """Per passage: whether it is coded (see :func:`coded_ids`)."""
    coded = coded_ids(suggestions)
    return np.array([p.id in coded for p in passages], dtype=bool)


def select_uncoded(passages: Iterable[Passage], suggestions: Iterable[Suggestion]) -> list[Passage]:
    """Passages without any accepted suggestion other than ``NO_CODE``."""
    coded = coded_ids(suggestions)
    return [p for p in passages if p.id not in coded]


def find_candidates(
    passages: Sequence[Passage],
    vectors,
    prototypes,
    code_ids: Sequence[str],
    settings: ClusterSettings,
    seed: int,
    *,
    suggestions: Iterable[Suggestion] | None = None,
    reference_similarities=None,
    tokenizer: Tokenizer = basic_tokenize,
    main_prototypes=None,
    main_ids: Sequence[str] = (),
) -> ClusterResult:
    """Cluster the uncoded passages (all of them with ``settings.all_passages``).

    ``vectors`` are aligned to ``passages``; ``prototypes`` (one row per code) to
    ``code_ids``. ``suggestions`` decide which passages are uncoded and are required
    unless ``all_passages`` is set. ``reference_similarities`` (best-code cosine of
    coded passages) calibrate the novelty score (see :mod:`pipeline.cluster.novelty`).
    ``main_prototypes`` (one row per id in ``main_ids``) give each candidate its
    nearest main categories.
    """
    vecs, protos = _check_inputs(passages, vectors, prototypes, code_ids)
    mains = None
    if main_prototypes is not None:
        mains = (_check_inputs(passages, vectors, main_prototypes, main_ids)[1], tuple(main_ids))
    suggestions = None if suggestions is None else list(suggestions)
    chosen = _choose(passages, suggestions, settings)
    if len(chosen) < settings.min_cluster_size:
        return ClusterResult((), tuple(passages[i].id for i in chosen), 1.0 if chosen else 0.0)
    sub_passages = [passages[i] for i in chosen]
    sub_vecs = vecs[chosen]
    labels = clusterer_from_settings(settings, seed).fit_predict(sub_vecs)
    density = _density_novelty(passages, vecs, chosen, suggestions)
    return describe_clusters(
        sub_passages,
        sub_vecs,
        labels,
        protos,
        code_ids,
        settings,
        reference=reference_similarities,
        density=density,
        mains=mains,
        tokenizer=tokenizer,
    )


def describe_clusters(
    passages: Sequence[Passage],
    vecs: np.ndarray | MemberGeometry,
    labels: np.ndarray,
    protos: np.ndarray,
    code_ids: Sequence[str],
    settings: ClusterSettings,
    *,
    reference=None,
    density: np.ndarray | None = None,
    mains: tuple[np.ndarray, tuple[str, ...]] | None = None,
    tokenizer: Tokenizer = basic_tokenize,
    fit: FitInfo | None = None,
) -> ClusterResult:
    """The :class:`ClusterResult` of clustered ``passages`` (unit ``vecs``, or their
    :class:`MemberGeometry` already computed, and ``labels``).

    Cluster ``c`` becomes candidate ``C{c+1:02d}``; a label without members gets no
    candidate (ids are never renumbered). ``density`` is aligned to ``passages``.
    """
    labels = np.asarray(labels)
    geometry = vecs if isinstance(vecs, MemberGeometry) else member_geometry(vecs, labels, protos)
    tokens = [passage_tokens(p, tokenizer) for p in passages]
    keywords = ctfidf_keywords(tokens, labels, settings.keywords)
    candidates = tuple(
        _describe(
            f"C{c + 1:02d}",
            np.flatnonzero(labels == c),
            passages,
            geometry,
            c,
            protos,
            code_ids,
            keywords.get(c, []),
            settings,
            reference,
            density,
            mains,
        )
        for c in range(int(labels.max(initial=-1)) + 1)
        if np.any(labels == c)
    )
    outliers = tuple(p.id for p, lab in zip(passages, labels, strict=True) if lab == -1)
    share = float(np.mean(labels == -1)) if len(labels) else 0.0
    return ClusterResult(candidates, outliers, share, fit)


def clusterer_from_settings(settings: ClusterSettings, seed: int) -> CandidateClusterer:
    return CandidateClusterer(
        min_cluster_size=settings.min_cluster_size,
        min_samples=settings.min_samples,
        cluster_selection_epsilon=settings.cluster_selection_epsilon,
        reduce_dims=settings.reduce_dims,
        target_outlier_share=settings.target_outlier_share,
        cluster_selection_method=settings.cluster_selection_method,
        random_state=seed,
        algorithm=settings.algorithm,
        reduce=settings.reduce,
        n_neighbors=settings.n_neighbors,
        n_clusters=settings.n_clusters,
        min_agreement=settings.min_agreement,
    )


def _density_novelty(passages, vecs, chosen, suggestions) -> np.ndarray | None:
    """KnownDensityNovelty of the chosen passages, coded passages as the known examples."""
    if suggestions is None:
        return None
    known = coded_mask(passages, suggestions)
    if known.all() or not known.any() or len(passages) <= 5:
        return None
    return KnownDensityNovelty().fit(vecs, known, rows=chosen).novelty_


def _check_inputs(passages, vectors, prototypes, code_ids) -> tuple[np.ndarray, np.ndarray]:
    vecs = normalize_rows(vectors)
    protos = normalize_rows(prototypes)
    if vecs.ndim != 2 or vecs.shape[0] != len(passages):
        raise ClusterError(
            f"{len(passages)} passages but vectors of shape {vecs.shape}",
            hint="pass one embedding row per passage, in passage order.",
        )
    if protos.ndim != 2 or protos.shape[0] != len(code_ids) or protos.shape[1] != vecs.shape[1]:
        raise ClusterError(
            f"prototypes of shape {protos.shape} do not match {len(code_ids)} code ids "
            f"and {vecs.shape[1]}-d passage vectors",
            hint="build prototypes with the same embedder as the passages, one row per code.",
        )
    return vecs, protos


def _choose(passages, suggestions, settings: ClusterSettings) -> list[int]:
    if settings.all_passages:
        return list(range(len(passages)))
    if suggestions is None:
        raise ClusterError(
            "no suggestions given to tell coded from uncoded passages",
            hint="pass the classifier's suggestions, or set cluster.all_passages: true.",
        )
    keep = {p.id for p in select_uncoded(passages, suggestions)}
    return [i for i, p in enumerate(passages) if p.id in keep]


def _describe(
    cid, members, passages, geometry: MemberGeometry, label: int, protos, code_ids, keywords,
    settings, reference, density, mains,
) -> CandidateCategory:
    centroid = geometry.centroids[label]
    central = geometry.central[members]
    order = sorted(range(len(members)), key=lambda j: (-central[j], members[j]))
    reps = tuple(
        _representative(passages[members[j]], central[j]) for j in order[: settings.representatives]
    )
    member_best = geometry.best[members]
    words = tuple(word for word, _ in keywords)
    return CandidateCategory(
        id=cid,
        passage_ids=tuple(passages[i].id for i in members),
        keywords=words,
        representatives=reps,
        nearest_codes=_nearest(protos, code_ids, centroid, settings.nearest_codes),
        novelty=round(float(calibrated_novelty([np.median(member_best)], reference)[0]), 6),
        label=suggest_label(words),
        density_novelty=None if density is None else round(float(density[members].mean()), 6),
        nearest_main=() if mains is None else _nearest(*mains, centroid, settings.nearest_codes),
    )


def _nearest(protos, ids, centroid, count: int) -> tuple[NearestCode, ...]:
    sims = protos @ centroid
    order = sorted(range(len(ids)), key=lambda j: (-sims[j], ids[j]))
    return tuple(NearestCode(ids[j], round(float(sims[j]), 6)) for j in order[:count])


def _representative(passage: Passage, similarity: float) -> Representative:
    return Representative(
        passage.id,
        passage.doc_id,
        passage.start,
        passage.end,
        passage.text,
        passage.lang,
        round(float(similarity), 6),
    )


def suggest_label(keywords: Sequence[str], size: int = 3) -> CandidateLabel:
    """Draft label: top Chinese keywords joined; English keywords, else ``Candidate: ...``."""
    zh_words = [w for w in keywords if not w.isascii()][:size]
    en_words = [w for w in keywords if w.isascii()][:size]
    top = list(keywords[:size])
    zh = "、".join(zh_words or top) or "候选范畴"
    en = ", ".join(en_words) if en_words else f"Candidate: {', '.join(top) or 'no keywords'}"
    return CandidateLabel(zh=zh, en=en)
