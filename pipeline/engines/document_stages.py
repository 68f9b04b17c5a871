"""The stages up to classification: ingest, clean, segment, embed, fit, classify.

Each is a function ``(ctx, **reads) -> writes`` declared in
:mod:`pipeline.engines.stages`. Segment, embed and classify work per document: a
document is pending when its stage mark is missing or any hash it depends on
changed; results are written in checkpoints of whole documents, each in its own
transaction, and a document's mark is written after its rows.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pipeline.corpus.document import Document
from pipeline.embed.slices import EMBED_SLICE
from pipeline.io import sha256_text
from pipeline.segment.passage import Passage


@dataclass(frozen=True)
class FittedCoder:
    """The coder this run classifies with: the job that loads it, and the key of the
    classify stage marks (segment settings + coder folder)."""

    job: object  # CodingJob with coder_path set
    key: str

    @property
    def name(self) -> str:
        return self.job.coder_path.name


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


def ingest(ctx) -> dict:
    from pipeline.corpus import load_corpus
    from pipeline.corpus.size import size_warnings

    corpus = load_corpus(ctx.config.corpus, cache_dir=ctx.paths.cache_dir)
    ctx.info.input_hashes = dict(corpus.input_hashes)
    for message in size_warnings(corpus.root, corpus.input_hashes,
                                 ctx.config.corpus.warn_file_mb):
        ctx.echo(f"warning: {message}")
        ctx.info.extra.setdefault("warnings", []).append(message)
    return {"corpus": corpus}


def clean(ctx, corpus) -> dict:
    from pipeline.clean import clean_corpus, write_audit

    cleaned = clean_corpus(corpus.documents, ctx.config.clean,
                           memo_path=ctx.paths.cache_dir / "clean-near-duplicates.npz")
    write_audit(cleaned, ctx.paths.output / "clean_audit.csv")
    return {"documents": [coded_document(r.document, r.removals) for r in cleaned],
            "removals": {r.document.id: r.removals for r in cleaned}}


def segment(ctx, corpus, documents, removals) -> dict:
    """Segment the pending documents, drop those no longer in the corpus; the codable
    passages of every document (one query, document order)."""
    store, corpus_id = ctx.store, corpus.name
    ctx.processed["segment"] = segment_documents(store, ctx.config, corpus_id, documents,
                                                 removals, ctx.progress)
    gone = store.documents.document_ids(corpus_id) - {d.id for d in documents}
    if gone:
        store.remove_documents(gone)
        ctx.echo(f"removed {len(gone)} document(s) no longer in the corpus")
    codable: dict[str, list[Passage]] = {d.id: [] for d in documents}
    every = store.documents.corpus_passages(corpus_id)
    for passage in every:
        if passage.codable and passage.doc_id in codable:
            codable[passage.doc_id].append(passage)
    # the later stages and the corpus view share these objects (a second copy of half a
    # million passages would cost 0.4 GB)
    return {"passages": codable, "all_passages": every}


def segment_documents(store, config, corpus_id, docs, removals, progress) -> list[str]:
    """Segment the documents whose segmented mark is stale; their ids."""
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


def embed(ctx, corpus, documents, passages) -> dict:
    from pipeline.engines.backend import CodingJob
    from pipeline.store import StageHashes

    config, store = ctx.config, ctx.store
    seg_hash = settings_hash(config.clean, config.segment)
    job = CodingJob(config.embed, ctx.paths.cache_dir, ctx.codebook_path)
    pending = store.pending_documents(corpus.name, documents, "", ctx.embedder_id, "embedded",
                                      seg_hash)
    ctx.processed["embed"] = [d.id for d in pending]
    for group in checkpoints(pending, passages, config.checkpoint_passages):
        rows = [p for d in group for p in passages[d.id]]
        # the vectors only go to the cache: a large document is embedded a slice at a
        # time, so they are never all in memory at once
        for start in range(0, len(rows), EMBED_SLICE):
            ctx.backend.embed(job, rows[start : start + EMBED_SLICE])
        store.state.mark_stages("embedded", {
            d.id: StageHashes(d.sha256, "", ctx.embedder_id, seg_hash) for d in group})
        ctx.fault.tick("embed")
    return {"job": job}


def fit(ctx, documents, passages, job) -> dict:
    from pipeline.engines.run import _coder

    config = ctx.config
    every = [p for d in documents for p in passages[d.id]]
    coder_path = _coder(config, job, ctx.backend, ctx.book, every, ctx.paths, ctx.refit,
                        ctx.store)
    job = dataclasses.replace(job, coder_path=coder_path)
    output = ctx.paths.output
    ctx.info.extra["coder"] = str(coder_path.relative_to(output)) \
        if coder_path.is_relative_to(output) else str(coder_path)
    seg_hash = settings_hash(config.clean, config.segment)
    return {"coder": FittedCoder(job, f"{seg_hash}:{coder_path.name}")}


def _whole_documents(settings) -> bool:
    """Whether the coder must see a document's passages together: a supervised coder
    that re-estimates code priors per document (``classify.prior_shift``)."""
    return settings.method == "supervised" and settings.prior_shift == "per-document"


def classify(ctx, corpus, documents, passages, all_passages, coder: FittedCoder) -> dict:
    """Suggestions for the pending documents; writes the lazily read corpus view."""
    from pipeline.engines.corpus_stages import CorpusView
    from pipeline.store import StageHashes

    store, book = ctx.store, ctx.book
    pending = store.pending_documents(
        corpus.name, documents, book.hash, ctx.embedder_id, "classified", coder.key)
    ctx.processed["classify"] = [d.id for d in pending]
    whole = _whole_documents(ctx.config.classify)
    for group in checkpoints(pending, passages, ctx.config.checkpoint_passages):
        rows = [p for d in group for p in passages[d.id]]
        ids = [i for d in group for i in store.documents.passage_ids(d.id)]
        coded_ids = {p.id for p in rows}
        others = [i for i in ids if i not in coded_ids]  # not codable: their rows go
        size = max(len(rows), 1) if whole else EMBED_SLICE
        # a large document is coded a slice at a time, each slice's suggestions in
        # their own transaction; the document is marked once all are written
        for start in range(0, max(len(rows), 1), size):
            part = rows[start : start + size]
            coded = ctx.backend.classify(coder.job, part, ctx.backend.embed(coder.job, part))
            stale = others if start == 0 else []
            store.replace_suggestions([p.id for p in part] + stale, coded.suggestions,
                                      book.hash, coder.name)
        store.state.mark_stages("classified", {
            d.id: StageHashes(d.sha256, book.hash, ctx.embedder_id, coder.key) for d in group})
        ctx.fault.tick("classify")
    return {"suggestions": CorpusView(store, corpus.name, book.hash, ctx.info,
                                      passages=all_passages)}
