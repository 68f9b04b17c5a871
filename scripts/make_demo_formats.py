"""Generate the mixed-format copies of three demo cases, deterministically.

Run from the repo root:  .venv/bin/python scripts/make_demo_formats.py [--out DIR]

From the UTF-8 sources in ``corpora/demo/sources/`` it writes to
``corpora/demo/formats/`` (or ``--out``):

* ``04-GQ-BCNY-gb18030.txt`` -- GB18030 bytes with Windows (CRLF) line ends;
* ``09-GQ-XJTZ.docx``        -- python-docx: headings, paragraphs and a results table;
* ``07-GQ-DNNT.pdf``         -- reportlab, CID font STSong-Light, A5 pages with a running
  header and page numbers, paragraphs wrapped over many lines.

Re-running gives byte-identical files: the DOCX core properties and zip entry times are
fixed, and the PDF is written with reportlab's ``invariant=1`` (no timestamp, fixed id).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import zipfile
from pathlib import Path

from pipeline.io import atomic_path, atomic_write_bytes

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
SOURCES = DEMO / "sources"
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
PDF_HEADER = "国资国企社会责任蓝皮书（2023）"

# Figures shown in the DOCX table; they match the prose of 09-GQ-XJTZ.
XJTZ_TABLE = [
    ("指标", "帮扶前（2020年）", "2023年"),
    ("入社农户（户）", "0", "286"),
    ("红枣一级果率", "35%", "58%"),
    ("合作社销售收入（万元）", "—", "1860"),
    ("村集体经济收入（万元）", "8", "65"),
]
TABLE_AFTER = "三、成效"


def read_paragraphs(name: str) -> list[str]:
    """The source's paragraphs (blank-line separated); the first one is the title."""
    text = (SOURCES / name).read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def is_heading(paragraph: str) -> bool:
    return paragraph[:2] in {"一、", "二、", "三、", "四、", "五、"} and len(paragraph) < 20


def write_gb18030(out: Path) -> Path:
    text = (SOURCES / "04-GQ-BCNY.txt").read_text(encoding="utf-8")
    target = out / "04-GQ-BCNY-gb18030.txt"
    atomic_write_bytes(target, text.replace("\n", "\r\n").encode("gb18030"))
    return target


def _add_table(document, rows) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value


def _freeze_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as frozen:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            frozen.writestr(info, source.read(item.filename))
    return buffer.getvalue()


def write_docx(out: Path) -> Path:
    from docx import Document

    title, *body = read_paragraphs("09-GQ-XJTZ.txt")
    document = Document()
    props = document.core_properties
    props.author = props.last_modified_by = "groundcode demo corpus"
    props.title = title
    props.created = props.modified = props.last_printed = FIXED_TIME
    props.revision = 1
    document.add_heading(title, level=1)
    for paragraph in body:
        if is_heading(paragraph):
            document.add_heading(paragraph, level=2)
        else:
            document.add_paragraph(paragraph)
        if paragraph == TABLE_AFTER:
            _add_table(document, XJTZ_TABLE)
    buffer = io.BytesIO()
    document.save(buffer)
    target = out / "09-GQ-XJTZ.docx"
    atomic_write_bytes(target, _freeze_zip(buffer.getvalue()))
    return target


def _page_decorations(canvas, doc) -> None:
    from reportlab.lib.pagesizes import A5

    width, height = A5
    canvas.saveState()
    canvas.setFont("STSong-Light", 9)
    canvas.drawCentredString(width / 2, height - 28, PDF_HEADER)
    canvas.line(40, height - 34, width - 40, height - 34)
    canvas.drawCentredString(width / 2, 24, f"— {doc.page} —")
    canvas.restoreState()


def write_pdf(out: Path) -> Path:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle(
        "body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK", firstLineIndent=22
    )
    heading = ParagraphStyle("heading", parent=body, fontSize=12, firstLineIndent=0, spaceBefore=6)
    title_style = ParagraphStyle(
        "title", parent=body, fontSize=14, leading=20, firstLineIndent=0, alignment=1
    )
    title, *paragraphs = read_paragraphs("07-GQ-DNNT.txt")
    story = [Paragraph(title, title_style), Spacer(1, 8)]
    for paragraph in paragraphs:
        story.append(Paragraph(paragraph, heading if is_heading(paragraph) else body))
        story.append(Spacer(1, 4))
    target = out / "07-GQ-DNNT.pdf"
    with atomic_path(target) as tmp:
        _build_pdf(tmp, title, story)
    return target


def _build_pdf(path: Path, title: str, story: list) -> None:
    from reportlab.lib.pagesizes import A5
    from reportlab.platypus import SimpleDocTemplate

    template = SimpleDocTemplate(
        str(path),
        pagesize=A5,
        invariant=1,
        title=title,
        author="groundcode demo corpus",
        topMargin=50,
        bottomMargin=45,
        leftMargin=40,
        rightMargin=40,
    )
    template.build(story, onFirstPage=_page_decorations, onLaterPages=_page_decorations)


def make_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [write_gb18030(out), write_docx(out), write_pdf(out)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO / "formats")
    args = parser.parse_args(argv)
    for path in make_all(args.out):
        print(path)


if __name__ == "__main__":
    main()
