"""The coders' current codings as a workbook and a REFI-QDA project (from the store)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from pipeline.review.audit import human_cells


def decisions_frame(store) -> pd.DataFrame:
    rows = [{"id": d.id, "coder": d.coder, "passage_id": d.passage_id, "code": d.code or "",
             "decision": d.decision, "time": d.time.isoformat(), "shown": d.shown or "",
             "score": d.score, "model": d.model or ""} for d in store.codings.decisions()]
    return pd.DataFrame(rows, columns=["id", "coder", "passage_id", "code", "decision", "time",
                                       "shown", "score", "model"])


def decisions_workbook(store, book) -> bytes:
    import xlsxwriter

    from pipeline.report.xlsx import _write_sheet, codebook_sheet

    decisions = decisions_frame(store)
    cells = human_cells(store.codings.decisions())
    passages = {p.id: p for p in store.documents.passages(ids={p for p, _ in cells})}
    codings = pd.DataFrame(
        [{"passage_id": p, "doc_id": passages[p].doc_id, "start": passages[p].start,
          "end": passages[p].end, "coder": c, "codes": "; ".join(sorted(codes)),
          "text": passages[p].text}
         for (p, c), codes in sorted(cells.items()) if p in passages],
        columns=["passage_id", "doc_id", "start", "end", "coder", "codes", "text"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "codings.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        for name, frame in (("codings", codings), ("decisions", decisions),
                            ("codebook", codebook_sheet(book))):
            _write_sheet(workbook, name, frame)
        workbook.close()
        return path.read_bytes()


def decisions_qdpx(store, book) -> bytes:
    from pipeline.report.refi import SourceText, SpanCoding, write_qdpx

    cells = human_cells(store.codings.decisions())
    passages = {p.id: p for p in store.documents.passages(ids={p for p, _ in cells})}
    codings = [SpanCoding(passages[p].doc_id, passages[p].start, passages[p].end, code, coder)
               for (p, coder), codes in sorted(cells.items()) if p in passages
               for code in sorted(codes)]
    docs = sorted({c.doc_id for c in codings})
    sources = [SourceText(d, d, store.documents.get_document(d).text) for d in docs]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_qdpx(Path(tmp) / "codings.qdpx", "groundcode review", book, sources,
                          codings)
        return path.read_bytes()
