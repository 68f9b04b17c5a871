"""cluster stage: candidate categories from passages the codebook does not cover.

Public API::

    from pipeline.cluster import CandidateClusterer, find_candidates
    result = find_candidates(passages, vectors, prototypes, code_ids, settings, seed,
                             suggestions=suggestions)
"""

from pipeline.cluster.candidates import (
    CandidateCategory,
    CandidateLabel,
    ClusterResult,
    NearestCode,
    Representative,
    find_candidates,
    select_uncoded,
    suggest_label,
)
from pipeline.cluster.estimator import CandidateClusterer
from pipeline.cluster.keywords import basic_tokenize, ctfidf_keywords, is_keyword_token
from pipeline.cluster.novelty import (
    KnnNovelty,
    KnownDensityNovelty,
    calibrated_novelty,
    max_similarity,
)
from pipeline.cluster.report import render_candidates_section
from pipeline.cluster.settings import ClusterSettings

__all__ = [
    "render_candidates_section",
    "CandidateCategory",
    "CandidateClusterer",
    "CandidateLabel",
    "ClusterResult",
    "ClusterSettings",
    "KnnNovelty",
    "KnownDensityNovelty",
    "NearestCode",
    "Representative",
    "basic_tokenize",
    "calibrated_novelty",
    "ctfidf_keywords",
    "find_candidates",
    "is_keyword_token",
    "max_similarity",
    "select_uncoded",
    "suggest_label",
]
