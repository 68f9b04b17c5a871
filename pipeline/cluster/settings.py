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
    """

    enabled: bool = True
    all_passages: bool = False  # cluster every passage, not only the uncoded ones
    min_cluster_size: int = Field(default=5, ge=2)
    min_samples: int | None = Field(default=None, ge=1)
    cluster_selection_epsilon: float = Field(default=0.0, ge=0.0)
    cluster_selection_method: Literal["eom", "leaf"] = "eom"  # leaf: more, smaller clusters
    reduce_dims: int | None = Field(default=None, ge=1)  # PCA components before HDBSCAN
    target_outlier_share: float | None = Field(default=None, gt=0.0, lt=1.0)
    keywords: int = Field(default=10, ge=1)
    representatives: int = Field(default=3, ge=1)
    nearest_codes: int = Field(default=3, ge=1)
