"""Damaged table sources: a named IngestError, not a traceback."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from pipeline.corpus.table_reader import read_rows
from pipeline.errors import IngestError


def test_csv_cell_over_the_field_limit_names_its_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,text\na,short\nb," + "字" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"t.csv \(line \d+\): cannot read CSV: field larger"):
        read_rows(path)


def test_xlsx_with_a_damaged_member_is_an_ingest_error(tmp_path):
    buf = io.BytesIO()
    pd.DataFrame({"id": ["a"], "text": ["一段文字"]}).to_excel(buf, index=False)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]  # cut inside an element
            out.writestr(info.filename, data)
    with pytest.raises(IngestError, match="t.xlsx: cannot read XLSX"):
        read_rows(path)
