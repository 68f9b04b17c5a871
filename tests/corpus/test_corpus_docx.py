"""DOCX ingest: paragraphs and tables in document order."""

from __future__ import annotations

import pytest

from pipeline.corpus import read_document
from pipeline.errors import IngestError
from tests.corpus.conftest import LONG_ZH, SECOND_ZH


def test_paragraphs_and_table_in_order(make_docx):
    table = [["指标", "帮扶前", "2023年"], ["入社农户（户）", "0", "286"]]
    path = make_docx(["一、背景", LONG_ZH, table, "", SECOND_ZH])
    doc = read_document(path, doc_id="d1", kind="case")
    assert doc.text == (
        f"一、背景\n\n{LONG_ZH}\n\n指标 | 帮扶前 | 2023年\n入社农户（户） | 0 | 286\n\n{SECOND_ZH}"
    )
    assert doc.meta["format"] == "docx" and doc.kind == "case" and doc.id == "d1"


def test_merged_cells_are_written_once(make_docx):
    import docx

    path = make_docx([[["合计", "", "286"], ["a", "b", "c"]]], name="merged.docx")
    document = docx.Document(str(path))
    table = document.tables[0]
    table.cell(0, 0).merge(table.cell(0, 1))
    document.save(str(path))
    assert read_document(path).text.split("\n")[0] == "合计 | 286"


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"plain text, not a docx"])
def test_corrupt_docx_names_file(tmp_path, content):
    path = tmp_path / "broken.docx"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="cannot read DOCX") as info:
        read_document(path)
    assert "broken.docx" in str(info.value)


def test_docx_without_text_is_an_error(make_docx):
    path = make_docx(["", "   "], name="blank.docx")
    with pytest.raises(IngestError, match="blank.docx"):
        read_document(path)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "zero.docx"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="file is empty"):
        read_document(path)
