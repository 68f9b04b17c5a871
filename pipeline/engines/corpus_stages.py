"""The whole-corpus stages: cluster, saturation, agreement, each with a stored result.

Each stage hashes what it reads (the corpus view's digest, the settings, the seed,
the upstream stage's inputs, files it reads) and compares that with the hash
stored beside its result (:class:`~pipeline.store.results.StageResult`): equal
means the stored result stands and nothing is computed. Otherwise the stage
computes through its own package (:mod:`pipeline.cluster.frozen`,
:mod:`pipeline.saturation.stage`, :mod:`pipeline.agreement.stage`) and replaces
its result and mark in one transaction. A stage with nothing to compute (too few
cases, no human codings, clustering switched off) stores ``skipped`` with the
reason, which the CLI prints and the report shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.io import sha256_text
from pipeline.records import to_data
from pipeline.store.results import StageResult

STORED = ("cluster", "saturation", "agreement")


class CorpusView:
    """The corpus as the store holds it after classification, read once when first needed."""

    def __init__(self, store, corpus_id: str, codebook_hash: str, info=None,
                 passages=None) -> None:
        """``passages``: the corpus's passages as the store holds them, already read
        (document order); read from the store when not given."""
        self.store, self.corpus_id, self.codebook_hash, self._info = (
            store, corpus_id, codebook_hash, info)
        self._passages = passages

    @cached_property
    def view(self):
        from contextlib import nullcontext

        from pipeline.store.view import read_view

        with self._info.timed("read") if self._info is not None else nullcontext():
            return read_view(self.store, self.corpus_id, self.codebook_hash,
                             passages=self._passages)

    @cached_property
    def digest(self) -> str:
        from pipeline.store.view import view_digest

        return view_digest(self.view)


@dataclass(frozen=True)
class Stored:
    """A corpus stage's product for the later stages: its inputs hash and its result,
    loaded from the store on first use."""

    inputs_hash: str
    load: Callable[[], Any] = field(repr=False)


def inputs_hash(*parts: Any) -> str:
    return sha256_text(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False))[:32]


def _stored(ctx, corpus_id: str, stage: str, inputs: str) -> StageResult | None:
    """The stored result when it was computed from exactly ``inputs``."""
    mark = ctx.store.results.stage_result(corpus_id, stage)
    if mark is None or mark.inputs_hash != inputs:
        return None
    ctx.outcomes[stage] = "unchanged"
    _say_skipped(ctx, mark)
    return mark


def _save(ctx, corpus_id: str, result: StageResult, candidates=None) -> None:
    ctx.store.results.save_stage_result(corpus_id, result, candidates)
    ctx.outcomes[result.stage] = "computed" if result.status == "done" else "skipped"
    _say_skipped(ctx, result)


def _say_skipped(ctx, result: StageResult) -> None:
    if result.status == "skipped":
        ctx.echo(f"{result.stage}: {result.note}")


# -- cluster -------------------------------------------------------------------------


def cluster(ctx, corpus, suggestions: CorpusView, coder) -> dict:
    """Candidate categories of the uncoded passages (:mod:`pipeline.cluster.frozen`)."""
    from pipeline.cluster.frozen import cluster_key

    config, book = ctx.config, ctx.book
    key = cluster_key(config.cluster, config.seed, coder.name, ctx.embedder_id, book.hash)
    inputs = inputs_hash("cluster", suggestions.digest, key,
                         config.cluster.model_dump(mode="json"))
    product = Stored(inputs, lambda: stored_clusters(ctx.store, corpus.name))
    if not ctx.refit and _stored(ctx, corpus.name, "cluster", inputs) is not None:
        return {"candidates": product}
    if not config.cluster.enabled:
        _save(ctx, corpus.name, StageResult("cluster", inputs, book.hash, "skipped",
                                            "clustering is switched off (cluster.enabled)"), [])
        return {"candidates": product}
    result = _fit_candidates(ctx, suggestions.view, coder, key)
    if result is None:
        need = max(config.cluster.min_cluster_size, 2)
        note = (f"candidate categories not computed: {len(suggestions.view.codable)} codable "
                f"passage(s), fewer than {need} (cluster.min_cluster_size)")
        _save(ctx, corpus.name, StageResult("cluster", inputs, book.hash, "skipped", note), [])
        return {"candidates": product}
    from pipeline.cluster.records import result_to_store

    payload, records = result_to_store(result)
    _save(ctx, corpus.name, StageResult("cluster", inputs, book.hash, "done", "", payload),
          records)
    return {"candidates": product}


def _fit_candidates(ctx, view, coder, key: str):
    """Candidates from the frozen clusterer saved under ``<models>/clusters/<key>``."""
    from pipeline.cluster.frozen import Prototypes, frozen_candidates
    from pipeline.engines.backend import job_coder, job_embedder
    from pipeline.segment.tokens import tokenize

    config, book, job = ctx.config, ctx.book, coder.job
    passages = view.codable
    if len(passages) < max(config.cluster.min_cluster_size, 2):
        return None
    embedder = job_embedder(job)

    def prototypes() -> Prototypes:  # only needed when the clusters are fitted
        from pipeline.classify.prototypes import PrototypeRecipe, build_prototypes

        fitted = job_coder(job, embedder)
        zero = getattr(fitted, "zero_shot_", fitted)
        main_ids = book.codable_ids("main")
        recipe = getattr(zero, "recipe", PrototypeRecipe())
        mains = build_prototypes(embedder, book, main_ids, recipe)
        return Prototypes(zero.prototypes_, tuple(zero.code_ids_), mains, tuple(main_ids))

    # the clusterer reads only which passages are coded: the accepted codings suffice
    return frozen_candidates(
        ctx.paths.models_dir / "clusters" / key, key, passages, view.accepted_initial,
        config.cluster, config.seed, embed=lambda rows: ctx.backend.embed(job, rows), prototypes=prototypes,
        refit=ctx.refit, tokenizer=tokenize,
    )


def stored_clusters(store, corpus_id: str):
    """The stored :class:`~pipeline.cluster.candidates.ClusterResult` (None: none stored)."""
    from pipeline.cluster.records import result_from_store

    mark = store.results.stage_result(corpus_id, "cluster")
    if mark is None or mark.status != "done":
        return None
    return result_from_store(mark.result, store.results.candidates(corpus_id))


# -- saturation ----------------------------------------------------------------------


def saturation(ctx, corpus, suggestions: CorpusView, candidates: Stored) -> dict:
    from pipeline.saturation.stage import SaturationSkipped, saturation_stage

    config, book = ctx.config, ctx.book
    accepted = researchers_accepted(ctx.store, corpus.name)
    inputs = inputs_hash("saturation", suggestions.digest, candidates.inputs_hash,
                         config.saturation.model_dump(mode="json"), config.seed,
                         sorted({(a.doc_id, a.code) for a in accepted}))
    product = Stored(inputs, lambda: ctx.store.results.stage_result(corpus.name, "saturation"))
    if _stored(ctx, corpus.name, "saturation", inputs) is not None:
        return {"saturation": product}
    view = suggestions.view
    outcome = saturation_stage(view.documents, view.passages, view.accepted_initial,
                               candidates.load(),
                               config.saturation, config.seed, accepted)
    if isinstance(outcome, SaturationSkipped):
        result = StageResult("saturation", inputs, book.hash, "skipped", outcome.reason,
                             to_data(outcome))
    else:
        result = StageResult("saturation", inputs, book.hash, "done", "", to_data(outcome))
    _save(ctx, corpus.name, result)
    return {"saturation": product}


def researchers_accepted(store, corpus_id: str) -> list:
    """(document, code) pairs researchers accepted: candidate categories accepted as a code
    or merged into one (their member passages), and codes accepted or added on passages
    in the review page."""
    from pipeline.saturation.accepted import AcceptedCode

    docs = store.documents.document_ids(corpus_id)
    out = []
    for d in store.candidates.decisions(corpus_id):
        if d.action in ("accept", "merge") and d.code_id:
            out += [AcceptedCode(pid.rsplit(":", 1)[0], d.code_id) for pid in d.passage_ids]
    for d in store.codings.decisions():
        doc = d.passage_id.rsplit(":", 1)[0]
        if d.decision in ("accept", "add") and d.code and doc in docs:
            out.append(AcceptedCode(doc, d.code))
    return out


# -- agreement -----------------------------------------------------------------------


def _file_hash(path: Path) -> str:
    from pipeline.io import sha256_file

    return sha256_file(path) if Path(path).is_file() else "missing"


def agreement(ctx, corpus, suggestions: CorpusView, coder) -> dict:
    from pipeline.agreement.stage import agreement_stage

    config, book = ctx.config, ctx.book
    settings = config.agreement
    files = [(str(p), _file_hash(p)) for p in settings.codings]
    inputs = inputs_hash("agreement", suggestions.digest if files else "", files,
                         settings.model_dump(mode="json"), config.seed, book.hash,
                         coder.key if files else "")
    product = Stored(inputs, lambda: ctx.store.results.stage_result(corpus.name, "agreement"))
    if _stored(ctx, corpus.name, "agreement", inputs) is not None:
        return {"agreement": product}
    if not files:
        note = ("no agreement audit: no human codings are configured (agreement.codings: "
                "CSV/XLSX/.qdpx files of human coders)")
        _save(ctx, corpus.name, StageResult("agreement", inputs, book.hash, "skipped", note))
        return {"agreement": product}
    report = agreement_stage(suggestions.view, settings, book, config.seed)
    report = _learning_curve(ctx, report, suggestions.view, coder)
    _save(ctx, corpus.name, StageResult("agreement", inputs, book.hash, "done", "",
                                        to_data(report)))
    return {"agreement": product}


def _learning_curve(ctx, report, view, coder):
    """The audit with the machine's learning curve on the run's span codings."""
    from pipeline.agreement.learning import with_learning_curve
    from pipeline.classify.human import merge_labels
    from pipeline.engines.backend import job_coder, job_embedder
    from pipeline.engines.labels import codings_file_labels

    units, paths = view.codable, [Path(p) for p in ctx.config.agreement.codings]
    if not units:
        return report
    fitted = job_coder(coder.job, job_embedder(coder.job))
    labels = merge_labels(*(codings_file_labels(p, units) for p in paths))
    vectors = ctx.backend.embed(coder.job, units)
    return with_learning_curve(report, fitted, units, vectors, labels, paths, ctx.config.seed)
