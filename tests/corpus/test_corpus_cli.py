"""`groundcode ingest`: documents.jsonl written atomically, clear errors, nothing partial."""

from __future__ import annotations

import json

from pipeline.cli import main


def _folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("集团在村里建设冷库。", "utf-8")
    (corpus / "b.txt").write_text("The cooperative grew.", "utf-8")
    return corpus


def test_ingest_writes_documents_jsonl(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["ingest", str(_folder(tmp_path)), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "documents.jsonl").read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert set(rows[0]) == {"id", "kind", "lang", "sha256", "source", "meta", "chars", "text"}
    assert rows[0]["text"] == "集团在村里建设冷库。" and rows[0]["chars"] == 10
    assert [r["lang"] for r in rows] == ["zh", "en"]
    assert "2 documents" in capsys.readouterr().out


def test_ingest_opencc_flag(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "t.txt").write_text("鄉村振興。", "utf-8")
    assert main(["ingest", str(corpus), "--out", str(tmp_path / "o"), "--opencc", "-q"]) == 0
    row = json.loads((tmp_path / "o" / "documents.jsonl").read_text("utf-8"))
    assert row["text"] == "乡村振兴。"


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    corpus = _folder(tmp_path)
    (corpus / "c.docx").write_bytes(b"not a docx")
    out = tmp_path / "out"
    assert main(["ingest", str(corpus), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "c.docx" in err and "[E210]" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_bad_manifest_exits_2(tmp_path, capsys):
    corpus = _folder(tmp_path)
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - id: a\n    file: gone.txt\n  - id: a\n    file: a.txt\n    kind: memo\n",
        "utf-8",
    )
    assert main(["ingest", str(corpus), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "gone.txt' not found" in err and "duplicate id 'a'" in err and "key 'kind'" in err
    assert not (tmp_path / "o" / "documents.jsonl").exists()
