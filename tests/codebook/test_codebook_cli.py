"""`groundcode codebook validate|show|export|import` through the real entry point."""

from __future__ import annotations

import pandas as pd

from pipeline.cli import main


def test_validate_ok_prints_hash_and_counts(bundled, bundled_path, capsys):
    assert main(["codebook", "validate", str(bundled_path)]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and bundled.hash in out
    assert "12 main, 50 initial codes" in out


def test_validate_bad_codebook_exits_2_listing_problems(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nversion: '1'\ntitle: {zh: a, en: b}\ndescription: {zh: a}\ncodes: []\nfoo: 1\n",
        encoding="utf-8",
    )
    assert main(["codebook", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "Traceback" not in err
    assert "line 6, foo: unknown key 'foo'" in err
    assert "line 4, description.en: missing required key 'en'" in err


def test_show_tree_in_chinese_and_one_code(bundled_path, capsys):
    assert main(["codebook", "show", str(bundled_path), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "B01 党建引领" in out and "A04 村党组织领办合作社" in out
    assert main(["codebook", "show", str(bundled_path), "--code", "A11"]) == 0
    out = capsys.readouterr().out
    assert "A11 E-commerce livestreaming" in out and "B01" not in out
    assert main(["codebook", "show", str(bundled_path), "--code", "Q1"]) == 2


def test_export_all_formats_and_import(bundled, bundled_path, tmp_path):
    for fmt in ("qdc", "yaml", "xlsx"):
        out = tmp_path / f"cb.{fmt}"
        assert (
            main(["codebook", "export", str(bundled_path), "--format", fmt, "--out", str(out)]) == 0
        )
        assert out.stat().st_size > 0
    sheet = pd.read_excel(tmp_path / "cb.xlsx", sheet_name="codes")
    assert len(sheet) == 62 and sheet.loc[sheet["id"] == "A04", "main"].item() == "B01"
    back = tmp_path / "back.yaml"
    assert main(["codebook", "import", str(tmp_path / "cb.qdc"), "--out", str(back)]) == 0
    from pipeline.codebook import load_codebook

    assert load_codebook(back).hash == load_codebook(tmp_path / "cb.yaml").hash == bundled.hash
