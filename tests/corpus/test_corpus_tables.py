"""Table sources: one document per row, row values override entry defaults."""

from __future__ import annotations

import json

import pytest

from pipeline.corpus import read_table
from pipeline.errors import IngestError

ROWS = [
    {
        "case_id": "17-GQ-GZLT",
        "arena": "industrial",
        "year": "2024",
        "text": "苗绣工坊带动绣娘增收。",
    },
    {"case_id": "18-YQ-ZKNY", "arena": "talent", "year": "2023", "text": "集团培养乡村农技人员。"},
]


def _write_csv(path, rows, encoding="utf-8"):
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(str(r.get(h, "")) for h in header) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _write_xlsx(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    header = list(rows[0])
    sheet.append(header)
    for row in rows:
        sheet.append([int(row[h]) if h == "year" else row[h] for h in header])
    book.save(path)
    return path


def _write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "writer", "units"),
    [
        ("t.csv", _write_csv, ["row 2", "row 3"]),
        ("t.xlsx", _write_xlsx, ["row 2", "row 3"]),
        ("t.jsonl", _write_jsonl, ["line 1", "line 2"]),
    ],
)
def test_one_document_per_row(tmp_path, name, writer, units):
    path = writer(tmp_path / name, ROWS)
    docs = read_table(
        path,
        id_column="case_id",
        text_column="text",
        kind="case",
        meta={"arena": "education", "edition": "蓝皮书"},
        source=name,
    )
    assert [d.id for d in docs] == ["17-GQ-GZLT", "18-YQ-ZKNY"]
    assert [d.text for d in docs] == [r["text"] for r in ROWS]
    assert [d.meta["arena"] for d in docs] == ["industrial", "talent"]  # rows override
    assert all(d.meta["edition"] == "蓝皮书" and d.kind == "case" for d in docs)
    assert [d.meta["year"] for d in docs] == [2024, 2023]
    assert [d.meta["row"] for d in docs] == units
    assert docs[0].source == f"{name}#{units[0].replace(' ', '')}"
    assert "case_id" not in docs[0].meta and "text" not in docs[0].meta


def test_gb18030_csv(tmp_path):
    path = _write_csv(tmp_path / "gb.csv", ROWS, encoding="gb18030")
    docs = read_table(path, id_column="case_id", text_column="text")
    assert docs[1].text == ROWS[1]["text"] and docs[1].meta["encoding"] == "gb18030"


def test_bad_rows_are_all_reported(tmp_path):
    rows = [
        *ROWS,
        {"case_id": "", "arena": "industrial", "year": "2024", "text": "无编号。"},
        {"case_id": "19-X", "arena": "farming", "year": "2024", "text": "  "},
        {"case_id": "17-GQ-GZLT", "arena": "talent", "year": "2024", "text": "重复。"},
    ]
    path = _write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(IngestError) as info:
        read_table(path, id_column="case_id", text_column="text")
    message = str(info.value)
    assert "bad.csv" in message
    assert "row 4: empty 'case_id'" in message
    assert "row 5: empty 'text'" in message and "row 5: key 'arena'" in message
    assert "row 6: duplicate id '17-GQ-GZLT' (first at row 2)" in message


def test_missing_column(tmp_path):
    path = _write_csv(tmp_path / "t.csv", ROWS)
    with pytest.raises(IngestError, match=r"column\(s\) \['body'\] not found"):
        read_table(path, id_column="case_id", text_column="body")


def test_corrupt_xlsx_and_bad_jsonl(tmp_path):
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_bytes(b"not a workbook")
    with pytest.raises(IngestError, match="broken.xlsx"):
        read_table(xlsx, id_column="case_id", text_column="text")
    jsonl = tmp_path / "broken.jsonl"
    jsonl.write_text('{"case_id": "a", "text": "好"}\n{oops\n', encoding="utf-8")
    with pytest.raises(IngestError) as info:
        read_table(jsonl, id_column="case_id", text_column="text")
    assert "broken.jsonl (line 2)" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"case_id,text\r\n"])
def test_empty_tables(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="empty.csv"):
        read_table(path, id_column="case_id", text_column="text")
