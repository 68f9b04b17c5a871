"""``coding.xlsx``: the coded corpus as a workbook researchers can filter and pivot.

Sheets: ``passages`` (one row per passage: document attributes, code path, a 0/1
column and a score column per initial code), ``documents`` (per-document summary),
``codebook`` (every code with its path, names and definitions).

The ``passages`` sheet (~99% of the cells) is assembled from per-document row
fragments cached in the run's cache folder (:mod:`pipeline.report.fragments`), so
a run that changed one document builds that document's rows only; the file is the
same for the same input whether the fragments came from the cache or not.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.io import atomic_path
from pipeline.report.fragments import FragmentCache, input_digest
from pipeline.report.tables import ReportTables


def _joined_sets(keys, values) -> dict:
    """{key: "; ".join(sorted(set(values of key)))}, in one pass (no per-group pandas).

    A key with one distinct value maps to that value object itself (most passages have
    one code): a set per key would cost ≈ 200 bytes each on a corpus of 500,000."""
    out: dict = {}
    several: dict = {}
    for key, value in zip(keys, values, strict=True):
        group = several.get(key)
        if group is not None:
            group.add(value)
        elif key not in out:
            out[key] = value
        elif out[key] != value:
            several[key] = {out[key], value}
    for key, group in several.items():
        out[key] = "; ".join(sorted(group))
    return out


class PassageSheet:
    """The ``passages`` sheet made a range of rows at a time (:func:`passage_sheet` is
    all of it), so a large corpus never holds every cell of it at once."""

    def __init__(self, tables: ReportTables, codebook) -> None:
        self.tables = tables
        self.base_cols = [
            c for c in tables.passages.columns
            if c not in ("tokens", "context_before", "context_after", "content")
        ]
        codings = tables.codings
        code_ids = codings["code_id"].tolist()
        path_of = {c: " › ".join(x.id for x in codebook.path(c)) for c in set(code_ids)}
        passage_ids = codings["passage_id"].tolist()
        self.codes = _joined_sets(passage_ids, code_ids)
        self.paths = _joined_sets(passage_ids, [path_of[c] for c in code_ids])

    def __len__(self) -> int:
        return len(self.tables.passages)

    def rows(self, start: int, stop: int) -> pd.DataFrame:
        tables = self.tables
        sheet = tables.passages[self.base_cols].iloc[start:stop].copy()
        ids = sheet["id"].tolist()
        sheet["codes"] = pd.Series([self.codes.get(i, "") for i in ids], sheet.index, object)
        sheet["code_paths"] = pd.Series([self.paths.get(i, "") for i in ids], sheet.index, object)
        binary = tables.cells.matrix(start, stop).add_prefix("is_").reset_index(drop=True)
        scores = tables.cells.scores(start, stop).round(4).add_prefix("score_")
        return pd.concat([sheet.reset_index(drop=True), binary, scores.reset_index(drop=True)],
                         axis=1)


def passage_sheet(tables: ReportTables, codebook) -> pd.DataFrame:
    return PassageSheet(tables, codebook).rows(0, len(tables.passages))


def document_sheet(tables: ReportTables) -> pd.DataFrame:
    codings = tables.codings
    counts = tables.passages.groupby("doc_id").size().rename("passages")
    coded = codings.groupby("doc_id")["passage_id"].nunique().rename("coded_passages")
    codes = codings.groupby("doc_id")["code_id"].nunique().rename("distinct_codes")
    per_main: dict[str, dict[str, int]] = {}
    for doc, main in zip(codings["doc_id"].tolist(), codings["main_id"].tolist(), strict=True):
        tally = per_main.setdefault(doc, {})
        tally[main] = tally.get(main, 0) + 1
    mains = pd.Series(
        {doc: "; ".join(f"{k}:{v}" for k, v in sorted(t.items())) for doc, t in per_main.items()},
        dtype=object,
        name="main_categories",
    )
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


def _write_sheet(workbook, name: str, frame: pd.DataFrame, *, header_only: bool = False) -> None:
    """Rows straight into XlsxWriter (no per-cell pandas formatting); blanks for missing."""
    sheet = workbook.add_worksheet(name)
    header = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [str(c) for c in frame.columns], header)
    sheet.freeze_panes(1, 1)
    if header_only:
        return
    for r, row in enumerate(_cell_values(frame), start=1):
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


def _cell_values(frame: pd.DataFrame) -> list[list]:
    """The frame's rows as Python values, None for missing (what a cell is made of)."""
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


# -- the big sheets from per-document row fragments ---------------------------------------
#
# The passages sheet is ~99% of the workbook's cells, the documents sheet most of the rest.
# Their rows are written as the XML XlsxWriter writes in constant_memory mode (inline
# strings, the same escaping), one fragment per document, cached by the document's cell
# values (pipeline.report.fragments), and spliced into the sheet XML XlsxWriter wrote with
# just the header row.

ROWS_VERSION = "1"  # bump whenever the cell XML written below changes
# sheet name: (its zip entry (sheets are added in this order), the column whose runs of
# equal values make one fragment, the fragment kind)
SPLICED = {
    "passages": ("xl/worksheets/sheet1.xml", "doc_id", "xlsx-passage-rows"),
    "documents": ("xl/worksheets/sheet2.xml", "id", "xlsx-document-rows"),
}
PASSAGE_SHEET, _, ROWS_KIND = SPLICED["passages"]
_ROW = b"\x00"  # placeholder of the row number in a fragment (never in XML text)
_NEXT = b"\x01"  # between the rows of a fragment
_STRMAX = 32767  # Excel's string limit in UTF-16 units
_MAX_ROW = 1_048_575  # Excel's last row, 0-based
BLOCK = 2_000  # rows a fragment holds at most (a long document is several fragments)
# rows of a sheet made into cells at a time: the passages sheet of a 500,000-unit corpus
# needs ≈ 150 MB over its tables with 5,000 (≈ 300 MB with 20,000), in the same time
CHUNK = 5_000
SHEET_ROWS = _MAX_ROW  # data rows a sheet holds below its header row
_CONTROL_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LEADING = re.compile(r"^\s")
_TRAILING = re.compile(r"\s$")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# deflate level of the spliced sheets: 3x faster than zlib's default 6 on the passages sheet
# (38.7 MB of XML at 2,000 documents: 0.36 s vs 1.07 s) for a 20% larger file (7.5 vs 6.2 MB)
FAST = 1


def _string_xml(ref: str, string: str) -> str:
    """An inline-string cell, as XlsxWriter writes it in constant_memory mode."""
    if (
        len(string) > _STRMAX // 2
        and len(string.encode("utf-16-le", "surrogatepass")) > _STRMAX * 2
    ):
        length = 0
        for index, char in enumerate(string):
            length += 2 if ord(char) > 0xFFFF else 1
            if length > _STRMAX:
                string = string[:index]
                break
    # Excel's escapes: control characters as _xHHHH_, a literal _xHHHH_ with its "_" escaped
    string = _CONTROL_ESCAPED.sub(r"_x005F\1", string)
    string = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", string)
    string = string.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if _LEADING.search(string) or _TRAILING.search(string) else ""
    if "&" in string or "<" in string or ">" in string:
        string = string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{string}</t></is></c>'


def _row_fragment(letters: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    """The rows of one document with ``_ROW`` for their row number, ``_NEXT`` between rows.

    Cells follow ``_write_sheet``: None and infinities blank, booleans, numbers
    (``%.16G`` like XlsxWriter), everything else as its ``str``. A row without a
    cell is written as nothing (XlsxWriter writes no ``<row>`` for it)."""
    out = []
    for row in rows:
        cells = []
        for letter, value in zip(letters, row, strict=True):
            if value is None:
                continue
            ref = letter + "\x00"
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{1 if value else 0}</v></c>')
            elif isinstance(value, int | float):
                if not (isinstance(value, float) and math.isinf(value)):
                    cells.append(f'<c r="{ref}"><v>{value:.16G}</v></c>')
            else:
                cells.append(_string_xml(ref, str(value)))
        out.append(f'<row r="\x00">{"".join(cells)}</row>' if cells else "")
    text = "\x01".join(out)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be written as XML at all
        return _SURROGATE.sub("", text).encode("utf-8")


def _document_runs(doc_ids: Sequence, most: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive rows of one document, cut every ``most``
    rows (a long document is several runs)."""
    runs, start = [], 0
    for i in range(1, len(doc_ids) + 1):
        if i == len(doc_ids) or doc_ids[i] != doc_ids[start] or i - start == most:
            runs.append((start, i))
            start = i
    return runs


def _row_digests(frame: pd.DataFrame, runs: Sequence[tuple[int, int]]) -> list[str]:
    """sha256 per run of rows of its exact cell inputs (column names and dtypes, the raw
    bytes of the numeric columns, a typed JSON of the others), far cheaper than the XML."""
    dtypes = [str(t) for t in frame.dtypes]
    header = json.dumps([ROWS_VERSION, [str(c) for c in frame.columns], dtypes])
    numeric: dict[str, list[int]] = {}
    others: list[int] = []
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            numeric.setdefault(dtype.str, []).append(i)
        else:
            others.append(i)
    blocks = [np.ascontiguousarray(frame.iloc[:, cols].to_numpy()) for cols in numeric.values()]
    columns = []
    if others:
        part = frame.iloc[:, others]
        values = part.astype(object).where(part.notna(), None)
        for c in range(len(others)):
            column = values.iloc[:, c].tolist()
            if not set(map(type, column)) <= _PLAIN:
                column = [_typed(v) for v in column]
            columns.append(column)
    rows = list(zip(*columns, strict=True)) if columns else [()] * len(frame)
    digests = []
    for start, end in runs:
        text = json.dumps(rows[start:end], ensure_ascii=False, allow_nan=True)
        digests.append(input_digest(header, text, *(b[start:end].tobytes() for b in blocks)))
    return digests


_PLAIN = {str, int, float, bool, type(None)}


def _typed(value):
    """A JSON value that tells apart every cell the value can give (1, 1.0, True, "1")."""
    if type(value) in _PLAIN:
        return value
    kind = type(value)
    number = f"{value:.16G}" if isinstance(value, int | float) else None
    return [f"{kind.__module__}.{kind.__qualname__}", str(value), number]


def _dimension(n_columns: int, last_row: int) -> str:
    """The ``<dimension ref>`` XlsxWriter gives a sheet with a header and data to ``last_row``."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    if last_row == 0 and n_columns == 1:
        return "A1"
    return f"A1:{xl_rowcol_to_cell(last_row, n_columns - 1)}"


@dataclass(frozen=True)
class SheetRows:
    """Rows ``start:stop`` of a sheet's data, made ``rows(a, b)`` at a time; runs of equal
    ``keys`` (one per row: a document) are its fragments, of ``kind``."""

    name: str
    columns: list[str]
    rows: Callable[[int, int], pd.DataFrame]
    keys: Sequence
    kind: str
    start: int = 0
    stop: int = 0

    @classmethod
    def of(cls, name: str, frame: pd.DataFrame, group: str, kind: str) -> SheetRows:
        keys = frame[group].tolist() if group in frame.columns else [None] * len(frame)
        return cls(name, [str(c) for c in frame.columns], lambda a, b: frame.iloc[a:b], keys,
                   kind, 0, len(frame))

    def pieces(self, size: int) -> list[SheetRows]:
        """This sheet cut into sheets of at most ``size`` rows, the later ones named
        "name (2)", "name (3)"...; itself when it fits one sheet."""
        if self.stop - self.start <= size:
            return [self]
        return [replace(self, name=f"{self.name} ({n})" if n > 1 else self.name, start=a,
                        stop=min(a + size, self.stop))
                for n, a in enumerate(range(self.start, self.stop, size), start=1)]

    def chunks(self) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
        """(start, stop, its runs relative to start): whole runs of at most ``BLOCK`` rows
        each, about ``CHUNK`` rows a chunk."""
        runs = _document_runs(self.keys[self.start:self.stop], BLOCK)
        first = 0
        for i, (_, end) in enumerate(runs):
            if i + 1 == len(runs) or end - runs[first][0] >= CHUNK:
                base = runs[first][0]
                yield (self.start + base, self.start + end,
                       [(a - base, b - base) for a, b in runs[first:i + 1]])
                first = i + 1


def _fragments(sheet: SheetRows, resolve) -> Iterator[bytes]:
    """The sheet's fragments in order, a chunk of rows at a time (``resolve`` as given by
    :meth:`FragmentCache.batches`)."""
    from xlsxwriter.utility import xl_col_to_name

    letters = [xl_col_to_name(c) for c in range(len(sheet.columns))]
    for start, stop, runs in sheet.chunks():
        frame = sheet.rows(start, stop)

        def build(indices: Sequence[int], frame=frame, runs=runs) -> list[bytes]:
            picked = [runs[i] for i in indices]
            rows = np.concatenate([np.arange(a, b) for a, b in picked])
            values = _cell_values(frame.iloc[rows])
            out, at = [], 0
            for a, b in picked:
                out.append(_row_fragment(letters, values[at : at + b - a]))
                at += b - a
            return out

        yield from resolve(_row_digests(frame, runs), build)


def _numbered(fragments: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(0-based row, its ``<row>`` XML) of each row holding a cell, numbered from row 1
    (below the header); XlsxWriter ignores cells past Excel's last row, and so do we."""
    row = 1
    for fragment in fragments:
        for template in fragment.split(_NEXT):
            if template and row <= _MAX_ROW:
                yield row, template.replace(_ROW, b"%d" % (row + 1))
            row += 1


def sheet_rows_xml(
    frame: pd.DataFrame,
    cache: FragmentCache | str | Path | None = None,
    group: str = "doc_id",
    kind: str = ROWS_KIND,
) -> tuple[list[bytes], int]:
    """The ``<row>`` elements of a sheet's data (rows 2...), and the last row index
    (0-based) holding a cell. Each run of rows with one ``group`` value (a document)
    is a fragment of ``kind``, taken from ``cache`` when its cells are unchanged."""
    if not isinstance(cache, FragmentCache):
        cache = FragmentCache(cache)
    parts, last = [], 0
    with cache.batches(kind, ROWS_VERSION) as resolve:
        for row, xml in _numbered(_fragments(SheetRows.of("", frame, group, kind), resolve)):
            parts.append(xml)
            last = row
    return parts, last


def _last_row(sheet: SheetRows) -> int:
    """The last row (0-based, the header is row 0) of ``sheet`` holding a cell: a value
    that is not missing nor infinite (a ``_write_sheet`` cell); 0 when none does."""
    stop = sheet.stop
    while stop > sheet.start:
        start = max(sheet.start, stop - CHUNK)
        frame = sheet.rows(start, stop)
        filled = frame.notna().to_numpy()
        for c, dtype in enumerate(frame.dtypes):
            if isinstance(dtype, np.dtype) and dtype.kind == "f":
                filled[:, c] &= ~np.isinf(frame.iloc[:, c].to_numpy())
            elif not (isinstance(dtype, np.dtype) and dtype.kind in "biuMm"):
                filled[:, c] &= [not (isinstance(v, float) and math.isinf(v))
                                 for v in frame.iloc[:, c].astype(object).tolist()]
        rows = np.flatnonzero(filled.any(axis=1))
        if len(rows):
            return min(start - sheet.start + int(rows[-1]) + 1, _MAX_ROW)
        stop = start
    return 0


def write_coding_xlsx(
    path: str | Path,
    tables: ReportTables,
    codebook,
    cache: FragmentCache | str | Path | None = None,
) -> Path:
    """Write the workbook: XlsxWriter (constant_memory, fixed creation date) for the
    codebook sheet and the header rows of ``passages`` and ``documents``, whose rows
    are then streamed in from per-document fragments (cached in the folder ``cache``;
    None = build them all), a chunk of rows at a time. The same input gives the same file.

    A sheet with more rows than Excel's 1,048,575 below the header continues on
    "passages (2)" and so on, and a ``notes`` sheet says so."""
    if not isinstance(cache, FragmentCache):
        cache = FragmentCache(cache)
    passages = PassageSheet(tables, codebook)
    documents = document_sheet(tables)
    spliced = [
        *SheetRows("passages", [str(c) for c in passages.rows(0, 0).columns], passages.rows,
                   tables.passages["doc_id"].tolist(), ROWS_KIND, 0, len(passages))
        .pieces(SHEET_ROWS),
        *SheetRows.of("documents", documents, "id", SPLICED["documents"][2]).pieces(SHEET_ROWS),
    ]
    base = _base_workbook(spliced, codebook_sheet(codebook))
    try:
        _write_workbook(path, base, spliced, cache, zip64=False)
    except _TooLarge:  # a sheet's XML past 2 GiB: write it again with ZIP64 sizes
        _write_workbook(path, base, spliced, cache, zip64=True)
    return Path(path)


def _base_workbook(spliced: Sequence[SheetRows], codebook: pd.DataFrame) -> bytes:
    """XlsxWriter's workbook: the header of each spliced sheet, the codebook, and a
    ``notes`` sheet when a sheet had to be continued on another."""
    from datetime import datetime

    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    workbook.set_properties({"title": "groundcode coding", "created": datetime(2000, 1, 1)})
    for sheet in spliced:
        _write_sheet(workbook, sheet.name, pd.DataFrame(columns=sheet.columns),
                     header_only=True)
    _write_sheet(workbook, "codebook", codebook)
    continued = [sheet.name for sheet in spliced if sheet.start > 0]
    if continued:
        notes = workbook.add_worksheet("notes")
        notes.write_string(0, 0, "note")
        notes.write_string(1, 0, (
            "Excel holds at most 1,048,576 rows a sheet, so a sheet with more rows continues "
            f"on the next: {', '.join(continued)}. Each has the same header row; rows are "
            "in the same order as on the first sheet."))
    workbook.close()
    return buffer.getvalue()


class _TooLarge(Exception):
    """A workbook entry outgrew plain zip sizes (2 GiB) without ZIP64."""


def _write_workbook(path, base: bytes, spliced: Sequence[SheetRows], cache: FragmentCache,
                    zip64: bool) -> None:
    """The workbook ``base`` with the rows of ``spliced`` streamed into its sheets, each
    sheet's XML deflated as it is made (one chunk of rows held at a time)."""
    entries = {f"xl/worksheets/sheet{i}.xml": sheet for i, sheet in enumerate(spliced, start=1)}
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        names = [info.filename for info in zf.infolist()]
        if not set(entries) <= set(names):
            raise ValueError("unexpected workbook from XlsxWriter: a sheet is missing")
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out, \
                ExitStack() as stack:
            resolvers = {kind: stack.enter_context(cache.batches(kind, ROWS_VERSION))
                         for kind in dict.fromkeys(sheet.kind for sheet in spliced)}
            for name in names:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                sheet = entries.get(name)
                if sheet is None:
                    out.writestr(info, zf.read(name))
                    continue
                _set_level(info, FAST)
                try:
                    with out.open(info, "w", force_zip64=zip64) as dest:
                        for part in _spliced_xml(zf.read(name), sheet, resolvers[sheet.kind]):
                            dest.write(part)
                except RuntimeError as exc:
                    if zip64 or "force_zip64" not in str(exc):
                        raise
                    raise _TooLarge(name) from exc


def _set_level(info: zipfile.ZipInfo, level: int) -> None:
    """The deflate level ``ZipFile.open(info, "w")`` uses (``writestr``'s compresslevel)."""
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel",
            level)


def _spliced_xml(sheet_xml: bytes, sheet: SheetRows, resolve) -> Iterator[bytes]:
    """XlsxWriter's header-only ``sheet_xml`` with the rows of ``sheet`` after its header
    row and its dimension fixed, in pieces of about a chunk of rows."""
    head, sep, tail = sheet_xml.partition(b"</sheetData>")
    dimension = _dimension(len(sheet.columns), _last_row(sheet))
    head, found = re.subn(
        rb'<dimension ref="[A-Z0-9:]+"/>', f'<dimension ref="{dimension}"/>'.encode(), head, count=1
    )
    if not sep or found != 1 or not head.endswith(b"</row>"):
        raise ValueError("unexpected worksheet XML from XlsxWriter: no header row to extend")
    yield head
    batch: list[bytes] = []
    for _, xml in _numbered(_fragments(sheet, resolve)):
        batch.append(xml)
        if len(batch) >= CHUNK:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch)
    yield sep + tail


def _splice(sheet: bytes, rows: list[bytes], dimension: str) -> bytes:
    """Put ``rows`` after the header row of XlsxWriter's sheet XML and fix its dimension."""
    head, sep, tail = sheet.partition(b"</sheetData>")
    head, found = re.subn(
        rb'<dimension ref="[A-Z0-9:]+"/>', f'<dimension ref="{dimension}"/>'.encode(), head, count=1
    )
    if not sep or found != 1 or not head.endswith(b"</row>"):
        raise ValueError("unexpected worksheet XML from XlsxWriter: no header row to extend")
    return b"".join([head, *rows, sep, tail])
