"""`groundcode agree` through the installed console script, as a user meets it: bad files
are one message and exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable

import pandas as pd
import pytest


@pytest.fixture
def agree(groundcode, tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """``agree(*args)``: ``groundcode agree *args`` in ``tmp_path``, without bootstrap."""

    def run(*args: str) -> subprocess.CompletedProcess:
        out = str(tmp_path / "out")
        return groundcode("agree", *args, "--bootstrap", "0", "--out", out, cwd=tmp_path)

    return run


def assert_one_message(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: [E"), proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)
    assert not (proc.stdout.strip()), proc.stdout


def codings(rows: list[tuple[str, str, str]], header: str = "unit,code,coder") -> str:
    return header + "\n" + "".join(",".join(row) + "\n" for row in rows)


def test_empty_csv(agree, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert_one_message(agree("empty.csv"), "empty.csv", "file is empty")


def test_header_only_csv(agree, tmp_path):
    (tmp_path / "header.csv").write_text("unit,code,coder\n", encoding="utf-8")
    assert_one_message(agree("header.csv"), "header.csv", "no codings")


def test_gb18030_csv_with_chinese_coder_names(agree, tmp_path):
    rows = [(f"u{u}", f"A0{1 + u % 3}", "张伟") for u in range(30)]
    rows += [(f"u{u}", f"A0{1 + u // 2 % 3}", "李娜") for u in range(30)]
    (tmp_path / "gb.csv").write_bytes(codings(rows).encode("gb18030"))
    proc = agree("gb.csv", "--coder", "张伟", "--coder", "李娜")
    assert proc.returncode == 0, proc.stderr
    assert "30 units, 2 coders" in proc.stdout
    header = (tmp_path / "out" / "disagreements.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("coder:张伟,coder:李娜")


def test_a_gb18030_file_too_short_to_tell_is_one_message_or_read_right(agree, tmp_path):
    rows = [("u1", "A01", "张伟"), ("u1", "A02", "李娜")]
    (tmp_path / "tiny.csv").write_bytes(codings(rows).encode("gb18030"))
    proc = agree("tiny.csv")
    if proc.returncode == 0:  # detection told GB18030 apart: the names must be right
        text = (tmp_path / "out" / "disagreements.csv").read_text(encoding="utf-8")
        assert "coder:张伟" in text and "coder:李娜" in text
    else:
        assert_one_message(proc, "tiny.csv", "[E211]")


def test_unknown_column_is_an_error_and_a_warning_with_ignore_columns(agree, tmp_path):
    rows = [("u1", "A01", "li", "reject"), ("u1", "A01", "wang", "accept"), ("u2", "A02", "li", "")]
    (tmp_path / "c.csv").write_text(codings(rows, "unit,code,coder,decison"), encoding="utf-8")
    assert_one_message(agree("c.csv"), "c.csv", "unknown column(s) 'decison'", "decision")
    proc = agree("c.csv", "--ignore-columns")
    assert proc.returncode == 0, proc.stderr
    assert "warning: " in proc.stderr and "'decison'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_coders_whose_names_hold_commas(agree, tmp_path):
    rows = [(f"u{u}", f"A0{1 + u % 2}", '"Smith, J."') for u in range(6)]
    rows += [(f"u{u}", f"A0{1 + u // 3}", "Li") for u in range(6)]
    rows.append(("u0", "A01", "Wang"))
    (tmp_path / "c.csv").write_text(codings(rows), encoding="utf-8")
    proc = agree("c.csv", "--coder", "Smith, J.", "--coders", "Li")
    assert proc.returncode == 0, proc.stderr
    assert "6 units, 2 coders" in proc.stdout
    header = (tmp_path / "out" / "disagreements.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith('"coder:Smith, J.",coder:Li')
    assert_one_message(agree("c.csv", "--coders", "Smith, J."), "unknown coder 'Smith'")


def test_a_qdpx_inflating_to_200_mb_is_refused_and_the_limit_is_configurable(
    agree, tmp_path, monkeypatch
):
    path = tmp_path / "big.qdpx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("project.qde", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0" encoding="utf-8"?><Project>')
            for _ in range(200):
                member.write(b"<!-- padding -->" * 65536)
            member.write(b"</Project>")
    assert_one_message(agree("big.qdpx"), "big.qdpx", "200.0 MB", "over the 100 MB limit")
    monkeypatch.setenv("GROUNDCODE_MAX_INFLATED_MB", "50")
    assert_one_message(agree("big.qdpx"), "over the 50 MB limit")


def test_file_size_limit_option(agree, tmp_path):
    rows = [(f"u{u}", "A01", coder) for u in range(2000) for coder in ("li", "wang")]
    (tmp_path / "c.csv").write_text(codings(rows), encoding="utf-8")
    assert_one_message(agree("c.csv", "--max-file-mb", "0.01"), "c.csv", "over the 0.01 MB limit")
    assert_one_message(agree("c.csv", "--max-file-mb", "0"), "positive")


def test_xlsx_codings_and_units_with_a_bad_offset(agree, tmp_path):
    rows = pd.DataFrame(
        [{"unit": f"d:{u}-{u + 1}", "code": "A01", "coder": c} for u in range(3) for c in "ab"]
    )
    rows.to_excel(tmp_path / "c.xlsx", index=False)
    (tmp_path / "units.csv").write_text(
        "id,doc_id,start,end\nd:0-1,d,0,1\nd:1-2,d,1,two\n", encoding="utf-8"
    )
    assert_one_message(agree("c.xlsx", "--units", "units.csv"), "units.csv", "line 3", "'two'")
