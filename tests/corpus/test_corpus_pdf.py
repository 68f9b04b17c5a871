"""PDF ingest: generated Chinese PDFs come back without layout artifacts."""

from __future__ import annotations

import pytest

from pipeline.corpus import read_document
from pipeline.errors import IngestError
from tests.corpus.conftest import FOOTER, HEADER, LONG_ZH, SECOND_ZH

THIRD_ZH = "帮扶工作队还协助村里成立了劳务合作社，组织外出务工人员统一对接用工企业。"


def test_pdfplumber_reads_stsong_light(make_zh_pdf):
    import pdfplumber

    path = make_zh_pdf([[SECOND_ZH]], width=60)
    with pdfplumber.open(path) as pdf:
        assert SECOND_ZH in pdf.pages[0].extract_text()


@pytest.mark.parametrize(
    "label", ["- {n} -", "{n}", "第{n}页", "第 {n} 页 共 {total} 页", "Page {n} of {total}"]
)
def test_pdf_joins_wrapped_lines_and_drops_headers(make_zh_pdf, label):
    path = make_zh_pdf([[LONG_ZH, SECOND_ZH], [THIRD_ZH]], page_label=label)
    doc = read_document(path, doc_id="p1", kind="case")
    assert doc.text == "\n\n".join([LONG_ZH, SECOND_ZH, THIRD_ZH])
    assert HEADER not in doc.text and FOOTER not in doc.text
    assert doc.lang == "zh" and doc.meta["format"] == "pdf"


def test_pdf_paragraph_continues_over_page_break(make_zh_pdf):
    first, rest = LONG_ZH[:48], LONG_ZH[48:]  # exactly two full lines on page 1
    path = make_zh_pdf([[first], [rest, SECOND_ZH]])
    text = read_document(path).text
    assert text == LONG_ZH + "\n\n" + SECOND_ZH


def test_pdf_keeps_break_after_sentence_end(make_zh_pdf):
    # the first (full) line of this paragraph ends on "。": that break is not mid-sentence
    sentence = "集团派出工作队驻村帮扶，和村两委制定了三年发展规划。"
    assert len(sentence) == 26
    path = make_zh_pdf([[sentence + SECOND_ZH], [THIRD_ZH]], width=len(sentence))
    assert read_document(path).text == f"{sentence}\n{SECOND_ZH}\n\n{THIRD_ZH}"


def test_corrupt_pdf_names_file(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body")
    with pytest.raises(IngestError) as info:
        read_document(path)
    assert "broken.pdf" in str(info.value)


def test_pdf_without_text_is_an_error(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path), invariant=1)
    pdf.rect(50, 50, 100, 100)
    pdf.showPage()
    pdf.save()
    with pytest.raises(IngestError, match="no extractable text") as info:
        read_document(path)
    assert "scan.pdf" in str(info.value)


def test_english_pdf_dehyphenates_and_joins_with_spaces(tmp_path):
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    body = [
        [
            "The cooperative built a cold store and a sorting",
            "line, so that vegetables could be sold to super-",
            "markets in the city. Incomes rose by a third.",
            "A short last line.",
        ],
        ["Training followed in the second year."],
    ]
    path = tmp_path / "en.pdf"
    pdf = canvas.Canvas(str(path), invariant=1)
    width = max(stringWidth(line, "Helvetica", 12) for line in body[0])
    for page, lines in enumerate(body, start=1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(50, 800, "Annual Report on Rural Assistance")
        pdf.drawString(290, 30, f"Page {page} of 2")
        for i, line in enumerate(lines):
            text = pdf.beginText(50, 740 - 15 * i)
            text.setFont("Helvetica", 12)
            if i < len(lines) - 1:  # justify wrapped lines to the right margin
                gap = (width - stringWidth(line, "Helvetica", 12)) / max(1, len(line) - 1)
                text.setCharSpace(gap)
            text.textLine(line)
            pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    assert read_document(path).text == (
        "The cooperative built a cold store and a sorting line, so that vegetables could be "
        "sold to supermarkets in the city. Incomes rose by a third. A short last line.\n\n"
        "Training followed in the second year."
    )
