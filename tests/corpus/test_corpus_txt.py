"""TXT ingest: every encoding round-trips; undecidable bytes are an error, never mojibake."""

from __future__ import annotations

import codecs

import pytest

from pipeline.corpus import read_document
from pipeline.errors import EncodingError, IngestError

SIMPLIFIED = (
    "2023年，公司在帮扶村投入资金120万元，建设“保险+期货”试点。\n\n"
    "合作社带动农户380户，户均增收5000元以上；村集体经济收入达到65万元。"
)
TRADITIONAL = (
    "2023年，公司在幫扶村投入資金120萬元，建設「保險+期貨」試點。\n\n"
    "合作社帶動農戶380戶，戶均增收5000元以上；村集體經濟收入達到65萬元。"
)
ENGLISH = "The company invested 1.2 million yuan.\n\nThe cooperative now serves 380 households."

CASES = [
    (SIMPLIFIED, "gb18030", b""),
    (SIMPLIFIED, "gbk", b""),
    (TRADITIONAL, "big5", b""),
    (SIMPLIFIED, "utf-16-le", b""),
    (SIMPLIFIED, "utf-16-be", b""),
    (ENGLISH, "utf-16-le", b""),
    (TRADITIONAL, "utf-16-le", codecs.BOM_UTF16_LE),
    (SIMPLIFIED, "utf-16-be", codecs.BOM_UTF16_BE),
    (SIMPLIFIED, "utf-8", codecs.BOM_UTF8),
    (SIMPLIFIED, "utf-8", b""),
    (TRADITIONAL, "utf-8", b""),
]


@pytest.mark.parametrize(("text", "encoding", "bom"), CASES)
def test_encoding_round_trips(tmp_path, text, encoding, bom):
    path = tmp_path / f"doc-{encoding}.txt"
    path.write_bytes(bom + text.replace("\n", "\r\n").encode(encoding))
    doc = read_document(path)
    assert doc.text == text
    expected = {"gbk": "gb18030", "utf-8": "utf-8-sig" if bom else "utf-8"}.get(encoding, encoding)
    assert doc.meta["encoding"] == expected
    assert doc.id == f"doc-{encoding}"


@pytest.mark.parametrize(
    "data",
    [
        "乡村振兴".encode("gbk"),  # also valid Big5 and UTF-16: cannot be told apart
        (ENGLISH + " 中文").encode("gb18030"),  # GB18030 and Big5 give different text
    ],
)
def test_undecidable_bytes_raise_encoding_error_naming_file(tmp_path, data):
    path = tmp_path / "unclear.txt"
    path.write_bytes(data)
    with pytest.raises(EncodingError) as info:
        read_document(path)
    assert "unclear.txt" in str(info.value)
    assert "cannot be told apart" in str(info.value)


def test_bytes_no_candidate_decodes_raise(tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\x81\x30\x81\xff\xfe\xfd" * 3)
    with pytest.raises(EncodingError, match="binary.txt"):
        read_document(path)


def test_invalid_bytes_after_bom_raise(tmp_path):
    path = tmp_path / "badbom.txt"
    path.write_bytes(codecs.BOM_UTF8 + "中文".encode("gbk"))
    with pytest.raises(EncodingError, match="badbom.txt"):
        read_document(path)


@pytest.mark.parametrize("content", [b"", b"  \r\n\n  "])
def test_empty_txt_raises_ingest_error(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="empty.txt"):
        read_document(path)


def test_hard_wrapped_chinese_lines_are_joined(tmp_path):
    lines = [
        "一、产业帮扶",
        "集团在帮扶县建设了三座现代化冷链仓储中心，配套",
        "建设产地分拣线和电商直播基地，把蔬菜水果变成了",
        "可以直供城市商超的标准化商品。",
        "合作社社员的收入因此提高了三成以上，村集体经济",
        "也有了稳定的租金收入来源。",
    ]
    path = tmp_path / "wrapped.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert read_document(path).text == (
        "一、产业帮扶\n"
        "集团在帮扶县建设了三座现代化冷链仓储中心，配套建设产地分拣线和电商直播基地，"
        "把蔬菜水果变成了可以直供城市商超的标准化商品。\n"
        "合作社社员的收入因此提高了三成以上，村集体经济也有了稳定的租金收入来源。"
    )


def test_indented_paragraph_lines_are_not_joined(tmp_path):
    text = (
        "　　集团在帮扶县建设了三座现代化冷链仓储中心和分拣线\n"
        "　　合作社社员的收入因此提高了三成以上，村集体增收"
    )
    path = tmp_path / "indent.txt"
    path.write_text(text, encoding="utf-8")
    assert read_document(path).text == text


def test_unsupported_extension_is_an_error(tmp_path):
    path = tmp_path / "notes.rtf"
    path.write_text("{\\rtf1 hello}", encoding="utf-8")
    with pytest.raises(IngestError, match="unsupported file type") as info:
        read_document(path)
    assert "notes.rtf" in str(info.value)
