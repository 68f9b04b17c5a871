"""Table sources (CSV, XLSX, JSONL): one record per row, with its row/line number.

CSV and JSONL bytes are decoded like TXT files (:func:`pipeline.corpus.txt.decode_bytes`);
every CSV value stays a string. XLSX reads the first sheet (or ``sheet``) with
openpyxl, header in row 1; cell values keep their types. JSONL needs one JSON object
per non-empty line. Units are spreadsheet rows for CSV/XLSX (header = row 1) and
lines for JSONL.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.corpus.formats import TABLE_SUFFIXES
from pipeline.corpus.txt import decode_bytes
from pipeline.errors import IngestError
from pipeline.userfiles import check_archive, check_size


@dataclass(frozen=True)
class TableRow:
    unit: str  # "row 3" / "line 3"
    values: dict[str, Any]


@dataclass(frozen=True)
class TableData:
    rows: tuple[TableRow, ...]
    encoding: str | None = None


def _read_csv(path: Path, encoding: str | None, lang: str | None) -> TableData:
    decoded = decode_bytes(path.read_bytes(), path, encoding=encoding, lang=lang)
    reader = csv.reader(io.StringIO(decoded.text, newline=""))
    header = next(_csv_rows(reader, path), None)
    if not header or not any(h.strip() for h in header):
        raise IngestError("table has no header row", file=path, unit="row 1")
    names = [h.strip() for h in header]
    rows = []
    for number, cells in enumerate(_csv_rows(reader, path), start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            raise IngestError(
                f"{len(cells)} cells but the header has {len(names)} columns",
                file=path,
                unit=f"row {number}",
                hint="quote cells that contain commas",
            )
        rows.append(TableRow(f"row {number}", dict(zip(names, cells, strict=False))))
    return TableData(tuple(rows), decoded.encoding)


def _csv_rows(reader, path: Path):
    """The reader's rows; its errors (a cell over the field limit, a NUL byte) as IngestError
    naming the line where it stopped."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise IngestError(f"cannot read CSV: {exc}", file=path,
                              unit=f"line {reader.line_num}",
                              hint="a cell is over 131,072 characters, or a quote is never "
                                   "closed.") from None


def _read_xlsx(path: Path, sheet: str | None) -> TableData:
    import openpyxl

    check_archive(path, error=IngestError, what="XLSX")
    # a damaged member shows up while opening or while reading rows, as zip, zlib, XML
    # or openpyxl's own errors of many unrelated types
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 -- see above
        raise IngestError(f"cannot read XLSX ({type(exc).__name__}: {exc})", file=path) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise IngestError(f"no sheet named {sheet!r} (has {book.sheetnames})", file=path)
        values = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 -- see above
        raise IngestError(f"cannot read XLSX ({type(exc).__name__}: {exc})", file=path) from None
    finally:
        book.close()
    if not values or not any(v is not None for v in values[0]):
        raise IngestError("table has no header row", file=path, unit="row 1")
    names = ["" if v is None else str(v).strip() for v in values[0]]
    rows = []
    for number, cells in enumerate(values[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        record = {n: c for n, c in zip(names, cells, strict=False) if n and c is not None}
        rows.append(TableRow(f"row {number}", record))
    return TableData(tuple(rows))


def _read_jsonl(path: Path, encoding: str | None, lang: str | None) -> TableData:
    decoded = decode_bytes(path.read_bytes(), path, encoding=encoding, lang=lang)
    rows = []
    for number, line in enumerate(decoded.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(
                f"invalid JSON: {exc.msg}", file=path, unit=f"line {number}"
            ) from None
        if not isinstance(record, dict):
            raise IngestError("each line must be a JSON object", file=path, unit=f"line {number}")
        rows.append(TableRow(f"line {number}", record))
    return TableData(tuple(rows), decoded.encoding)


def read_rows(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    lang: str | None = None,
) -> TableData:
    """All non-empty rows of a table file; ``encoding`` pins a CSV/JSONL file's codec and
    ``lang`` narrows its detection (see :func:`pipeline.corpus.txt.decode_bytes`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise IngestError(
            f"not a table file (expected one of {', '.join(TABLE_SUFFIXES)})", file=path
        )
    if path.stat().st_size == 0:
        raise IngestError("file is empty", file=path)
    check_size(path, error=IngestError, what="table")
    if suffix == ".csv":
        data = _read_csv(path, encoding, lang)
    elif suffix == ".xlsx":
        data = _read_xlsx(path, sheet)
    else:
        data = _read_jsonl(path, encoding, lang)
    if not data.rows:
        raise IngestError("table has no data rows", file=path)
    return data
