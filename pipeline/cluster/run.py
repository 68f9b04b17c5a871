"""Run the stages the cluster and saturation commands need, from a run config.

ingest -> clean -> segment (local engine) -> embed -> zero-shot coding ->
candidate clusters. Returns everything the callers write out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.cluster.candidates import ClusterResult, find_candidates
from pipeline.config import RunConfig
from pipeline.errors import ConfigError


@dataclass(frozen=True)
class CodedCorpus:
    documents: tuple
    passages: tuple
    vectors: np.ndarray
    suggestions: tuple
    codebook: object
    clusters: ClusterResult


def code_and_cluster(config: RunConfig, *, progress: bool = False) -> CodedCorpus:
    from pipeline.classify.suggestion import NO_CODE
    from pipeline.classify.zeroshot import ZeroShotCoder
    from pipeline.codebook import load_codebook
    from pipeline.embed import make_embedder
    from pipeline.engines.local import prepare_passages
    from pipeline.runinfo import RunInfo
    from pipeline.segment.tokens import tokenize

    if config.codebook is None:
        raise ConfigError(
            "no codebook configured",
            unit="codebook",
            hint="set codebook: path/to/codebook.yaml in the run config.",
        )
    book = load_codebook(config.codebook)
    info = RunInfo(config=config.model_dump(mode="json"), seed=config.seed)
    documents, _, passages = prepare_passages(config, info, progress=progress)
    passages = [p for p in passages if p.codable]
    embedder = make_embedder(config.embed, cache_dir=config.output / "cache")
    vectors = embedder.encode([p.text for p in passages])
    coder = ZeroShotCoder(
        embedder,
        book,
        level=config.classify.level,
        top_k=config.classify.top_k,
        thresholds=config.classify.threshold,
    ).fit(vectors)
    suggestions = coder.suggest(passages, vectors)
    best = (vectors @ coder.prototypes_.T).max(axis=1)
    coded = {s.passage_id for s in suggestions if s.accepted and s.code_id != NO_CODE}
    reference = [b for p, b in zip(passages, best, strict=True) if p.id in coded]
    clusters = find_candidates(
        passages,
        vectors,
        coder.prototypes_,
        coder.code_ids_,
        config.cluster,
        config.seed,
        suggestions=suggestions,
        reference_similarities=reference,
        tokenizer=tokenize,
    )
    return CodedCorpus(
        tuple(documents), tuple(passages), vectors, tuple(suggestions), book, clusters
    )
