"""PDF files via pdfplumber: per-page lines, header/footer removal, paragraph rebuild.

1. Lines are extracted per page with their geometry.
2. Header/footer lines are dropped: a line among the first or last
   :data:`EDGE_LINES` of a page whose text (digits masked) recurs in that position on
   at least half of the pages (and on two or more), and bare page numbers there
   ("3", "- 3 -", "第3页", "第 3 页 共 9 页", "Page 3 of 9", "3 / 9").
3. A new paragraph starts after a vertical gap clearly larger than the usual line
   gap, or at a first-line indent.
4. Inside a paragraph, a line that reaches the right margin is joined to the next
   by :func:`pipeline.corpus.lines.wrap_joint` (CJK: no space unless the line ends a
   sentence; English: de-hyphenate or a space). Paragraphs are separated by a blank line.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.corpus.lines import join_lines, wrap_joint
from pipeline.errors import IngestError

EDGE_LINES = 2
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—\s]*\d+[-–—\s]*"
    r"|第\s*\d+\s*页(?:\s*[,，/／]?\s*共\s*\d+\s*页)?"
    r"|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?"
    r"|\d+\s*/\s*\d+)$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
#: a gap larger than the usual gap plus this share of a line height starts a paragraph
PARAGRAPH_GAP = 0.6
#: a first line indented by more than this share of a line height starts a paragraph
INDENT = 0.9
#: a line ending within this many line heights of the right margin is "full"
FULL_LINE = 1.2


@dataclass(frozen=True)
class PdfLine:
    text: str
    page: int
    x0: float
    x1: float
    top: float
    bottom: float


def _page_lines(path: Path) -> list[list[PdfLine]]:
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            pages = []
            for number, page in enumerate(pdf.pages, start=1):
                rows = page.extract_text_lines(strip=True, return_chars=False)
                lines = [
                    PdfLine(r["text"], number, r["x0"], r["x1"], r["top"], r["bottom"])
                    for r in sorted(rows, key=lambda r: (r["top"], r["x0"]))
                    if r["text"].strip()
                ]
                pages.append(lines)
            return pages
    except Exception as exc:  # pdfminer raises many unrelated types on corrupt files
        raise IngestError(
            f"cannot read PDF ({type(exc).__name__}: {exc})",
            file=path,
            hint="check that the file is a complete, unencrypted PDF",
        ) from None


def _edge(lines: list[PdfLine]) -> list[PdfLine]:
    return lines[:EDGE_LINES] + lines[max(EDGE_LINES, len(lines) - EDGE_LINES) :]


def drop_headers_footers(pages: list[list[PdfLine]]) -> list[list[PdfLine]]:
    """Remove repeated header/footer lines and bare page numbers (see module docstring)."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_DIGITS.sub("#", line.text) for line in _edge(lines)})
    needed = max(2, (len(pages) + 1) // 2)
    repeated = {key for key, n in counts.items() if n >= needed}
    kept = []
    for lines in pages:
        edge = {id(line) for line in _edge(lines)}
        kept.append(
            [
                line
                for line in lines
                if id(line) not in edge
                or not (
                    _DIGITS.sub("#", line.text) in repeated or _PAGE_NUMBER.match(line.text.strip())
                )
            ]
        )
    return kept


def _paragraph_starts(lines: list[PdfLine]) -> list[bool]:
    heights = [line.bottom - line.top for line in lines]
    height = statistics.median(heights)
    gaps = [b.top - a.bottom for a, b in zip(lines, lines[1:], strict=False) if a.page == b.page]
    usual_gap = statistics.median(gaps) if gaps else 0.0
    left = min(line.x0 for line in lines)
    right = max(line.x1 for line in lines)
    starts = [True]
    for prev, line in zip(lines, lines[1:], strict=False):
        if line.page == prev.page:
            broken = line.top - prev.bottom > usual_gap + PARAGRAPH_GAP * height
        else:  # a paragraph goes on over a page break only from a full last line
            broken = right - prev.x1 > FULL_LINE * height
        starts.append(broken or line.x0 - left > INDENT * height)
    return starts


def rebuild_text(lines: list[PdfLine]) -> str:
    """Paragraphs separated by a blank line; wrapped lines inside them joined."""
    if not lines:
        return ""
    height = statistics.median(line.bottom - line.top for line in lines)
    right = max(line.x1 for line in lines)
    starts = _paragraph_starts(lines)
    paragraphs: list[list[PdfLine]] = []
    for line, start in zip(lines, starts, strict=True):
        if start:
            paragraphs.append([])
        paragraphs[-1].append(line)
    texts = []
    for para in paragraphs:
        full = [right - line.x1 <= FULL_LINE * height for line in para]
        texts.append(join_lines([line.text for line in para], wrap_joint, full))
    return "\n\n".join(texts)


def read_pdf(path: str | Path) -> str:
    """The text of a PDF with headers/footers/page numbers removed and lines rejoined."""
    path = Path(path)
    pages = drop_headers_footers(_page_lines(path))
    text = rebuild_text([line for lines in pages for line in lines])
    if not text.strip():
        raise IngestError(
            "PDF has no extractable text (a scan?)", file=path, hint="run OCR on it first"
        )
    return text
