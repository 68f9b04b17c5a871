"""Codings, units and suggestion files: every failure is an AgreementInputError naming
the file and the unit; unknown columns are refused (or, asked for, left out with a warning)."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from pipeline.agreement.audit import run_audit
from pipeline.agreement.machine import load_suggestions
from pipeline.agreement.readers import (
    AgreementInputWarning,
    ReadOptions,
    read_codings,
    read_raw,
)
from pipeline.agreement.units import load_units
from pipeline.errors import AgreementInputError
from pipeline.userfiles import ReadLimits

CODERS = ("张伟", "李娜")


def chinese_codings(n_units: int = 30) -> str:
    lines = ["unit,code,coder"]
    for u in range(n_units):
        lines += [f"u{u},A0{1 + u % 3},张伟", f"u{u},A0{1 + (u * 7) % 3},李娜"]
    return "\n".join(lines) + "\n"


def test_a_misspelt_decision_column_is_an_error_naming_it(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("unit,code,coder,decison\nu1,A01,li,reject\nu1,A01,wang,accept\n", "utf-8")
    with pytest.raises(AgreementInputError, match="unknown column\\(s\\) 'decison'") as info:
        read_codings([path])
    message = str(info.value)
    assert "c.csv" in message and "line 1 (header)" in message
    assert "unit, doc_id, start, end, code, coder, time, decision" in message
    with pytest.warns(AgreementInputWarning, match="ignoring unknown column\\(s\\) 'decison'"):
        got = read_codings([path], options=ReadOptions(ignore_columns=True))
    assert {c.coder for c in got} == {"li", "wang"}  # the column is left out, as asked


def test_an_unknown_decision_value_is_a_problem_not_an_acceptance(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("unit,code,coder,decision\nu1,A01,li,rejectd\nu1,A01,wang,\n", "utf-8")
    with pytest.raises(AgreementInputError, match="c.csv:2: unknown decision 'rejectd'"):
        read_codings([path])


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(AgreementInputError, match="empty.csv: file is empty"):
        read_codings([empty])
    header = tmp_path / "header.csv"
    header.write_text("unit,code,coder\n", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="header.csv \\(line 2\\): has a header but no"):
        read_codings([header])


def test_every_row_rejected_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("unit,code,coder,decision\nu1,A01,li,reject\nu2,A01,wang,no\n", "utf-8")
    with pytest.raises(AgreementInputError, match="no accepted codings"):
        run_audit([path], n_boot=0)


def test_gb18030_codings_keep_their_chinese_coders(tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes(chinese_codings().encode("gb18030"))
    report = run_audit([path], coders=list(CODERS), n_boot=0)
    assert report.coders == CODERS and report.n_units == 30


def test_xlsx_codings_and_a_broken_workbook(tmp_path):
    rows = [line.split(",") for line in chinese_codings(5).splitlines()]
    path = tmp_path / "c.xlsx"
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)
    assert {c.coder for c in read_codings([path])} == set(CODERS)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(AgreementInputError, match="broken.xlsx"):
        read_codings([broken])


def test_a_ragged_csv_names_its_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("unit,code,coder\nu1,A01,li\nu2,A01,li,extra,cells\n", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="c.csv \\(line 3\\)"):
        read_codings([path])


def qdpx(path, project: bytes):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", project)
    return path


def test_a_qdpx_that_inflates_past_the_limit_is_refused_unread(tmp_path):
    padding = b"<!-- padding -->" * 65536  # 1 MB
    path = tmp_path / "big.qdpx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("project.qde", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0" encoding="utf-8"?><Project>')
            for _ in range(200):
                member.write(padding)
            member.write(b"</Project>")
    assert path.stat().st_size < 5 * 2**20  # a small file ...
    with pytest.raises(AgreementInputError) as info:  # ... that would inflate to 200 MB
        read_codings([path])
    message = str(info.value)
    assert "200.0 MB" in message and "over the 100 MB limit" in message
    assert "entry project.qde" in message and "GROUNDCODE_MAX_INFLATED_MB" in message
    limits = ReadLimits(max_inflated_mb=300)
    assert read_raw(path, ReadOptions(limits=limits)) == []  # under a raised limit it is read


def test_qdpx_without_project_bad_xml_and_bad_offsets(tmp_path):
    empty = tmp_path / "none.qdpx"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("sources/a.txt", "x")
    with pytest.raises(AgreementInputError, match="no project.qde"):
        read_codings([empty])
    bad = qdpx(tmp_path / "bad.qdpx", b"<Project><unclosed></Project>")
    with pytest.raises(AgreementInputError, match="bad.qdpx \\(line 1\\): project.qde is not"):
        read_codings([bad])
    ns = "urn:QDA-XML:project:1.0"
    project = (
        f'<Project xmlns="{ns}"><Users><User guid="u1" name="张伟"/></Users>'
        '<Sources><TextSource guid="s1" name="doc.txt">'
        '<PlainTextSelection guid="p1" startPosition="abc" endPosition="5" creatingUser="u1">'
        '<Coding guid="c1" creatingUser="u1"><CodeRef targetGUID="k1"/></Coding>'
        "</PlainTextSelection></TextSource></Sources></Project>"
    )
    odd = qdpx(tmp_path / "odd.qdpx", project.encode("utf-8"))
    from pipeline.agreement.units import UnitRef

    with pytest.raises(AgreementInputError, match="bad span -1-5"):
        read_codings([odd], units=[UnitRef("doc:0-5", "doc", 0, 5)])
    not_zip = tmp_path / "plain.qdpx"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="not a zip archive"):
        read_codings([not_zip])


def test_units_tables(tmp_path):
    path = tmp_path / "passages.csv"
    text = "id,doc_id,start,end,text\n" + "".join(
        f"d:{10 * i}-{10 * i + 10},d,{10 * i},{10 * i + 10},第{i}段：企业帮扶乡村振兴的做法与成效。\n"
        for i in range(20)
    )
    path.write_bytes(text.encode("gb18030"))
    units = load_units(path)
    assert len(units) == 20 and units[3].text.startswith("第3段")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,doc_id,start,end\nd:0-5,d,0,five\n", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="bad.csv \\(line 2\\): start/end 'five'"):
        load_units(bad)
    header = tmp_path / "header.csv"
    header.write_text("id,doc_id,start,end\n", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="no passages"):
        load_units(header)
    with pytest.raises(AgreementInputError, match="not found"):
        load_units(tmp_path / "missing.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not parquet")
    with pytest.raises(AgreementInputError, match="broken.parquet"):
        load_units(broken)


def test_suggestion_tables(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(
        b"passage_id,code_id,score,model\n"
        + "".join(f"p{i},A01,0.{i},模型甲\n" for i in range(1, 9)).encode("gb18030")
    )
    frame = load_suggestions(path)
    assert frame["score"].dtype.kind == "f" and len(frame) == 8
    text = tmp_path / "t.csv"
    text.write_text("passage_id,code_id,score\np1,A01,high\n", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="score column holds text"):
        load_suggestions(text)
