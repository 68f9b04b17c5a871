"""DOCX files via python-docx: paragraphs and tables in document order.

Each non-empty paragraph becomes one paragraph of the text. A table becomes one
paragraph with one line per row, its cells joined by :data:`CELL_SEPARATOR`
(horizontally merged cells are written once; line breaks inside a cell become spaces).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.userfiles import check_archive

CELL_SEPARATOR = " | "


def _row_text(row) -> str:
    cells = []
    previous = None
    for cell in row.cells:
        if previous is not None and cell._tc is previous._tc:  # merged cell repeats
            continue
        previous = cell
        cells.append(" ".join(cell.text.split()))
    return CELL_SEPARATOR.join(cells)


def _table_text(table) -> str:
    rows = [_row_text(row) for row in table.rows]
    return "\n".join(row for row in rows if row.replace(CELL_SEPARATOR, "").strip())


def _open(path: Path):
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_archive(path, error=IngestError, what="DOCX")
    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(
            f"cannot read DOCX ({type(exc).__name__}: {exc})",
            file=path,
            hint="open and re-save it in Word/LibreOffice; .doc files must be converted to .docx",
        ) from None
    except Exception as exc:  # lxml parse errors inside a damaged package
        raise IngestError(f"cannot read DOCX ({type(exc).__name__})", file=path) from None


def read_docx(path: str | Path) -> str:
    """Paragraphs and tables of the document body, in order, separated by blank lines."""
    from docx.table import Table

    path = Path(path)
    document = _open(path)
    blocks = []
    for item in document.iter_inner_content():
        text = _table_text(item) if isinstance(item, Table) else item.text.strip()
        if text:
            blocks.append(text)
    if not blocks:
        raise IngestError("DOCX has no text", file=path, hint="remove it or add its text")
    return "\n\n".join(blocks)
