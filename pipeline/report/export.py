"""Every output of a run, regenerated from the store (``groundcode run`` and ``export``).

Reads documents, passages and suggestions of one corpus from the store; writes
the tables (Parquet + CSV), candidate categories, the saturation test, the
agreement audit (when human codings are configured), ``report.html``,
``coding.xlsx``, ``project.qdpx`` and ``codebook.qdc``. Everything written here
is a pure function of the store, the config and the seed, so two runs over the
same input give identical files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classify.suggestion import NO_CODE, Suggestion
from pipeline.corpus.document import Document
from pipeline.io import atomic_write_text
from pipeline.report.html import ExtraSection
from pipeline.segment.passage import Passage

OUTPUTS = ("tables", "candidates", "saturation", "agreement", "report", "xlsx", "qdpx", "qdc")
PASSAGE_COLUMNS = ["id", "doc_id", "start", "end", "text", "lang", "paragraph", "speaker",
                   "speaker_role", "codable"]
SUGGESTION_COLUMNS = ["passage_id", "code_id", "score", "rank", "level", "method", "model",
                      "accepted"]


@dataclass
class StoreView:
    """One corpus as read back from the store.

    ``suggestion_frame`` holds the suggestions (``SUGGESTION_COLUMNS``) in passage
    order, then level, rank and code; ``initial`` are its initial-level rows as
    objects, built on first use.
    """

    documents: list[Document]
    passages: list[Passage]
    suggestion_frame: pd.DataFrame
    coder_model: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def codable(self) -> list[Passage]:
        return [p for p in self.passages if p.codable]

    @cached_property
    def initial(self) -> list[Suggestion]:
        """The initial-level suggestions (what coding, clustering and saturation use)."""
        frame = self.suggestion_frame
        return _suggestion_objects(frame[frame["level"] == "initial"])


def _suggestion_objects(frame: pd.DataFrame) -> list[Suggestion]:
    columns = [frame[c].tolist() for c in SUGGESTION_COLUMNS]
    return [Suggestion(*row) for row in zip(*columns, strict=True)]


def read_view(store, corpus_id: str, codebook_hash: str) -> StoreView:
    docs = store.documents.documents(corpus_id)
    passages = store.documents.corpus_passages(corpus_id)
    frame = store.suggestions.corpus_suggestion_frame(corpus_id, codebook_hash)
    # passage order is document then offset (ids sort differently: "d:100-" < "d:20-")
    ids = pd.Index([p.id for p in passages])
    position = ids.get_indexer(frame["passage_id"])
    known = position >= 0
    frame, position = frame[known], position[known]
    frame = frame.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
    return StoreView(docs, passages, frame[SUGGESTION_COLUMNS])


def documents_frame(docs: Iterable[Document]) -> pd.DataFrame:
    rows = [{"id": d.id, "kind": d.kind, "lang": d.lang, "sha256": d.sha256, "source": d.source,
             "chars": len(d.text), "meta": d.meta} for d in docs]
    return pd.DataFrame(rows, columns=["id", "kind", "lang", "sha256", "source", "chars", "meta"])


def _columns_frame(records: Iterable, columns: Sequence[str]) -> pd.DataFrame:
    """One column at a time (much faster than a dict per record)."""
    records = list(records)
    if not records:
        return pd.DataFrame(columns=list(columns))
    data = {c: [getattr(r, c) for r in records] for c in columns}
    return pd.DataFrame(data, columns=list(columns))


def passages_frame(passages: Iterable[Passage]) -> pd.DataFrame:
    return _columns_frame(passages, PASSAGE_COLUMNS)


def suggestions_frame(suggestions: Iterable[Suggestion]) -> pd.DataFrame:
    frame = _columns_frame(suggestions, SUGGESTION_COLUMNS)
    return frame.astype({"score": float, "rank": int, "accepted": bool})


def _write_tables(view: StoreView, out: Path) -> dict[str, str]:
    from pipeline.tables import write_frame

    lines = [json.dumps({"id": d.id, "kind": d.kind, "lang": d.lang, "sha256": d.sha256,
                         "source": d.source, "chars": len(d.text), "meta": d.meta},
                        ensure_ascii=False, sort_keys=True, default=str) for d in view.documents]
    atomic_write_text(out / "documents.jsonl", "\n".join(lines) + ("\n" if lines else ""))
    write_frame(passages_frame(view.passages), out / "passages")
    write_frame(view.suggestion_frame, out / "suggestions")
    return {"documents": "documents.jsonl", "passages": "passages.parquet",
            "suggestions": "suggestions.parquet"}


def _clusters(view: StoreView, config, book, job, backend, out: Path, refit: bool = False):
    """Candidate categories from the frozen clusterer (:mod:`pipeline.cluster.frozen`).

    Fitted once per cluster key and saved under ``<models>/clusters/<key>``; later
    runs assign the passages new since the fit, until ``cluster.refit_share`` of them
    (or ``refit``) calls for a new fit.
    """
    from pipeline.cluster.adopt import write_candidates
    from pipeline.cluster.frozen import Prototypes, cluster_key, frozen_candidates
    from pipeline.engines.backend import job_coder, job_embedder
    from pipeline.engines.run import job_paths
    from pipeline.segment.tokens import tokenize

    passages = view.codable
    if len(passages) < max(config.cluster.min_cluster_size, 2):
        return None
    embedder = job_embedder(job)

    def prototypes() -> Prototypes:  # only needed when the clusters are fitted
        from pipeline.classify.prototypes import PrototypeRecipe, build_prototypes

        coder = job_coder(job, embedder)
        zero = getattr(coder, "zero_shot_", coder)
        main_ids = book.codable_ids("main")
        recipe = getattr(zero, "recipe", PrototypeRecipe())
        mains = build_prototypes(embedder, book, main_ids, recipe)
        return Prototypes(zero.prototypes_, tuple(zero.code_ids_), mains, tuple(main_ids))

    key = cluster_key(config.cluster, config.seed, job.coder_path.name, embedder.id, book.hash)
    result = frozen_candidates(
        job_paths(config).models_dir / "clusters" / key, key, passages, view.initial, config.cluster,
        config.seed, embed=lambda rows: backend.embed(job, rows), prototypes=prototypes,
        refit=refit, tokenizer=tokenize,
    )
    write_candidates(result, book, out / "candidates.yaml")
    return result


def _saturation(view: StoreView, clusters, config, out: Path):
    from pipeline.saturation import (
        assess_reserved,
        bootstrap_saturation,
        codes_per_case,
        ordered_cases,
        render_saturation_section,
        saturation_measures,
        write_saturation,
    )

    cases = [d for d in view.documents if d.kind == "case"] or view.documents
    order, reserved = ordered_cases(cases)
    s = config.saturation
    if len(order) < s.base_size + s.run_length:
        return None
    initial = view.initial
    per_case = codes_per_case(view.passages, initial, order)
    measures = saturation_measures(per_case, s.base_size, s.run_length, s.threshold)
    boot = bootstrap_saturation(per_case, s.base_size, s.run_length, s.threshold, s.orders,
                                config.seed)
    verdict = None
    if reserved and clusters is not None:
        verdict = assess_reserved(view.passages, initial, clusters, reserved)
    write_saturation(out, measures, boot, verdict)
    return render_saturation_section(measures, boot, verdict)


def audit_units(view: StoreView, paths: Sequence[Path]):
    """Units for the run's agreement audit, and the machine's codes on them.

    Human coders usually code spans (a clause or a sentence) while the machine
    codes its own units (``segment.unit``). When the human files hold spans, the
    units are those spans and the machine's codes on a span are the accepted codes
    of the coding unit holding the largest part of it (of each, on a tie); when
    they name unit ids, the units are the machine's units themselves.
    """
    from pipeline.agreement.readers import read_raw
    from pipeline.agreement.units import UnitRef, units_from_passages
    from pipeline.classify.human import units_holding

    raw = [row for path in paths for row in read_raw(path)]
    if not any(r.doc_id is not None for r in raw):
        return units_from_passages(view.codable), None
    texts = {d.id: d.text for d in view.documents}
    spans = sorted({(r.doc_id, r.start, r.end) for r in raw if r.doc_id is not None})
    units = tuple(UnitRef(f"{d}:{s}-{e}", d, s, e, texts.get(d, "")[s:e]) for d, s, e in spans)
    by_doc: dict[str, list[Passage]] = {}
    for p in view.codable:
        by_doc.setdefault(p.doc_id, []).append(p)
    accepted: dict[str, list[Suggestion]] = {}
    for sug in view.initial:
        accepted.setdefault(sug.passage_id, []).append(sug)
    rows = []
    for unit in units:
        for pid in units_holding(by_doc.get(unit.doc_id, []), unit.start, unit.end):
            rows += [{"passage_id": unit.id, "code_id": s.code_id, "score": s.score,
                      "rank": s.rank, "level": s.level, "method": s.method, "model": s.model,
                      "accepted": s.accepted, "from_passage": pid}
                     for s in accepted.get(pid, [])]
    columns = [*SUGGESTION_COLUMNS, "from_passage"]
    return units, pd.DataFrame(rows, columns=columns)


def _learning_curve(view: StoreView, config, job, backend, out: Path) -> str:
    """``agreement/learning_curve.csv`` and its report fragment ("" when it cannot be drawn)."""
    from pipeline.agreement.learning import (
        coder_curve,
        human_line,
        render_curve,
        span_codings,
        write_curve,
    )
    from pipeline.agreement.readers import read_raw
    from pipeline.classify.human import merge_labels
    from pipeline.engines.backend import job_coder, job_embedder
    from pipeline.engines.labels import codings_file_labels

    codings = span_codings([r for p in config.agreement.codings for r in read_raw(p)])
    units = view.codable
    if not codings.spans or not units or job.coder_path is None:
        return ""
    coder = job_coder(job, job_embedder(job))
    labels = merge_labels(*(codings_file_labels(Path(p), units) for p in config.agreement.codings))
    points = coder_curve(coder, units, backend.embed(job, units), labels, codings, config.seed)
    if not points:
        return ""
    human = human_line(codings)
    write_curve(points, human, out / "agreement" / "learning_curve.csv")
    return render_curve(points, human)


def _agreement(view: StoreView, config, book, out: Path, job=None, backend=None):
    from pipeline.agreement.audit import MachineInput, run_audit
    from pipeline.agreement.render import render_agreement_section, write_outputs
    from pipeline.tables import write_frame

    a = config.agreement
    if not a.codings:
        return None
    units, machine = audit_units(view, a.codings)
    machine_path = out / "suggestions.parquet"
    if machine is not None:
        machine_path = write_frame(machine, out / "agreement" / "machine_on_spans")["parquet"]
    report = run_audit(
        [str(p) for p in a.codings],
        units=units,
        codebook=book,
        level=a.level,
        machine=MachineInput(machine_path, a.threshold, "initial"),
        n_boot=a.bootstrap,
        seed=config.seed,
        min_cover=a.min_cover,
    )
    write_outputs(report, out / "agreement")
    curve = _learning_curve(view, config, job, backend, out) if job is not None else ""
    return render_agreement_section(report).replace("</section>", curve + "</section>")


def _qdpx(view: StoreView, book, out: Path, name: str, cache: Path | None = None) -> None:
    """``project.qdpx``; per-document fragments are cached in the folder ``cache``."""
    from pipeline.report.refi import SourceText, SpanCoding, write_qdpx

    spans = {p.id: p for p in view.passages}
    frame = view.suggestion_frame
    model = sorted(set(frame["model"])) or ["groundcode"]
    coder = "groundcode:" + "+".join(model)
    coded = frame[(frame["level"] == "initial") & frame["accepted"] & (frame["code_id"] != NO_CODE)]
    codings = [
        SpanCoding(spans[pid].doc_id, spans[pid].start, spans[pid].end, code, coder)
        for pid, code in zip(coded["passage_id"].tolist(), coded["code_id"].tolist(), strict=True)
    ]
    sources = [SourceText(d.id, d.id, d.text) for d in view.documents]
    write_qdpx(out / "project.qdpx", name, book, sources, codings, cache=cache)


def export_outputs(
    store,
    config,
    book,
    *,
    corpus_id: str,
    job,
    backend,
    info=None,
    progress: bool = False,
    only: Sequence[str] = OUTPUTS,
    refit: bool = False,
) -> dict[str, str]:
    """Write the chosen outputs into ``config.output``; returns {name: relative path}.

    ``refit`` fits the candidate clusters afresh instead of reusing the saved ones.
    """
    from contextlib import nullcontext

    from pipeline.codebook.refi import export_qdc
    from pipeline.report.html import render_report, write_report
    from pipeline.report.tables import build_tables
    from pipeline.report.xlsx import write_coding_xlsx

    def timed(name: str):
        return info.timed(f"outputs.{name}") if info is not None else nullcontext()

    out = Path(config.output)
    with timed("read"):
        view = read_view(store, corpus_id, book.hash)
    written: dict[str, str] = {}
    sections: list[ExtraSection] = []
    if "tables" in only or "agreement" in only:
        with timed("tables"):
            written |= _write_tables(view, out)
    clusters = None
    if config.cluster.enabled and ({"candidates", "saturation", "report"} & set(only)):
        with timed("candidates"):
            clusters = _clusters(view, config, book, job, backend, out, refit)
        if clusters is not None:
            from pipeline.cluster.report import render_candidates_section

            written["candidates"] = "candidates.yaml"
            sections.append(ExtraSection("sec-candidates", "候选新范畴 Candidate categories",
                                         render_candidates_section(clusters)))
    if {"saturation", "report"} & set(only):
        with timed("saturation"):
            html = _saturation(view, clusters, config, out)
        if html is not None:
            written["saturation"] = "saturation.json"
            sections.append(ExtraSection("sec-saturation", "饱和度检验 Saturation", html))
    if {"agreement", "report"} & set(only):
        with timed("agreement"):
            html = _agreement(view, config, book, out, job, backend)
        if html is not None:
            written["agreement"] = "agreement/"
            sections.append(ExtraSection("sec-agreement", "编码一致性 Agreement", html))
    tables = build_tables(documents_frame(view.documents), passages_frame(view.codable),
                          view.suggestion_frame, book)
    if "report" in only:
        from pipeline.report.decisions import render_decisions

        sections.insert(0, ExtraSection("sec-decisions", "机器如何编码 How the machine decides",
                                        render_decisions(config, job.coder_path)))
        run_info = {"embedder_id": info.embedder_id if info else "", "seed": config.seed,
                    "config": info.config if info else config.model_dump(mode="json")}
        with timed("report"):
            html = render_report(tables, book, title=f"groundcode: {corpus_id}",
                                 run_info=run_info, sections=sections)
            write_report(out / "report.html", html)
        written["report"] = "report.html"
    if "xlsx" in only:
        with timed("xlsx"):
            write_coding_xlsx(out / "coding.xlsx", tables, book, cache=job.cache_dir)
        written["xlsx"] = "coding.xlsx"
    if "qdpx" in only:
        with timed("qdpx"):
            _qdpx(view, book, out, corpus_id, cache=job.cache_dir)
        written["qdpx"] = "project.qdpx"
    if "qdc" in only:
        export_qdc(book, out / "codebook.qdc")
        written["qdc"] = "codebook.qdc"
    return written


def export_from_store(config, only: Sequence[str] = OUTPUTS) -> dict[str, str]:
    """``groundcode export``: the outputs of the last run of ``config``, from its store."""
    from pipeline.codebook import load_codebook
    from pipeline.engines.backend import CodingJob, LocalBackend
    from pipeline.engines.run import current_coder, job_paths
    from pipeline.errors import ConfigError, StoreError
    from pipeline.store import open_store

    unknown = [name for name in only if name not in OUTPUTS]
    if unknown:
        raise ConfigError(f"unknown output(s): {', '.join(unknown)}", unit="--only",
                          hint=f"choose from: {', '.join(OUTPUTS)}.")
    if config.codebook is None:
        raise ConfigError("no codebook configured", unit="codebook")
    paths = job_paths(config)
    if paths.store_url.startswith("sqlite:///") and not Path(
        paths.store_url.removeprefix("sqlite:///")
    ).is_file():
        raise StoreError("no store for this config yet", file=paths.store_url.removeprefix(
            "sqlite:///"), hint="run `groundcode run CONFIG` first.")
    book = load_codebook(config.codebook)
    with open_store(paths.store_url) as store:
        coder = current_coder(config, book, store)
        if coder is None:
            raise StoreError("no coder has been fitted for this config and codebook",
                             file=paths.models_dir, hint="run `groundcode run CONFIG` first.")
        job = CodingJob(config.embed, paths.cache_dir, Path(config.codebook), coder)
        corpora = store.documents.corpora()
        if len(corpora) == 1:
            corpus_id = corpora[0]
        else:
            from pipeline.corpus import load_corpus

            corpus_id = load_corpus(config.corpus).name
        if corpus_id not in corpora:
            raise StoreError(f"corpus {corpus_id!r} is not in the store", file=paths.store_url,
                             hint="run `groundcode run CONFIG` first.")
        backend = LocalBackend()
        try:
            return export_outputs(store, config, book, corpus_id=corpus_id, job=job,
                                  backend=backend, only=only)
        finally:
            backend.close()
