"""Generators for corpus test inputs: DOCX (python-docx) and Chinese PDFs (reportlab)."""

from __future__ import annotations

from pathlib import Path

import pytest

#: one long Chinese paragraph (written for these tests) that wraps over several lines
LONG_ZH = (
    "集团在帮扶县建设了三座现代化冷链仓储中心，配套建设产地分拣线和电商直播基地，"
    "把过去只能在田间地头低价出售的蔬菜水果变成了可以直供城市商超的标准化商品，"
    "合作社社员的收入因此提高了三成以上，村集体经济也有了稳定的租金收入来源。"
)
SECOND_ZH = "第二年，集团又把冷链服务延伸到周边六个乡镇，形成了覆盖全县的农产品流通网络。"
HEADER = "国资国企助力乡村振兴案例选编"
FOOTER = "内部资料 注意保存"


@pytest.fixture
def make_docx(tmp_path):
    """Write a DOCX with paragraphs and a table between them; returns its path."""

    def make(blocks, name="doc.docx") -> Path:
        import docx

        document = docx.Document()
        for block in blocks:
            if isinstance(block, str):
                document.add_paragraph(block)
            else:
                table = document.add_table(rows=len(block), cols=len(block[0]))
                for r, row in enumerate(block):
                    for c, value in enumerate(row):
                        table.cell(r, c).text = value
        path = tmp_path / name
        document.save(str(path))
        return path

    return make


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


@pytest.fixture
def make_zh_pdf(tmp_path):
    """Write an A5 Chinese PDF (STSong-Light): each page gets a header, a footer, a
    page number in the given style, and its paragraphs wrapped at ``width`` characters."""

    def make(pages, name="doc.pdf", width=24, page_label="- {n} -") -> Path:
        from reportlab.lib.pagesizes import A5
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        path = tmp_path / name
        pdf = canvas.Canvas(str(path), pagesize=A5, invariant=1)
        w, h = A5
        for n, paragraphs in enumerate(pages, start=1):
            pdf.setFont("STSong-Light", 9)
            pdf.drawString(40, h - 30, HEADER)
            pdf.drawString(40, 34, FOOTER)
            pdf.drawCentredString(w / 2, 20, page_label.format(n=n, total=len(pages)))
            pdf.setFont("STSong-Light", 12)
            y = h - 70
            for paragraph in paragraphs:
                for line in _wrap(paragraph, width):
                    pdf.drawString(40, y, line)
                    y -= 17
                y -= 17
            pdf.showPage()
        pdf.save()
        return path

    return make
