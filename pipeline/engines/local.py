"""The local engine: runs the stages one after another on this machine.

Each stage is a plain function call; this module only orders them, times them,
writes their outputs and records the run in ``run.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import RunConfig, resolved_config_dict
from pipeline.io import atomic_write_text
from pipeline.progress import track
from pipeline.runinfo import RunInfo
from pipeline.tables import write_records


@dataclass(frozen=True)
class RunResult:
    output: Path
    run_json: Path
    passages_path: Path
    documents: int
    passages: int
    removals: int


def _write_documents(documents, path: Path) -> None:
    lines = []
    for doc in documents:
        row = {
            "id": doc.id,
            "kind": doc.kind,
            "lang": doc.lang,
            "sha256": doc.sha256,
            "source": doc.source,
            "chars": len(doc.text),
            "meta": doc.meta,
        }
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str))
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def prepare_passages(config: RunConfig, info: RunInfo, *, progress: bool = True):
    """ingest -> clean -> segment. Returns (documents, clean results, passages)."""
    from pipeline.clean import clean_corpus
    from pipeline.corpus import load_corpus
    from pipeline.segment import Segmenter

    with info.timed("ingest"):
        corpus = load_corpus(config.corpus)
    info.input_hashes = dict(corpus.input_hashes)
    with info.timed("clean"):
        cleaned = clean_corpus(corpus.documents, config.clean)
    with info.timed("segment"):
        segmenter = Segmenter(config.segment)
        passages = []
        for result in track(cleaned, "segment", total=len(cleaned), enabled=progress):
            passages.extend(segmenter.segment(result.document, result.removals))
    return corpus.documents, cleaned, passages


def run_foundation(config: RunConfig, *, progress: bool = True) -> RunResult:
    """ingest -> clean -> segment, writing passages (Parquet + CSV), the clean audit and run.json."""
    from pipeline.clean import write_audit

    out = Path(config.output)
    out.mkdir(parents=True, exist_ok=True)
    info = RunInfo(config=resolved_config_dict(config), seed=config.seed)
    documents, cleaned, passages = prepare_passages(config, info, progress=progress)
    _write_documents(documents, out / "documents.jsonl")
    write_audit(cleaned, out / "clean_audit.csv")
    paths = write_records(passages, out / "passages")
    removals = sum(len(r.removals) for r in cleaned)
    info.counts = {"documents": len(documents), "passages": len(passages), "removals": removals}
    info.outputs = {
        "documents": "documents.jsonl",
        "clean_audit": "clean_audit.csv",
        "passages": "passages.parquet",
        "passages_csv": "passages.csv",
    }
    run_json = info.write(out / "run.json")
    return RunResult(out, run_json, paths["parquet"], len(documents), len(passages), removals)
