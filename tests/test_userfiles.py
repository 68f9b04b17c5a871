"""Every reader of the user's files: one encoding detection, size and zip caps, our errors."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from pipeline.codebook import load_codebook
from pipeline.codebook.refi import import_qdc
from pipeline.config import load_config
from pipeline.corpus.manifest import load_manifest
from pipeline.errors import (
    CodebookError,
    ConfigError,
    EncodingError,
    IngestError,
    ManifestError,
    SegmentError,
)
from pipeline.segment.tokens import load_stopwords
from pipeline.userfiles import (
    ENV_MAX_FILE_MB,
    ENV_MAX_INFLATED_MB,
    ReadLimits,
    check_archive,
    read_member,
    read_text,
    xml_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "configs" / "codebooks" / "soe-assistance.yaml"


def test_limits_come_from_the_environment():
    assert ReadLimits.from_env({}) == ReadLimits()
    limits = ReadLimits.from_env({ENV_MAX_FILE_MB: "2.5", ENV_MAX_INFLATED_MB: "7"})
    assert (limits.max_file_mb, limits.max_inflated_mb) == (2.5, 7.0)
    with pytest.raises(ConfigError, match=ENV_MAX_FILE_MB):
        ReadLimits.from_env({ENV_MAX_FILE_MB: "lots"})
    with pytest.raises(ConfigError, match="positive"):
        ReadLimits(max_file_mb=0)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"unit,code,coder\n" + b"u,A01,li\n" * 200_000)  # 1.7 MB
    with pytest.raises(ConfigError, match=r"1\.7 MB, over the 1 MB limit") as info:
        read_text(path, error=ConfigError, what="table", limits=ReadLimits(max_file_mb=1))
    assert ENV_MAX_FILE_MB in str(info.value) and "big.csv" in str(info.value)
    assert read_text(path, error=ConfigError, limits=ReadLimits(max_file_mb=2)).text


def test_read_text_detects_the_encoding_and_keeps_its_errors(tmp_path):
    path = tmp_path / "gb.txt"
    text = "编码者：张伟、李娜。这一段文字用于检验编码的识别是否正确，不会出现乱码。\n" * 20
    path.write_bytes(text.encode("gb18030"))
    decoded = read_text(path, error=ConfigError)
    assert decoded.text == text and decoded.encoding.replace("_", "-") in ("gb18030", "gbk")
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    with pytest.raises(ConfigError, match="empty"):  # the caller's error class
        read_text(empty, error=ConfigError)
    with pytest.raises(ConfigError, match="not found"):
        read_text(tmp_path / "missing.yaml", error=ConfigError)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(EncodingError):  # the corpus reader's own error
        read_text(binary, error=ConfigError)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_archives_are_capped_before_inflating(tmp_path):
    path = _zip(tmp_path / "a.docx", {"word/document.xml": b"x" * 3_000_000, "b.xml": b"y"})
    limits = ReadLimits(max_inflated_mb=2)
    with pytest.raises(IngestError, match=r"inflates to 2\.9 MB .*over the 2 MB limit") as info:
        check_archive(path, error=IngestError, what="DOCX", limits=limits)
    assert info.value.unit == "entry word/document.xml"
    assert ENV_MAX_INFLATED_MB in str(info.value)
    check_archive(path, error=IngestError, what="DOCX", members=["b.xml"], limits=limits)
    evil = _zip(tmp_path / "evil.xlsx", {"../../etc/x": b"x"})
    with pytest.raises(IngestError, match="outside the archive"):
        check_archive(evil, error=IngestError, what="XLSX")
    not_zip = tmp_path / "plain.docx"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(IngestError, match="cannot read DOCX: not a zip archive"):
        check_archive(not_zip, error=IngestError, what="DOCX")


def _understate_size(path: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size a zip declares for ``name`` (local and central header)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(encoded)] == encoded:
                data[at + offset : at + offset + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_a_member_that_lies_about_its_size_is_never_inflated_past_it(tmp_path):
    path = _zip(tmp_path / "p.qdpx", {"project.qde": b"<Project/>" + b" " * 5_000_000})
    _understate_size(path, "project.qde", 1000)
    with pytest.raises(ConfigError, match="cannot inflate project.qde"):
        read_member(path, "project.qde", error=ConfigError, what="REFI-QDA project")


def test_xml_keeps_a_declared_encoding_and_decodes_an_undeclared_one(tmp_path):
    declared = '<?xml version="1.0" encoding="GB18030"?><a>张伟</a>'.encode("gb18030")
    assert xml_bytes(declared, "x.xml", error=CodebookError) == declared
    body = "<a>" + "编码者张伟和李娜分别完成了全部案例的编码工作。" * 10 + "</a>"
    plain = ('<?xml version="1.0"?>' + body).encode("gb18030")
    assert xml_bytes(plain, "x.xml", error=CodebookError).decode("utf-8").endswith(body)
    bom = b"\xef\xbb\xbf" + b'<?xml version="1.0" encoding="utf-16"?><a/>'
    assert xml_bytes(bom, "x.xml", error=CodebookError) == b'<?xml version="1.0"?><a/>'


def test_a_gb18030_codebook_config_and_manifest_are_read(tmp_path):
    text = CODEBOOK.read_text(encoding="utf-8")
    (tmp_path / "cb.yaml").write_bytes(text.encode("gb18030"))
    assert load_codebook(tmp_path / "cb.yaml").hash == load_codebook(CODEBOOK).hash
    config = tmp_path / "run.yaml"
    config.write_bytes(
        "# 示范配置：两位编码者的编码，用于检验编码识别。\n"
        "# 这一行也是中文注释，保证文件足够长，可以判断编码。\n"
        f"seed: 7\ncorpus:\n  path: {tmp_path}\ncodebook: cb.yaml\n".encode("gb18030")
    )
    assert load_config(config).seed == 7
    (tmp_path / "a.txt").write_text("一段文字。", encoding="utf-8")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_bytes(
        (
            "corpus: 示范语料\n"
            "documents:\n"
            "  - id: a\n    file: a.txt\n    kind: case\n"
            "    title: 中央企业帮扶乡村振兴案例：产业帮扶与消费帮扶的实践\n"
            "    enterprise: 中国某某集团有限公司\n"
        ).encode("gb18030")
    )
    loaded = load_manifest(manifest)
    assert loaded.name == "示范语料" and loaded.entries[0].title.startswith("中央企业")


def test_empty_or_undecidable_files_are_the_callers_errors(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    with pytest.raises(CodebookError, match="empty"):
        load_codebook(empty)
    with pytest.raises(ManifestError, match="empty"):
        load_manifest(empty)
    with pytest.raises(ConfigError, match="empty"):
        load_config(empty)
    stop = tmp_path / "stop.txt"
    stop.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(EncodingError, match="stop.txt"):
        load_stopwords(stop)
    with pytest.raises(SegmentError, match="not found"):
        load_stopwords(tmp_path / "none.txt")


def test_a_gb18030_stop_word_list(tmp_path):
    words = ["我们", "他们", "这个", "那个", "因为", "所以", "但是", "而且", "如果", "虽然"]
    path = tmp_path / "stop.txt"
    path.write_bytes(("# 停用词表（GB18030 编码）\n" + "\n".join(words) + "\n").encode("gb18030"))
    assert load_stopwords(path) == frozenset(words)


def test_qdc_without_declared_encoding(tmp_path):
    from pipeline.codebook.refi import export_qdc

    export_qdc(load_codebook(CODEBOOK), tmp_path / "cb.qdc")
    data = (tmp_path / "cb.qdc").read_bytes()
    assert data.lstrip().startswith(b"<?xml") and b"encoding=" in data.split(b"?>", 1)[0]
    undeclared = data.split(b"?>", 1)[1].decode("utf-8").encode("gb18030")
    (tmp_path / "gb.qdc").write_bytes(undeclared)
    assert [c.id for c in import_qdc(tmp_path / "gb.qdc").codes] == [
        c.id for c in import_qdc(tmp_path / "cb.qdc").codes
    ]


def test_corpus_files_obey_the_limits(tmp_path, monkeypatch):
    from pipeline.corpus.reader import read_document
    from pipeline.corpus.table_reader import read_rows

    docx = _zip(tmp_path / "bomb.docx", {"word/document.xml": b"<w:document/>" + b" " * 3_000_000})
    xlsx = _zip(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b" " * 3_000_000})
    txt = tmp_path / "long.txt"
    txt.write_text("一段很长的文字。" * 100_000, encoding="utf-8")  # 2.3 MB
    monkeypatch.setenv(ENV_MAX_INFLATED_MB, "2")
    monkeypatch.setenv(ENV_MAX_FILE_MB, "2")
    with pytest.raises(IngestError, match="bomb.docx.*over the 2 MB limit"):
        read_document(docx)
    with pytest.raises(IngestError, match="bomb.xlsx.*over the 2 MB limit"):
        read_rows(xlsx)
    with pytest.raises(IngestError, match="long.txt: file is 2.3 MB, over the 2 MB limit"):
        read_document(txt)
    monkeypatch.setenv(ENV_MAX_FILE_MB, "3")
    assert read_document(txt).text.startswith("一段很长的文字。")


def test_zip_member_with_broken_deflate_data_is_refused(tmp_path):
    from pipeline.userfiles import read_member

    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", "<Project>" + "x" * 5000 + "</Project>")
    data = bytearray(path.read_bytes())
    start = data.index(b"project.qde") + len("project.qde")  # the member's deflate stream
    data[start + 2:start + 12] = b"\xff" * 10
    path.write_bytes(bytes(data))
    with pytest.raises(IngestError, match=r"p.qdpx \(entry project.qde\): cannot inflate"):
        read_member(path, "project.qde", error=IngestError, what="QDPX project")


def test_zip_declaring_an_unknown_zip_version_is_refused(tmp_path):
    from pipeline.userfiles import check_archive

    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.xml", "<a/>")
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 234  # "version needed to extract": 23.4, which zipfile cannot do
    path.write_bytes(bytes(data))
    with pytest.raises(IngestError, match=r"t.xlsx: cannot read XLSX: not a zip archive"):
        check_archive(path, error=IngestError, what="XLSX")
