"""Table sources: one :class:`Document` per row.

The row's ``id_column`` value is the document id and ``text_column`` its text; every
other non-empty column becomes an attribute in ``meta`` and overrides the entry's
defaults. Known attributes (``arena``, ``year``, ``date``, ...) are validated like
manifest entries; all bad rows are reported at once in one IngestError.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.corpus.document import Document, DocumentKind, Language
from pipeline.corpus.manifest import validate_attributes
from pipeline.corpus.reader import make_document
from pipeline.corpus.table_reader import TableRow, read_rows
from pipeline.errors import IngestError


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _row_problems(row: TableRow, id_column: str, text_column: str) -> list[str]:
    problems = []
    for column in (id_column, text_column):
        value = row.values.get(column)
        if value is None or str(value).strip() == "":
            problems.append(f"{row.unit}: empty '{column}'")
    return problems


def _attributes(row: TableRow, skip: set[str]) -> tuple[dict[str, Any], list[str]]:
    values = {k: _cell(v) for k, v in row.values.items() if k not in skip}
    values = {k: v for k, v in values.items() if v not in (None, "")}
    checked, problems = validate_attributes(values)
    return checked, [f"{row.unit}: {p}" for p in problems]


def read_table(
    path: str | Path,
    *,
    id_column: str,
    text_column: str,
    kind: DocumentKind = "other",
    meta: Mapping[str, Any] | None = None,
    opencc: bool = False,
    lang: Language | None = None,
    sheet: str | None = None,
    source: str | None = None,
    encoding: str | None = None,
) -> list[Document]:
    """Read a CSV/XLSX/JSONL table into one Document per row (in row order).

    ``meta`` and ``lang`` are defaults that the row's own columns override; ``lang``
    and ``encoding`` (a pinned codec) also steer how a CSV/JSONL file is decoded."""
    path = Path(path)
    data = read_rows(path, sheet=sheet, encoding=encoding, lang=lang)
    columns = set().union(*(row.values for row in data.rows))
    missing = [c for c in (id_column, text_column) if c not in columns]
    if missing:
        raise IngestError(
            f"column(s) {missing} not found (has {sorted(columns)})",
            file=path,
            hint="fix table.id_column / table.text_column in the manifest",
        )
    problems: list[str] = []
    seen: dict[str, str] = {}
    documents = []
    base = {**(meta or {}), "format": path.suffix.lower().lstrip(".")}
    if data.encoding:
        base["encoding"] = data.encoding
    for row in data.rows:
        attrs, bad = _attributes(row, {id_column, text_column})
        bad = _row_problems(row, id_column, text_column) + bad
        problems.extend(bad)
        if bad:
            continue
        doc_id = str(_cell(row.values[id_column]))
        if doc_id in seen:
            problems.append(f"{row.unit}: duplicate id '{doc_id}' (first at {seen[doc_id]})")
            continue
        seen[doc_id] = row.unit
        row_lang: Language | None = attrs.pop("lang", None) or lang
        documents.append(
            make_document(
                str(row.values[text_column]),
                doc_id=doc_id,
                kind=kind,
                lang=row_lang,
                meta={**base, **attrs, "row": row.unit},
                source=f"{source or path}#{row.unit.replace(' ', '')}",
                opencc=opencc,
                file=path,
                unit=row.unit,
            )
        )
    if problems:
        raise IngestError(
            f"{len(problems)} bad row(s):" + "".join(f"\n  - {p}" for p in problems), file=path
        )
    return documents
