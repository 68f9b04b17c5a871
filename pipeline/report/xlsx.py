"""``coding.xlsx``: the coded corpus as a workbook researchers can filter and pivot.

Sheets: ``passages`` (one row per passage: document attributes, code path, a 0/1
column and a score column per initial code), ``documents`` (per-document summary),
``codebook`` (every code with its path, names and definitions).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.io import atomic_path
from pipeline.report.tables import ReportTables


def passage_sheet(tables: ReportTables, codebook) -> pd.DataFrame:
    base_cols = [c for c in tables.passages.columns if c not in ("tokens", "context_before", "context_after")]
    sheet = tables.passages[base_cols].copy()
    codes_by_passage = (
        tables.codings.groupby("passage_id")["code_id"].apply(lambda s: "; ".join(sorted(set(s))))
    )
    paths = tables.codings.assign(
        path=[" › ".join(c.id for c in codebook.path(code)) for code in tables.codings["code_id"]]
    ).groupby("passage_id")["path"].apply(lambda s: "; ".join(sorted(set(s))))
    sheet["codes"] = sheet["id"].map(codes_by_passage).fillna("")
    sheet["code_paths"] = sheet["id"].map(paths).fillna("")
    binary = tables.matrix.add_prefix("is_").reset_index(drop=True)
    scores = tables.scores.round(4).add_prefix("score_").reset_index(drop=True)
    return pd.concat([sheet.reset_index(drop=True), binary, scores], axis=1)


def document_sheet(tables: ReportTables) -> pd.DataFrame:
    counts = tables.passages.groupby("doc_id").size().rename("passages")
    coded = tables.codings.groupby("doc_id")["passage_id"].nunique().rename("coded_passages")
    codes = tables.codings.groupby("doc_id")["code_id"].nunique().rename("distinct_codes")
    mains = tables.codings.groupby("doc_id")["main_id"].apply(
        lambda s: "; ".join(f"{k}:{v}" for k, v in sorted(s.value_counts().items()))
    ).rename("main_categories")
    docs = tables.documents.drop(columns=[c for c in ("text",) if c in tables.documents.columns])
    summary = docs.set_index("id").join([counts, coded, codes, mains])
    summary[["passages", "coded_passages", "distinct_codes"]] = (
        summary[["passages", "coded_passages", "distinct_codes"]].fillna(0).astype(int)
    )
    return summary.reset_index().rename(columns={"index": "id"})


def codebook_sheet(codebook) -> pd.DataFrame:
    rows = []
    for code in codebook.codes:
        rows.append(
            {
                "id": code.id,
                "level": code.level,
                "parent": code.parent or "",
                "path": " › ".join(c.id for c in codebook.path(code.id)),
                "name_zh": code.name.zh,
                "name_en": code.name.en,
                "definition_zh": code.definition.zh,
                "definition_en": code.definition.en,
                "codable": code.codable,
            }
        )
    return pd.DataFrame(rows)


def _write_sheet(workbook, name: str, frame: pd.DataFrame) -> None:
    """Rows straight into XlsxWriter (no per-cell pandas formatting); blanks for missing."""
    import math

    sheet = workbook.add_worksheet(name)
    header = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [str(c) for c in frame.columns], header)
    sheet.freeze_panes(1, 1)
    rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                if not (isinstance(value, float) and math.isinf(value)):
                    sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))


def write_coding_xlsx(path: str | Path, tables: ReportTables, codebook) -> Path:
    """Write the workbook with XlsxWriter (streaming rows) and a fixed creation date,
    so the same run gives the same file."""
    from datetime import datetime

    import xlsxwriter

    sheets = {
        "passages": passage_sheet(tables, codebook),
        "documents": document_sheet(tables),
        "codebook": codebook_sheet(codebook),
    }
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
        workbook.set_properties({"title": "groundcode coding", "created": datetime(2000, 1, 1)})
        for name, frame in sheets.items():
            _write_sheet(workbook, name, frame)
        workbook.close()
    return Path(path)
