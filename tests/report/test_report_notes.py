"""The report says why a section is empty, and names documents by their manifest titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.classify.suggestion import Suggestion
from pipeline.corpus.document import Document
from pipeline.report.html import render_report
from pipeline.report.tables import build_tables
from pipeline.segment.passage import Passage
from pipeline.store.view import documents_frame, passages_frame, suggestions_frame

BOOK = Path(__file__).resolve().parents[2] / "configs" / "codebooks" / "soe-assistance.yaml"


@pytest.fixture(scope="module")
def book():
    from pipeline.codebook import load_codebook

    return load_codebook(BOOK)


def _tables(book, arenas):
    docs, passages, sugg = [], [], []
    for i, arena in enumerate(arenas):
        text = "企业帮扶合作社。农户增收。"
        meta = {"title": f"标题<{i}>"} | ({"arena": arena} if arena else {})
        doc = Document(id=f"d{i}", kind="case", lang="zh", text=text, meta=meta, source="x")
        p = Passage(id=Passage.make_id(doc.id, 0, 8), doc_id=doc.id, start=0, end=8,
                    text=text[:8], lang="zh", paragraph=0, speaker=None, speaker_role=None,
                    tokens=(), codable=True)
        docs.append(doc)
        passages.append(p)
        sugg.append(Suggestion(p.id, "A01", 0.9, 1, "initial", "zero-shot", "m", True))
    return build_tables(documents_frame(docs), passages_frame(passages),
                        suggestions_frame(sugg), book)


def test_no_arenas_gives_a_note_with_the_numbers_instead_of_a_heatmap(book):
    html = render_report(_tables(book, [None, None, None]), book, title="t",
                         run_info={"seed": 0})
    assert 'id="arena-note"' in html and "none of the 3 documents has an action arena" in html
    assert 'id="arena-heatmap"' not in html


def test_arenas_give_the_heatmap_and_no_note(book):
    html = render_report(_tables(book, ["industrial", "talent"]), book, title="t",
                         run_info={"seed": 0})
    assert 'id="arena-heatmap"' in html and 'id="arena-note"' not in html


def test_the_document_table_shows_the_titles_escaped(book):
    html = render_report(_tables(book, ["industrial"]), book, title="t", run_info={"seed": 0})
    assert "<th>title</th>" in html and "标题&lt;0&gt;" in html
