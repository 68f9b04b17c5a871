"""``groundcode run``: the main job, stage by stage, against the store.

The stages and what each reads and writes are declared in
:mod:`pipeline.engines.stages` (ingest -> clean -> segment -> embed -> fit ->
classify -> cluster -> saturation -> agreement); then the outputs are rendered
from the store (:mod:`pipeline.report.export`). The store is the single source of truth:

* **incremental** — a document is re-segmented only when its content (text,
  manifest attributes, cleaning removals) or the segment settings changed; it is
  re-embedded when those or the embedder changed; re-classified when those, the
  codebook or the coder changed. A new edition costs only its own documents.
* **frozen coder** — the coder is fitted once per (codebook, embedder, classify
  settings, human codings, seed) and saved under ``<output>/models``; later runs
  reuse it, so editions coded months apart are coded by the same model.
  ``refit=True`` fits it again (and re-classifies everything).
* **resumable** — results are written in checkpoints of whole documents, each
  in its own transaction, and a document's stage mark is written after its rows.
  A run killed at any point redoes at most the checkpoint it was in.
* **stored corpus stages** — cluster, saturation and agreement keep their results
  in the store with the hash of their inputs; an unchanged input means no work.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.config import RunConfig, resolved_config_dict
from pipeline.engines.context import FAULT_ENV, RunContext
from pipeline.engines.document_stages import (  # noqa: F401 - re-exported
    checkpoints,
    coded_document,
    settings_hash,
)
from pipeline.errors import ConfigError
from pipeline.io import atomic_write_text, sha256_text
from pipeline.paths import JobPaths, job_paths
from pipeline.runinfo import RunInfo

__all__ = ["FAULT_ENV", "JobPaths", "JobResult", "coder_key", "job_paths", "run_job"]


@dataclass(frozen=True)
class JobResult:
    output: Path
    run_id: str
    run_json: Path
    counts: dict[str, int]
    processed: dict[str, list[str]]  # document stage -> document ids processed in this run
    outputs: dict[str, str]
    # corpus stage -> "computed" | "unchanged" | "skipped" (see corpus_stages)
    stages: dict[str, str] = field(default_factory=dict)


def run_job(
    config: RunConfig,
    *,
    progress: bool = True,
    refit: bool = False,
    echo: Callable[[str], None] = lambda _m: None,
    wait: float = 0.0,
    config_path: str | Path | None = None,
) -> JobResult:
    """Run the whole job for ``config``; see the module docstring for the guarantees.

    The run holds the output folder's run lock throughout (:mod:`pipeline.runlock`):
    another run on it raises :class:`~pipeline.errors.RunLockedError` at once, or after
    waiting up to ``wait`` seconds for it. ``config_path`` names the config file in the
    lock's holder record and in ``run.json``.
    """
    from pipeline import __version__
    from pipeline.codebook import load_codebook
    from pipeline.runlock import run_lock

    if config.codebook is None:
        raise ConfigError("no codebook configured", unit="codebook",
                          hint="set codebook: path/to/codebook.yaml in the run config.")
    paths = job_paths(config)
    paths.output.mkdir(parents=True, exist_ok=True)
    load_codebook(config.codebook)  # a bad codebook file fails before anything is opened
    if config.engine == "ray":  # Ray not installed fails before the lock file is made
        from pipeline.engines.ray import _import_ray

        _import_ray()
    info = RunInfo(config=resolved_config_dict(config), seed=config.seed)
    run_id = sha256_text(json.dumps(info.config, sort_keys=True) + __version__)[:12]
    with run_lock(paths, command="run", config_path=config_path, run_id=run_id,
                  wait=wait) as holder:
        # run.json describes this run, whoever ran the same config before
        info.extra["run"] = {"id": run_id, "pid": holder.pid, "host": holder.host,
                             "started_at": holder.started_at, "config_file": holder.config}
        return _run_locked(config, paths, info, run_id, progress=progress, refit=refit,
                           echo=echo)


def _run_locked(config: RunConfig, paths: JobPaths, info: RunInfo, run_id: str, *,
                progress: bool, refit: bool, echo: Callable[[str], None]) -> JobResult:
    from pipeline import __version__
    from pipeline.embed import make_embedder
    from pipeline.engines.backend import make_backend
    from pipeline.engines.codebooks import codebook_in_use
    from pipeline.engines.stages import run_stages
    from pipeline.report.export import export_outputs
    from pipeline.store import open_store

    backend = make_backend(config)
    store = open_store(paths.store_url)
    try:
        in_use = codebook_in_use(store, Path(config.codebook), paths.output / "codebooks")
        book = in_use.book
        info.codebook_hash = book.hash
        if in_use.file_hash != book.hash:
            info.extra["codebook_version"] = {"file": in_use.file_hash, "in_use": book.hash}
            echo(f"codebook: version {book.hash[:12]} (made in review from the file's "
                 f"{in_use.file_hash[:12]})")
        info.embedder_id = make_embedder(config.embed).id
        store.runs.start_run(run_id, info.config, __version__, config.seed, book.hash,
                             info.embedder_id)
        ctx = RunContext(config, paths, store, book, backend, info, info.embedder_id,
                         in_use.path, refit=refit, progress=progress, echo=echo)
        products = run_stages(ctx)
        view = products.values["suggestions"]
        with info.timed("outputs"):
            written = export_outputs(store, config, book, corpus_id=view.corpus_id,
                                     view=view.view, info=info, cache_dir=paths.cache_dir)
        return _finish(ctx, run_id, written)
    except BaseException:
        try:
            store.runs.finish_run(run_id, "failed", info.timings, info.counts)
        except Exception:  # noqa: BLE001 - the original error matters more
            pass
        raise
    finally:
        backend.close()
        store.close()


def _finish(ctx: RunContext, run_id: str, written: dict[str, str]) -> JobResult:
    """Record the run as finished (counts, outputs, what each stage did) and write run.json."""
    store, info = ctx.store, ctx.info
    counts = {k: v for k, v in store.counts().items()
              if k in ("documents", "passages", "suggestions", "codings")}
    counts |= {f"processed_{k}": len(v) for k, v in ctx.processed.items()}
    info.counts = counts
    info.outputs = written
    info.extra["processed"] = ctx.processed
    info.extra["corpus_stages"] = ctx.outcomes
    info.extra["store"] = store.url
    info.extra["run"]["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store.runs.finish_run(run_id, "finished", info.timings, counts)
    run_json = info.write(ctx.paths.output / "run.json")
    return JobResult(ctx.paths.output, run_id, run_json, counts, ctx.processed, written,
                     ctx.outcomes)


def coder_key(config: RunConfig, book, codings, labels=None) -> str:
    """What the fitted coder depends on (not the corpus: a coder is frozen once fitted;
    a coder that learns from human codings depends on them, ``labels``)."""
    key_data = {
        "codebook": book.hash,
        "embed": _later_keys_if_set(
            config.embed.model_dump(mode="json", exclude={"cache_dir", "batch_size"}),
            config.embed, ("context_weight",),
        ),
        "classify": _later_keys_if_set(
            config.classify.model_dump(mode="json", exclude={"codings"}),
            config.classify, ("text_weights", "context_weights", "prior_shift", "prior_shift_min_passages"),
        ),
        "codings": sorted((k, sorted(v)) for k, v in (codings or {}).items()),
        "seed": config.seed,
    }
    if labels is not None:
        key_data["human_labels"] = labels.fingerprint()
    return sha256_text(json.dumps(key_data, sort_keys=True))[:16]


def _later_keys_if_set(data: dict, settings, later: Sequence[str]) -> dict:
    """``data`` (the dumped ``settings``) without the ``later`` keys left at their defaults:
    keys added after coders were first saved count only when set, so a coder fitted before
    they existed keeps its key (and is not refitted)."""
    fields = type(settings).model_fields
    return {k: v for k, v in data.items() if k not in later or v != fields[k].default}


def saved_coder(paths: JobPaths, key: str) -> Path | None:
    """The coder saved for ``key`` by an earlier run, if it is complete."""
    pointer = paths.models_dir / "current.json"
    known = json.loads(pointer.read_text("utf-8")) if pointer.is_file() else {}
    if key in known and (paths.models_dir / known[key] / "model_card.json").is_file():
        return paths.models_dir / known[key]
    return None


def current_coder(config: RunConfig, book, store=None) -> Path | None:
    """The coder the last run of ``config`` fitted (``store`` gives a learning coder's
    human codings)."""
    from pipeline.classify.codings import read_codings

    codings = read_codings(config.classify.codings) if config.classify.codings else None
    labels = None
    if config.classify.accept == "learned" and store is not None:
        codable = [p for c in store.documents.corpora()
                   for p in store.documents.corpus_passages(c) if p.codable]
        labels = _labels(config, store, codable)
    return saved_coder(job_paths(config), coder_key(config, book, codings, labels))


def _labels(config, store, passages):
    """The human codings a learning coder learns from (None for other coders)."""
    from pipeline.engines.labels import run_labels

    if config.classify.accept != "learned":
        return None
    return run_labels(config, store, passages)


def _coder(config, job, backend, book, passages, paths: JobPaths, refit: bool, store=None):
    """The saved coder for this config: reused when its key matches, else fitted and saved.
    A coder that learns from the human codings (``accept: learned``) is keyed by them."""
    from pipeline.classify.codings import read_codings
    from pipeline.classify.persist import save_coder
    from pipeline.classify.run import build_coder
    from pipeline.embed import slices
    from pipeline.engines.backend import job_embedder

    codings = read_codings(config.classify.codings) if config.classify.codings else None
    labels = _labels(config, store, passages)
    key = coder_key(config, book, codings, labels)
    found = None if refit else saved_coder(paths, key)
    if found is not None:
        return found
    embedder = job_embedder(job)
    # slices: a corpus of half a million passages is never embedded in one call
    vectors = (slices.VectorSlices(passages, lambda rows: backend.embed(job, rows),
                                   slices.FIT_SLICE) if passages
               else np.zeros((0, 1), np.float32))
    coder = build_coder(config.classify, embedder, book, passages, vectors, codings, config.seed,
                        labels=labels)
    folder = save_coder(coder, paths.models_dir)
    pointer = paths.models_dir / "current.json"
    known = json.loads(pointer.read_text("utf-8")) if pointer.is_file() else {}
    known = {k: v for k, v in known.items() if (paths.models_dir / v).is_dir()}
    known[key] = str(folder.relative_to(paths.models_dir))
    atomic_write_text(pointer, json.dumps(known, indent=2, sort_keys=True) + "\n")
    return folder
