"""Whole corpora: manifest order, input hashes, folders without a manifest, streaming."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.corpus import CorpusSettings, iter_documents, load_corpus
from pipeline.errors import IngestError, ManifestError
from pipeline.io import sha256_file, sha256_text

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
corpus: mini
documents:
  - id: b-case
    file: b.txt
    kind: case
    arena: talent
  - id: rows
    file: rows.csv
    kind: case
    arena: education
    table: {id_column: id, text_column: text}
  - id: a-int
    file: sub/a.txt
    kind: interview
    group: soe
"""


def _mini(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("集团在村里建设冷库。", encoding="utf-8")
    (tmp_path / "sub" / "a.txt").write_text("Q: How?\nA: We built a cold store.", "utf-8")
    (tmp_path / "rows.csv").write_text("id,text,arena\nr1,第一行。,\nr2,第二行。,talent\n", "utf-8")
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def test_load_corpus_in_manifest_order(tmp_path):
    corpus = load_corpus(CorpusSettings(path=_mini(tmp_path)))
    assert corpus.name == "mini"
    assert corpus.manifest_path == tmp_path / "manifest.yaml"
    assert [d.id for d in corpus.documents] == ["b-case", "r1", "r2", "a-int"]
    assert [d.kind for d in corpus.documents] == ["case", "case", "case", "interview"]
    assert [d.meta.get("arena") for d in corpus.documents] == [
        "talent",
        "education",
        "talent",
        None,
    ]
    assert corpus.documents[3].lang == "en" and corpus.documents[0].lang == "zh"
    assert corpus.documents[0].source == "b.txt"
    assert corpus.documents[0].meta["file"] == "b.txt"
    assert all(d.sha256 == sha256_text(d.text) for d in corpus.documents)
    assert corpus.input_hashes == {
        name: sha256_file(tmp_path / name)
        for name in ("b.txt", "manifest.yaml", "rows.csv", "sub/a.txt")
    }


def test_iter_documents_streams_with_progress(tmp_path):
    calls = []
    stream = iter_documents(CorpusSettings(path=_mini(tmp_path)), lambda *a: calls.append(a))
    first = next(stream)
    assert first.id == "b-case" and calls == [(1, 3, "b-case")]
    assert [d.id for d in stream] == ["r1", "r2", "a-int"]
    assert calls[-1] == (3, 3, "a-int")


def test_row_id_clashing_with_file_entry(tmp_path):
    _mini(tmp_path)
    (tmp_path / "rows.csv").write_text("id,text\nb-case,重复编号。\n", "utf-8")
    with pytest.raises(ManifestError, match="document id 'b-case' appears twice"):
        load_corpus(CorpusSettings(path=tmp_path))


def test_folder_without_manifest(tmp_path):
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "late.txt").write_text("后面的文件。", "utf-8")
    (tmp_path / "early.md").write_text("An English note.", "utf-8")
    (tmp_path / "ignored.csv").write_text("id,text\n1,x\n", "utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("隐藏。", "utf-8")
    corpus = load_corpus(CorpusSettings(path=tmp_path))
    assert corpus.manifest_path is None
    assert [(d.id, d.kind) for d in corpus.documents] == [("early", "other"), ("z/late", "other")]
    assert set(corpus.input_hashes) == {"early.md", "z/late.txt"}


def test_single_file_and_missing_paths(tmp_path):
    (tmp_path / "one.txt").write_text("一篇文档。", "utf-8")
    corpus = load_corpus(CorpusSettings(path=tmp_path / "one.txt"))
    assert [d.id for d in corpus.documents] == ["one"]
    with pytest.raises(IngestError, match="corpus path not found"):
        load_corpus(CorpusSettings(path=tmp_path / "nope"))
    (tmp_path / "one.txt").unlink()
    with pytest.raises(IngestError, match="no TXT, MD, DOCX or PDF files"):
        load_corpus(CorpusSettings(path=tmp_path))


def test_explicit_manifest_is_validated_before_reading(tmp_path):
    _mini(tmp_path)
    bad = tmp_path / "other.yaml"
    bad.write_text(MANIFEST.replace("group: soe", "group: villagers"), encoding="utf-8")
    with pytest.raises(ManifestError, match="key 'group'"):
        next(iter_documents(CorpusSettings(path=tmp_path, manifest=bad)))


def test_demo_corpus_ingests_every_format():
    demo = REPO / "corpora" / "demo"
    if not (demo / "manifest.yaml").is_file():
        pytest.skip("demo corpus not present")
    corpus = load_corpus(CorpusSettings(path=demo))
    formats = {d.meta["format"] for d in corpus.documents}
    assert {"txt", "pdf", "docx", "csv"} <= formats
    assert len({d.id for d in corpus.documents}) == len(corpus.documents)
    gb = [d for d in corpus.documents if d.meta.get("encoding") == "gb18030"]
    assert gb and all(d.lang == "zh" for d in gb)
