"""Where the embed and classify stages compute: the seam between orchestration and engines.

The run (``pipeline.engines.run``) decides *which* passages need embedding or
coding and writes every result to the store itself; a :class:`Backend` only
computes. ``LocalBackend`` computes in this process; ``RayBackend``
(``pipeline.engines.ray``) spreads the same work over Ray Data actors. Both take
a :class:`CodingJob` (plain paths and settings, so it pickles to any worker) and
must return exactly the same vectors and suggestions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.classify.suggestion import Suggestion
from pipeline.embed.context import embed_passages
from pipeline.embed.settings import EmbedSettings
from pipeline.segment.passage import Passage


@dataclass(frozen=True)
class CodingJob:
    """Everything a worker needs to rebuild the embedder and the trained coder."""

    embed: EmbedSettings
    cache_dir: Path
    codebook_path: Path
    coder_path: Path | None = None  # a folder written by ``save_coder``; None = embed only


@dataclass(frozen=True)
class CodedPassages:
    """Suggestions (initial level, then the main-level roll-up) and review uncertainty."""

    suggestions: list[Suggestion]
    uncertainty: dict[str, float] = field(default_factory=dict)


class Backend(Protocol):
    name: str

    def embed(self, job: CodingJob, passages: Sequence[Passage]) -> np.ndarray:
        """Unit vectors aligned with ``passages``; every vector ends up in the job's cache."""
        ...

    def classify(
        self, job: CodingJob, passages: Sequence[Passage], vectors: np.ndarray
    ) -> CodedPassages:
        """Suggestions of the job's coder for ``passages`` (rows of ``vectors``)."""
        ...

    def close(self) -> None: ...


def job_embedder(job: CodingJob, *, cached: bool = True):
    from pipeline.embed import make_embedder

    return make_embedder(job.embed, cache_dir=job.cache_dir if cached else None)


def job_coder(job: CodingJob, embedder):
    """Load the job's saved coder (with its codebook) for ``embedder``."""
    from pipeline.classify.persist import load_coder
    from pipeline.codebook import load_codebook
    from pipeline.errors import ModelError

    if job.coder_path is None:
        raise ModelError("this job has no trained coder", hint="fit the coder before classify.")
    return load_coder(job.coder_path, embedder, load_codebook(job.codebook_path))


def code_vectors(coder, passages: Sequence[Passage], vectors: np.ndarray) -> CodedPassages:
    """The one place suggestions are computed from vectors (every backend calls it)."""
    from pipeline.classify.run import review_order, suggest_levels

    if len(passages) == 0:
        return CodedPassages([], {})
    return CodedPassages(
        suggest_levels(coder, passages, vectors), review_order(coder, passages, vectors)
    )


class LocalBackend:
    """Compute in this process (the default engine)."""

    name = "local"

    def __init__(self) -> None:
        self._embedders: dict[tuple, object] = {}
        self._coders: dict[tuple, object] = {}

    def _embedder(self, job: CodingJob):
        key = (job.embed.model_dump_json(), str(job.cache_dir))
        if key not in self._embedders:
            self._embedders[key] = job_embedder(job)
        return self._embedders[key]

    def embed(self, job: CodingJob, passages: Sequence[Passage]) -> np.ndarray:
        embedder = self._embedder(job)
        if not passages:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return embed_passages(embedder, passages)

    def classify(
        self, job: CodingJob, passages: Sequence[Passage], vectors: np.ndarray
    ) -> CodedPassages:
        key = (str(job.coder_path), job.embed.model_dump_json())
        if key not in self._coders:
            self._coders[key] = job_coder(job, self._embedder(job))
        return code_vectors(self._coders[key], passages, vectors)

    def close(self) -> None:
        self._embedders.clear()
        self._coders.clear()


def make_backend(config) -> Backend:
    """The backend named by ``config.engine`` (``ray`` needs the ``ray`` extra)."""
    if config.engine == "ray":
        from pipeline.engines.ray import RayBackend

        return RayBackend(config.ray, seed=config.seed)
    return LocalBackend()
