"""cluster stage settings (``cluster:`` section of a run config)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.settings_base import Section


class ClusterSettings(Section):
    """How passages without a confident code are grouped into candidate categories.

    ``min_samples`` / ``cluster_selection_epsilon`` are HDBSCAN's own knobs; when
    ``target_outlier_share`` is set they are chosen by a small deterministic search
    instead (the pair whose outlier share is closest to the target).

    ``algorithm: spectral`` clusters the k-NN graph instead (k-means on its spectral
    embedding, ``n_clusters`` groups, default ``sqrt(n / 2)``); a passage stays an
    outlier when fewer than ``min_agreement`` of its ``n_neighbors`` nearest passages
    share its cluster. ``reduce: spectral`` gives HDBSCAN that embedding instead of
    PCA. See :mod:`pipeline.cluster.estimator`.

    ``refit_share``: ``groundcode run`` keeps the clusters it fitted and assigns
    passages new since the fit to them (:mod:`pipeline.cluster.frozen`) until the
    new passages exceed this share of the passages clustered (or, beyond
    ``max_fit_passages``, assigned) at the fit; then it fits them again.

    ``max_fit_passages``: when the codable passages exceed this many, the clusters are
    fitted on a seeded sample of that many (sampled from all codable passages with
    ``seed``, so the coded share is kept) and every other uncoded passage is assigned
    to them like a passage that joins later (fit on a sample, then transform, as in
    BERTopic). Memory and time then stay bounded however large the corpus is; below
    the cap every passage is clustered.
    """

    enabled: bool = True
    all_passages: bool = False  # cluster every passage, not only the uncoded ones
    min_cluster_size: int = Field(default=5, ge=2)
    min_samples: int | None = Field(default=None, ge=1)
    cluster_selection_epsilon: float = Field(default=0.0, ge=0.0)
    cluster_selection_method: Literal["eom", "leaf"] = "eom"  # leaf: more, smaller clusters
    reduce_dims: int | None = Field(default=None, ge=1)  # components before clustering
    algorithm: Literal["spectral", "hdbscan"] = "spectral"
    reduce: Literal["pca", "spectral"] = "pca"  # how reduce_dims components are made
    n_neighbors: int = Field(default=15, ge=2)  # k-NN graph (spectral embedding, agreement)
    n_clusters: int | None = Field(default=None, ge=1)  # spectral algorithm only
    min_agreement: float = Field(default=0.3, ge=0.0, le=1.0)  # spectral algorithm only
    target_outlier_share: float | None = Field(default=None, gt=0.0, lt=1.0)
    keywords: int = Field(default=10, ge=1)
    representatives: int = Field(default=3, ge=1)
    nearest_codes: int = Field(default=3, ge=1)
    refit_share: float = Field(default=0.2, ge=0.0)
    max_fit_passages: int = Field(default=20_000, ge=2)  # larger corpora: fit on a sample
