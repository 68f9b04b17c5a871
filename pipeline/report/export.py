"""Every output of a run, rendered from the store (``groundcode run`` and ``export``).

Reads one corpus from the store: documents, passages and suggestions
(:func:`~pipeline.store.view.read_view`) and the stored results of the corpus
stages (candidate categories, saturation, agreement; see
:mod:`pipeline.engines.corpus_stages`). Writes the tables (Parquet + CSV),
``candidates.yaml``, ``saturation.json/.csv``, ``agreement/``, ``report.html``,
``coding.xlsx``, ``project.qdpx`` and ``codebook.qdc``. Nothing here computes a
stage: a result the store does not hold is reported as missing, with the reason
a stage gave for skipping it. Everything written is a pure function of the store
and the config, so two runs over the same input give identical files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from operator import attrgetter
from pathlib import Path

from pipeline.classify.suggestion import NO_CODE
from pipeline.io import atomic_write_text
from pipeline.report.html import ExtraSection
from pipeline.store.view import (  # noqa: F401 - re-exported for older imports
    PASSAGE_COLUMNS,
    SUGGESTION_COLUMNS,
    StoreView,
    documents_frame,
    passages_frame,
    read_view,
    suggestions_frame,
)

OUTPUTS = ("tables", "candidates", "saturation", "agreement", "report", "xlsx", "qdpx", "qdc")
TITLES = {"cluster": ("sec-candidates", "候选新范畴 Candidate categories"),
          "saturation": ("sec-saturation", "饱和度检验 Saturation"),
          "agreement": ("sec-agreement", "编码一致性 Agreement")}


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


def _qdpx(view: StoreView, book, out: Path, name: str, cache: Path | None = None) -> None:
    """``project.qdpx``; per-document fragments are cached in the folder ``cache``."""
    import numpy as np
    import pandas as pd

    from pipeline.report.refi import CodingColumns, SourceText, write_project

    frame = view.suggestion_frame
    model = sorted(set(frame["model"])) or ["groundcode"]
    coder = "groundcode:" + "+".join(model)
    coded = ((frame["level"] == "initial") & frame["accepted"]
             & (frame["code_id"] != NO_CODE)).to_numpy()
    at = pd.Index([p.id for p in view.passages]).get_indexer(frame["passage_id"].to_numpy()[coded])
    if (at < 0).any():
        raise KeyError(frame["passage_id"].to_numpy()[coded][at < 0][0])
    docs = {d.id: i for i, d in enumerate(view.documents)}
    n = len(view.passages)
    source, start, end = (np.fromiter((get(p) for p in view.passages), np.int64, n)[at]
                          for get in (lambda p: docs.get(p.doc_id, -1), attrgetter("start"),
                                      attrgetter("end")))
    columns = CodingColumns(source, start, end,
                            frame["code_id"].to_numpy()[coded],
                            np.full(len(at), coder, dtype=object))
    sources = [SourceText(d.id, d.id, d.text) for d in view.documents]
    write_project(out / "project.qdpx", name, book, sources, columns, cache=cache)


def _note(stage: str, text: str) -> ExtraSection:
    """The stage's report section when it holds no result: why, in the user's words."""
    anchor, title = TITLES[stage]
    return ExtraSection(anchor, title, f'<p class="note" id="{anchor}-note">{escape(text)}</p>')


def _missing(store, corpus_id: str, stage: str):
    """(stored result, None) when the stage is done, else (None, note section)."""
    mark = store.results.stage_result(corpus_id, stage)
    if mark is None:
        return None, _note(stage, f"{stage}: no result in the store yet; run `groundcode run`.")
    if mark.status != "done":
        return None, _note(stage, mark.note)
    return mark, None


def _candidates(store, corpus_id: str, book, out: Path, files: bool):
    from pipeline.cluster.adopt import write_candidates
    from pipeline.cluster.records import result_from_store
    from pipeline.cluster.report import render_candidates_section

    mark, note = _missing(store, corpus_id, "cluster")
    if mark is None:
        return {}, note
    result = result_from_store(mark.result, store.results.candidates(corpus_id))
    written = {}
    if files:
        write_candidates(result, book, out / "candidates.yaml")
        written["candidates"] = "candidates.yaml"
    return written, ExtraSection(*TITLES["cluster"], render_candidates_section(result))


def _saturation(store, corpus_id: str, out: Path, files: bool):
    from pipeline.records import from_data
    from pipeline.saturation import render_saturation_section, write_saturation
    from pipeline.saturation.stage import SaturationResult

    mark, note = _missing(store, corpus_id, "saturation")
    if mark is None:
        stored = store.results.stage_result(corpus_id, "saturation")
        if files and stored is not None and stored.status == "skipped":
            payload = {"status": "skipped", "reason": stored.note, **(stored.result or {})}
            atomic_write_text(out / "saturation.json",
                              json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True))
            return {"saturation": "saturation.json"}, note
        return {}, note
    result = from_data(SaturationResult, mark.result)
    written = {}
    if files:
        write_saturation(out, result.measures, result.bootstrap, result.reserved, result.accepted)
        written["saturation"] = "saturation.json"
    html = render_saturation_section(result.measures, result.bootstrap, result.reserved,
                                     result.accepted)
    return written, ExtraSection(*TITLES["saturation"], html)


def _agreement(store, corpus_id: str, out: Path, files: bool):
    from pipeline.agreement.audit import AgreementReport
    from pipeline.agreement.render import render_agreement_section, write_outputs
    from pipeline.records import from_data

    mark, note = _missing(store, corpus_id, "agreement")
    if mark is None:
        return {}, note
    report = from_data(AgreementReport, mark.result)
    written = {}
    if files:
        write_outputs(report, out / "agreement")
        written["agreement"] = "agreement/"
    return written, ExtraSection(*TITLES["agreement"], render_agreement_section(report))


def _stage_outputs(store, corpus_id: str, book, out: Path, only: Sequence[str]):
    """Files and report sections of the corpus stages' stored results."""
    written: dict[str, str] = {}
    sections: list[ExtraSection] = []
    report = "report" in only
    for name, render in (("candidates", lambda f: _candidates(store, corpus_id, book, out, f)),
                         ("saturation", lambda f: _saturation(store, corpus_id, out, f)),
                         ("agreement", lambda f: _agreement(store, corpus_id, out, f))):
        if name in only or report:
            files, section = render(name in only)
            written |= files
            sections.append(section)
    return written, sections


def export_outputs(
    store,
    config,
    book,
    *,
    corpus_id: str,
    view: StoreView | None = None,
    info=None,
    only: Sequence[str] = OUTPUTS,
    cache_dir: Path | None = None,
) -> dict[str, str]:
    """Write the chosen outputs into ``config.output``; returns {name: relative path}.

    ``view`` is the corpus as already read from the store (read here when None);
    ``cache_dir`` holds the per-document fragment caches of the workbook and project.
    """
    from contextlib import nullcontext

    from pipeline.codebook.refi import export_qdc
    from pipeline.report.html import render_report, write_report
    from pipeline.report.tables import build_tables
    from pipeline.report.xlsx import write_coding_xlsx

    def timed(name: str):
        return info.timed(f"outputs.{name}") if info is not None else nullcontext()

    out = Path(config.output)
    if view is None:
        with timed("read"):
            view = read_view(store, corpus_id, book.hash)
    written: dict[str, str] = {}
    if "tables" in only:
        with timed("tables"):
            written |= _write_tables(view, out)
    with timed("stages"):
        files, sections = _stage_outputs(store, corpus_id, book, out, only)
    written |= files
    tables = build_tables(documents_frame(view.documents), passages_frame(view.codable),
                          view.suggestion_frame, book)
    if "report" in only:
        from pipeline.report.decisions import render_decisions

        sections.insert(0, ExtraSection("sec-decisions", "机器如何编码 How the machine decides",
                                        render_decisions(config, _coder_folder(out, info))))
        run_info = {"embedder_id": info.embedder_id if info else "", "seed": config.seed,
                    "config": info.config if info else config.model_dump(mode="json")}
        with timed("report"):
            html = render_report(tables, book, title=f"groundcode: {corpus_id}",
                                 run_info=run_info, sections=sections)
            write_report(out / "report.html", html)
        written["report"] = "report.html"
    if "xlsx" in only:
        with timed("xlsx"):
            write_coding_xlsx(out / "coding.xlsx", tables, book, cache=cache_dir)
        written["xlsx"] = "coding.xlsx"
    if "qdpx" in only:
        with timed("qdpx"):
            _qdpx(view, book, out, corpus_id, cache=cache_dir)
        written["qdpx"] = "project.qdpx"
    if "qdc" in only:
        export_qdc(book, out / "codebook.qdc")
        written["qdc"] = "codebook.qdc"
    return written


def _coder_folder(out: Path, info) -> Path | None:
    """The folder of the coder this run (or, for ``groundcode export``, the last run) used."""
    import json

    found = (info.extra.get("coder") if info is not None else None)
    if found is None and (out / "run.json").is_file():
        found = json.loads((out / "run.json").read_text(encoding="utf-8")).get("coder")
    return None if found is None else (Path(found) if Path(found).is_absolute() else out / found)


def last_run_codebook(store, book):
    """The codebook version the last finished run of ``book``'s codebook coded with (a
    version made in review may have replaced the file's); ``book`` when there is none."""
    from pipeline.codebook.stored import codebook_from_text

    for run in reversed(store.runs.runs()):
        record = store.codebooks.get_codebook(run.codebook_hash) if run.codebook_hash else None
        if run.status == "finished" and record is not None and record.id == book.id:
            if record.hash == book.hash:
                return book
            return codebook_from_text(record.content, f"stored codebook {record.hash[:12]}")
    return book


def export_from_store(config, only: Sequence[str] = OUTPUTS, *, wait: float = 0.0,
                      config_path=None) -> dict[str, str]:
    """``groundcode export``: the outputs of the last run of ``config``, from its store.

    Runs no stage: what the store does not hold is reported as missing. Holds the
    run lock (:mod:`pipeline.runlock`) while it writes, so it never renders a
    half-updated store over a running run's outputs; ``wait`` as for ``run_job``.
    """
    from pipeline.codebook import load_codebook
    from pipeline.errors import ConfigError, StoreError
    from pipeline.paths import job_paths
    from pipeline.runlock import run_lock
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
    with run_lock(paths, command="export", config_path=config_path, wait=wait), \
            open_store(paths.store_url) as store:
        book = last_run_codebook(store, book)
        corpora = store.documents.corpora()
        if len(corpora) == 1:
            corpus_id = corpora[0]
        else:
            from pipeline.corpus import load_corpus

            corpus_id = load_corpus(config.corpus).name
        if corpus_id not in corpora:
            raise StoreError(f"corpus {corpus_id!r} is not in the store", file=paths.store_url,
                             hint="run `groundcode run CONFIG` first.")
        return export_outputs(store, config, book, corpus_id=corpus_id, only=only,
                              cache_dir=paths.cache_dir)
