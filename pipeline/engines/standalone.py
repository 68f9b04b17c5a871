"""In memory, without the store: the stages the standalone `groundcode cluster` and
`groundcode saturation` commands need, from a run config.

ingest -> clean -> segment (local engine) -> embed -> zero-shot coding ->
candidate clusters. Returns everything the callers write out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.cluster.candidates import ClusterResult, coded_ids, find_candidates
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


def code_and_cluster(config: RunConfig, *, progress: bool = False, codebook=None) -> CodedCorpus:
    """Code the configured corpus and cluster what stays uncoded.

    The coder is built as the main run builds it (:func:`pipeline.classify.run.build_coder`:
    zero-shot with the config's centering and calibrated thresholds, or supervised
    from ``classify.codings``). ``codebook`` (a :class:`pipeline.codebook.Codebook`)
    replaces the configured one, e.g. a codebook with one code withheld.
    """
    from pipeline.codebook import load_codebook
    from pipeline.embed import embed_passages, make_embedder
    from pipeline.engines.local import prepare_passages
    from pipeline.runinfo import RunInfo

    if codebook is None and config.codebook is None:
        raise ConfigError(
            "no codebook configured",
            unit="codebook",
            hint="set codebook: path/to/codebook.yaml in the run config.",
        )
    book = codebook if codebook is not None else load_codebook(config.codebook)
    info = RunInfo(config=config.model_dump(mode="json"), seed=config.seed)
    documents, _, passages = prepare_passages(config, info, progress=progress)
    passages = [p for p in passages if p.codable]
    cache = Path(config.embed.cache_dir) if config.embed.cache_dir else config.output / "cache"
    embedder = make_embedder(config.embed, cache_dir=cache)
    vectors = embed_passages(embedder, passages)
    suggestions, clusters = _code_then_cluster(config, embedder, book, passages, vectors)
    return CodedCorpus(
        tuple(documents), tuple(passages), vectors, tuple(suggestions), book, clusters
    )


def _code_then_cluster(config: RunConfig, embedder, book, passages, vectors):
    from pipeline.classify.codings import read_codings
    from pipeline.classify.prototypes import PrototypeRecipe, build_prototypes
    from pipeline.classify.run import build_coder
    from pipeline.segment.tokens import tokenize

    codings = read_codings(config.classify.codings) if config.classify.codings else None
    coder = build_coder(config.classify, embedder, book, passages, vectors, codings, config.seed)
    suggestions = coder.suggest(passages, vectors)
    zero = getattr(coder, "zero_shot_", coder)  # a supervised coder keeps its prototypes here
    main_ids = book.codable_ids("main")
    main_protos = build_prototypes(
        embedder, book, main_ids, getattr(zero, "recipe", PrototypeRecipe())
    )
    best = (vectors @ zero.prototypes_.T).max(axis=1)
    coded = coded_ids(suggestions)
    reference = [b for p, b in zip(passages, best, strict=True) if p.id in coded]
    clusters = find_candidates(
        passages,
        vectors,
        zero.prototypes_,
        zero.code_ids_,
        config.cluster,
        config.seed,
        suggestions=suggestions,
        reference_similarities=reference,
        tokenizer=tokenize,
        main_prototypes=main_protos,
        main_ids=main_ids,
    )
    return suggestions, clusters
