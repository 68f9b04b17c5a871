"""``groundcode run``: the main job, stage by stage, against the store.

ingest -> clean -> segment -> embed -> fit coder -> classify -> cluster ->
saturation / agreement -> outputs. The store is the single source of truth:

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
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import RunConfig, resolved_config_dict
from pipeline.corpus.document import Document
from pipeline.errors import ConfigError
from pipeline.io import atomic_write_text, sha256_text
from pipeline.runinfo import RunInfo
from pipeline.segment.passage import Passage
from pipeline.userfiles import read_text

FAULT_ENV = "GROUNDCODE_FAULT"  # test hook: "<stage>:<n>" = kill -9 after n checkpoints


@dataclass(frozen=True)
class JobPaths:
    output: Path
    store_url: str
    cache_dir: Path
    models_dir: Path


@dataclass(frozen=True)
class JobResult:
    output: Path
    run_id: str
    run_json: Path
    counts: dict[str, int]
    processed: dict[str, list[str]]  # stage -> document ids processed in this run
    outputs: dict[str, str]


def job_paths(config: RunConfig) -> JobPaths:
    out = Path(config.output)
    url = config.store or f"sqlite:///{out / 'groundcode.db'}"
    cache = Path(config.embed.cache_dir) if config.embed.cache_dir else out / "cache"
    return JobPaths(out, url, cache, out / "models")


def settings_hash(*sections) -> str:
    data = [s.model_dump(mode="json") if hasattr(s, "model_dump") else s for s in sections]
    return sha256_text(json.dumps(data, sort_keys=True, default=str))[:16]


def coded_document(doc: Document, removals) -> Document:
    """The document as the pipeline codes it: its hash covers text, attributes and removals."""
    spans = [(r.start, r.end, r.reason) for r in removals]
    key = json.dumps([doc.sha256 or sha256_text(doc.text), doc.meta, spans], sort_keys=True,
                     ensure_ascii=False, default=str)
    return dataclasses.replace(doc, sha256=sha256_text(key))


def checkpoints(
    docs: Sequence[Document], passages: dict[str, list[Passage]], size: int
) -> Iterator[list[Document]]:
    """Whole documents grouped until a group holds at least ``size`` passages."""
    group: list[Document] = []
    count = 0
    for doc in docs:
        group.append(doc)
        count += len(passages.get(doc.id, []))
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


class _Fault:
    """Kill this process (SIGKILL, like ``kill -9``) after ``n`` checkpoints of a stage."""

    def __init__(self) -> None:
        spec = os.environ.get(FAULT_ENV, "")
        stage, _, n = spec.partition(":")
        self.stage, self.left = stage, int(n) if n.isdigit() else -1

    def tick(self, stage: str) -> None:
        if stage == self.stage and self.left > 0:
            self.left -= 1
            if self.left == 0:
                os.kill(os.getpid(), signal.SIGKILL)


def run_job(
    config: RunConfig,
    *,
    progress: bool = True,
    refit: bool = False,
    echo: Callable[[str], None] = lambda _m: None,
) -> JobResult:
    """Run the whole job for ``config``; see the module docstring for the guarantees."""
    from pipeline import __version__
    from pipeline.clean import clean_corpus, write_audit
    from pipeline.codebook import load_codebook
    from pipeline.corpus import load_corpus
    from pipeline.engines.backend import CodingJob, make_backend
    from pipeline.store import StageHashes, open_store

    if config.codebook is None:
        raise ConfigError("no codebook configured", unit="codebook",
                          hint="set codebook: path/to/codebook.yaml in the run config.")
    paths = job_paths(config)
    paths.output.mkdir(parents=True, exist_ok=True)
    book = load_codebook(config.codebook)
    info = RunInfo(config=resolved_config_dict(config), seed=config.seed)
    info.codebook_hash = book.hash
    fault = _Fault()
    processed: dict[str, list[str]] = {}
    backend = make_backend(config)
    store = open_store(paths.store_url)
    try:
        from pipeline.embed import make_embedder

        embedder_id = make_embedder(config.embed).id
        info.embedder_id = embedder_id
        run_id = sha256_text(json.dumps(info.config, sort_keys=True) + __version__)[:12]
        store.runs.start_run(run_id, info.config, __version__, config.seed, book.hash, embedder_id)
        book_text = read_text(config.codebook, error=ConfigError, what="codebook").text
        store.codebooks.save_codebook(book.id, book.hash, book_text,
                                      getattr(book, "version", "") or "")

        with info.timed("ingest"):
            corpus = load_corpus(config.corpus, cache_dir=paths.cache_dir)
        info.input_hashes = dict(corpus.input_hashes)
        with info.timed("clean"):
            cleaned = clean_corpus(corpus.documents, config.clean,
                                   memo_path=paths.cache_dir / "clean-near-duplicates.npz")
        write_audit(cleaned, paths.output / "clean_audit.csv")
        docs = [coded_document(r.document, r.removals) for r in cleaned]
        removals = {r.document.id: r.removals for r in cleaned}
        corpus_id = corpus.name

        with info.timed("segment"):
            processed["segment"] = _segment(store, config, corpus_id, docs, removals, progress)
        gone = store.documents.document_ids(corpus_id) - {d.id for d in docs}
        if gone:
            store.remove_documents(gone)
            echo(f"removed {len(gone)} document(s) no longer in the corpus")

        codable: dict[str, list[Passage]] = {d.id: [] for d in docs}
        for passage in store.documents.corpus_passages(corpus_id):  # one query, doc order
            if passage.codable and passage.doc_id in codable:
                codable[passage.doc_id].append(passage)
        seg_hash = settings_hash(config.clean, config.segment)
        job = CodingJob(config.embed, paths.cache_dir, Path(config.codebook))

        with info.timed("embed"):
            pending = store.pending_documents(corpus_id, docs, "", embedder_id, "embedded", seg_hash)
            processed["embed"] = [d.id for d in pending]
            for group in checkpoints(pending, codable, config.checkpoint_passages):
                rows = [p for d in group for p in codable[d.id]]
                backend.embed(job, rows)
                store.state.mark_stages("embedded", {
                    d.id: StageHashes(d.sha256, "", embedder_id, seg_hash) for d in group})
                fault.tick("embed")

        all_passages = [p for d in docs for p in codable[d.id]]
        with info.timed("fit"):
            coder_path = _coder(config, job, backend, book, all_passages, paths, refit)
        job = dataclasses.replace(job, coder_path=coder_path)
        coder_key = f"{seg_hash}:{coder_path.name}"
        info.extra["coder"] = str(coder_path.relative_to(paths.output)) \
            if coder_path.is_relative_to(paths.output) else str(coder_path)

        with info.timed("classify"):
            pending = store.pending_documents(
                corpus_id, docs, book.hash, embedder_id, "classified", coder_key)
            processed["classify"] = [d.id for d in pending]
            for group in checkpoints(pending, codable, config.checkpoint_passages):
                rows = [p for d in group for p in codable[d.id]]
                vectors = backend.embed(job, rows)
                coded = backend.classify(job, rows, vectors)
                ids = [p.id for d in group for p in store.documents.passages(doc_id=d.id)]
                store.replace_suggestions(ids, coded.suggestions, book.hash, coder_path.name)
                store.state.mark_stages("classified", {
                    d.id: StageHashes(d.sha256, book.hash, embedder_id, coder_key) for d in group})
                fault.tick("classify")

        from pipeline.report.export import export_outputs

        with info.timed("outputs"):
            written = export_outputs(
                store, config, book, corpus_id=corpus_id, job=job, backend=backend,
                info=info, progress=progress, refit=refit,
            )
        counts = {k: v for k, v in store.counts().items()
                  if k in ("documents", "passages", "suggestions", "codings")}
        counts |= {f"processed_{k}": len(v) for k, v in processed.items()}
        info.counts = counts
        info.outputs = written
        info.extra["processed"] = processed
        info.extra["store"] = store.url
        store.runs.finish_run(run_id, "finished", info.timings, counts)
        run_json = info.write(paths.output / "run.json")
        return JobResult(paths.output, run_id, run_json, counts, processed, written)
    except BaseException:
        try:
            store.runs.finish_run(run_id, "failed", info.timings, info.counts)
        except Exception:  # noqa: BLE001 - the original error matters more
            pass
        raise
    finally:
        backend.close()
        store.close()


def _segment(store, config, corpus_id, docs, removals, progress) -> list[str]:
    from pipeline.progress import track
    from pipeline.segment import Segmenter
    from pipeline.store import StageHashes

    seg_hash = settings_hash(config.clean, config.segment)
    pending = store.pending_documents(corpus_id, docs, "", "", "segmented", seg_hash)
    segmenter = Segmenter(config.segment)
    for doc in track(pending, "segment", total=len(pending), enabled=progress):
        passages = segmenter.segment(doc, removals[doc.id])
        store.replace_document(doc, passages, corpus_id)
        store.mark_stage(doc.id, "segmented", StageHashes(doc.sha256, "", "", seg_hash))
    return [d.id for d in pending]


def coder_key(config: RunConfig, book, codings) -> str:
    """What the fitted coder depends on (not the corpus: a coder is frozen once fitted)."""
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


def current_coder(config: RunConfig, book) -> Path | None:
    from pipeline.classify.codings import read_codings

    codings = read_codings(config.classify.codings) if config.classify.codings else None
    return saved_coder(job_paths(config), coder_key(config, book, codings))


def _coder(config, job, backend, book, passages, paths: JobPaths, refit: bool) -> Path:
    """The saved coder for this config: reused when its key matches, else fitted and saved."""
    from pipeline.classify.codings import read_codings
    from pipeline.classify.persist import save_coder
    from pipeline.classify.run import build_coder
    from pipeline.engines.backend import job_embedder

    codings = read_codings(config.classify.codings) if config.classify.codings else None
    key = coder_key(config, book, codings)
    found = None if refit else saved_coder(paths, key)
    if found is not None:
        return found
    embedder = job_embedder(job)
    vectors = backend.embed(job, passages) if passages else np.zeros((0, 1), np.float32)
    coder = build_coder(config.classify, embedder, book, passages, vectors, codings, config.seed)
    folder = save_coder(coder, paths.models_dir)
    pointer = paths.models_dir / "current.json"
    known = json.loads(pointer.read_text("utf-8")) if pointer.is_file() else {}
    known = {k: v for k, v in known.items() if (paths.models_dir / v).is_dir()}
    known[key] = str(folder.relative_to(paths.models_dir))
    atomic_write_text(pointer, json.dumps(known, indent=2, sort_keys=True) + "\n")
    return folder
