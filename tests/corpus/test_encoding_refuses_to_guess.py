"""Encoding detection refuses to guess: every reading it accepts is the source text.

Each failure seen before (cp1252 English read as GB18030, a short cp1252 line read as
UTF-16 noise, a UTF-8 phrase pasted into GB18030, NUL bytes travelling into the store,
invalid UTF-8 without an offset) is a regression test here; the byte fixtures are
written in the tests themselves.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.corpus import CorpusSettings, load_corpus, read_document
from pipeline.corpus.plausible import judge
from pipeline.corpus.txt import decode_bytes
from pipeline.errors import EncodingError, ManifestError

REPO = Path(__file__).resolve().parents[2]

ZH_PARAGRAPHS = (
    "村里的合作社去年成立了电商服务站，帮助农户把核桃、花椒和土蜂蜜卖到全国各地。"
    "驻村工作队每周召开一次院坝会，听取群众对道路硬化和饮水工程的意见。",
    "企业派出的技术员手把手教农民嫁接果树，三年后果园的亩产翻了一番。"
    "为了留住年轻人，镇政府和国有企业共同建设了返乡创业孵化基地。",
    "受访者表示，最大的变化是孩子们不用再走两个小时的山路去上学。"
    "集团每年安排专项资金用于职业技能培训，培训合格的学员可以直接进入园区就业。",
    "问：您觉得帮扶项目还有哪些不足？\n答：后续管护跟不上，有些设备买来以后就闲置了，"
    "村民希望企业能派人定期回访。",
    "项目采用了GIS系统对耕地进行监测，数据每月更新一次；访谈中，他多次提到Excel表格"
    "和微信群在组织生产中的作用。",
)
ZH_TRADITIONAL = (
    "村裡的合作社去年成立了電商服務站，幫助農戶把核桃、花椒和土蜂蜜賣到全國各地。"
    "駐村工作隊每週召開一次會議，聽取群眾對道路硬化和飲水工程的意見。",
    "企業派出的技術員手把手教農民嫁接果樹，三年後果園的畝產翻了一番。"
    "為了留住年輕人，鎮政府和國有企業共同建設了返鄉創業孵化基地。",
)
EN_SENTENCES = (
    "The cooperative opened a small shop in the market town last spring.",
    "Several interviewees said the new road changed their daily lives.",
    "The company’s engineers trained local workers to repair the pumps.",
    "“We didn’t expect so many visitors,” the village head said.",
    "Café owners in the county seat now buy honey directly from the farmers.",
    "Training sessions were held every Friday, rain or shine.",
)


def _refusal(data: bytes, **kwargs) -> EncodingError:
    with pytest.raises(EncodingError) as info:
        decode_bytes(data, "doc.txt", **kwargs)
    error = info.value
    assert error.code == "E211"
    assert error.unit is not None and re.fullmatch(r"byte \d+", error.unit), error.unit
    assert "doc.txt" in str(error)
    return error


def _offset(error: EncodingError) -> int:
    return int(error.unit.split()[1])


# --- the failures seen before -------------------------------------------------------


def test_cp1252_english_with_curly_apostrophes_is_never_read_as_gb18030():
    text = "The village’s head didn’t expect it, and nobody else did."
    data = text.encode("cp1252")
    assert b"\x92" in data and data.decode("gb18030") != text  # GB18030 decodes it too
    decoded = decode_bytes(data, "doc.txt")
    assert decoded.text == text
    assert decoded.encoding == "cp1252"


def test_a_short_cp1252_line_is_not_read_as_utf16_noise():
    text = "Crème brûlée, café au lait"
    data = text.encode("cp1252")
    assert len(data) % 2 == 0 and data.decode("utf-16-le")  # UTF-16 decodes it too
    assert decode_bytes(data, "doc.txt").text == text


def test_a_short_line_only_utf16_can_decode_is_refused_not_read_as_noise():
    data = b"\xa4\xa4Ok \xb6\xb6!"  # cp1252 "¤¤Ok ¶¶!": nothing plausible in any reading
    assert data.decode("utf-16-le")
    error = _refusal(data)
    assert "utf-16-le" in str(error)


def test_gb18030_with_a_pasted_utf8_phrase_is_refused_at_the_utf8_offset():
    before = ZH_PARAGRAPHS[0].encode("gb18030")
    pasted = "北京能源集团".encode()
    data = before + pasted + ZH_PARAGRAPHS[1].encode("gb18030")
    error = _refusal(data)
    assert "mixed encodings" in str(error)
    assert _offset(error) == len(before)


def test_utf8_chinese_followed_by_gb18030_is_refused_where_utf8_stops():
    before = ZH_PARAGRAPHS[0].encode("utf-8")
    data = before + ZH_PARAGRAPHS[1].encode("gb18030")
    error = _refusal(data)
    assert _offset(error) == len(before)
    assert "mixed encodings" in str(error)


def test_utf8_latin_inside_a_cp1252_file_is_refused():
    data = "Prices rose – slowly. ".encode("cp1252") + "Café owners agreed.".encode()
    error = _refusal(data)
    assert "mixed encodings" in str(error)
    assert _offset(error) == data.index(b"\xc3\xa9")


@pytest.mark.parametrize(
    "text",
    ["The cooperative grew quickly.\nIt now has 380 members.", ZH_PARAGRAPHS[0]],
    ids=["english", "chinese"],
)
def test_utf8_with_a_nul_byte_is_refused_at_its_offset(text):
    at = len(text[: len(text) // 2].encode())  # between two characters
    data = text.encode()[:at] + b"\x00" + text.encode()[at:]
    error = _refusal(data)
    assert "NUL byte" in str(error)
    assert _offset(error) == at


def test_gb18030_with_a_nul_byte_is_refused_at_its_offset():
    head = ZH_PARAGRAPHS[1].encode("gb18030")
    error = _refusal(head + b"\x00" + ZH_PARAGRAPHS[2].encode("gb18030"))
    assert "NUL byte" in str(error) and _offset(error) == len(head)


@pytest.mark.parametrize("byte", [b"\x01", b"\x08", b"\x1b", b"\x1f", b"\x7f"])
def test_other_control_bytes_are_refused_with_their_offset(byte):
    data = b"First line of the notes.\n" + byte + b"Second line."
    error = _refusal(data)
    assert _offset(error) == 25
    assert "control" in str(error) and "line 2" in str(error)


def test_tab_newline_carriage_return_and_form_feed_are_text():
    text = "Heading\tone\r\nBody text.\fNext page.\vEnd."
    assert decode_bytes(text.encode(), "doc.txt").text == text


def test_a_nul_in_a_corpus_file_never_reaches_the_store(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"The cooperative grew.\x00 It has 380 members.")
    with pytest.raises(EncodingError) as info:
        read_document(tmp_path / "a.txt")
    assert info.value.unit == "byte 21" and "a.txt" in str(info.value)


def test_invalid_utf8_in_a_utf8_file_names_the_byte_and_line():
    head = (ZH_PARAGRAPHS[0] + "\n" + ZH_PARAGRAPHS[1] + "\n").encode()
    data = head + b"\xff" + ZH_PARAGRAPHS[2].encode()
    error = _refusal(data)
    assert _offset(error) == len(head)
    assert "line 3" in str(error)


def test_utf8_after_a_utf16_bom_is_refused_not_read_as_noise():
    first = ZH_PARAGRAPHS[0] + "\n"
    head = codecs.BOM_UTF16_LE + first.encode("utf-16-le")
    data = head + ZH_PARAGRAPHS[1].encode("utf-8") + b"\n\x00"
    assert len(data) % 2 == 0 and data[2:].decode("utf-16-le")  # UTF-16 decodes it all
    error = _refusal(data)
    assert _offset(error) == len(head)


def test_bytes_after_a_utf16_bom_that_are_not_utf16_name_the_offset():
    data = codecs.BOM_UTF16_LE + "中文".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    error = _refusal(data)
    assert _offset(error) == 6


# --- what still decodes --------------------------------------------------------------

ROUND_TRIPS = [
    *[(p, "gb18030", b"") for p in ZH_PARAGRAPHS],
    *[(p, "gbk", b"") for p in ZH_PARAGRAPHS[:2]],
    *[(p, "big5", b"") for p in ZH_TRADITIONAL],
    *[(p, "utf-16-le", b"") for p in ZH_PARAGRAPHS[:2] + ZH_TRADITIONAL[:1]],
    *[(p, "utf-16-be", b"") for p in ZH_PARAGRAPHS[2:4]],
    (ZH_PARAGRAPHS[0], "utf-16-le", codecs.BOM_UTF16_LE),
    (ZH_TRADITIONAL[1], "utf-16-be", codecs.BOM_UTF16_BE),
    (ZH_PARAGRAPHS[1], "utf-8", codecs.BOM_UTF8),
    (ZH_PARAGRAPHS[4], "utf-8", b""),
    (" ".join(EN_SENTENCES), "utf-8", b""),
    (" ".join(EN_SENTENCES), "utf-16-le", b""),
    (" ".join(EN_SENTENCES), "utf-16-be", b""),
    (" ".join(EN_SENTENCES), "cp1252", b""),
    ("Café owners buy honey. Über 300 households joined.", "latin-1", b""),
]


@pytest.mark.parametrize(("text", "encoding", "bom"), ROUND_TRIPS)
def test_valid_files_still_decode_exactly(text, encoding, bom):
    assert decode_bytes(bom + text.encode(encoding), "doc.txt").text == text


def test_a_long_chinese_document_in_gb18030_and_big5_is_not_refused():
    text = "\n\n".join(ZH_PARAGRAPHS * 3)
    assert decode_bytes(text.encode("gb18030"), "doc.txt").text == text
    traditional = "\r\n".join(ZH_TRADITIONAL * 4)
    assert decode_bytes(traditional.encode("big5"), "doc.txt").text == traditional


def test_the_demo_gb18030_file_decodes_to_its_source():
    raw = (REPO / "corpora/demo/formats/04-GQ-BCNY-gb18030.txt").read_bytes()
    source = (REPO / "corpora/demo/sources/04-GQ-BCNY.txt").read_text("utf-8")
    decoded = decode_bytes(raw, "04.txt")
    assert decoded.encoding == "gb18030"
    assert decoded.text.replace("\r\n", "\n") == source


# --- plausibility --------------------------------------------------------------------


def test_plausibility_accepts_chinese_with_english_terms_and_refuses_noise():
    assert judge(ZH_PARAGRAPHS[4]).plausible
    assert judge(ZH_TRADITIONAL[0]).plausible
    korean_as_gb = "마을 협동조합은 작년에 온라인 판매소를 열었습니다.".encode("euc-kr").decode(
        "gb18030"
    )
    assert judge(korean_as_gb).status == "implausible"  # common characters, no words
    utf8_as_gb = ZH_PARAGRAPHS[0].encode()[:60].decode("gb18030", errors="ignore")
    assert judge(utf8_as_gb).status == "implausible"
    assert judge("The village抯 head didn抰 expect it.").status == "implausible"
    assert judge("乡村振兴").status == "too_short"


def test_the_declared_language_narrows_the_readings():
    data = ZH_PARAGRAPHS[0].encode("gb18030")
    assert decode_bytes(data, "doc.txt", lang="zh").text == ZH_PARAGRAPHS[0]
    _refusal(data, lang="en")


@pytest.mark.parametrize("data", [b"p\x93\x93", b"\x00d\xff\x85", b"*\xff\x00}"])
def test_a_few_bytes_are_too_little_evidence_for_cp1252_or_utf16(data):
    _refusal(data)


def test_undecidable_short_bytes_are_refused_with_the_hint():
    error = _refusal("乡村振兴".encode("gbk"))
    assert "cannot be told apart" in str(error)
    assert "encoding:" in error.hint and "UTF-8" in error.hint


# --- pinned encoding -----------------------------------------------------------------


def test_a_pinned_encoding_decodes_what_detection_refuses(tmp_path):
    (tmp_path / "short.txt").write_bytes("乡村振兴".encode("gbk"))
    (tmp_path / "manifest.yaml").write_text(
        "documents:\n  - id: s\n    file: short.txt\n    encoding: GBK\n", "utf-8"
    )
    corpus = load_corpus(CorpusSettings(path=tmp_path))
    assert corpus.documents[0].text == "乡村振兴"
    assert corpus.documents[0].meta["encoding"] == "gbk"


def test_a_pinned_encoding_that_does_not_fit_names_the_byte(tmp_path):
    data = "Mostly ASCII, then 中文".encode("gb18030")
    error = _refusal(data, encoding="utf-8")
    assert _offset(error) == data.index("中".encode("gb18030"))
    assert "pinned" in str(error)


def test_a_pinned_encoding_still_refuses_control_bytes():
    error = _refusal("abc\x00def".encode("latin-1"), encoding="latin-1")
    assert _offset(error) == 3


def test_a_pinned_table_encoding_reads_the_csv(tmp_path):
    rows = "id,text\nr1,乡村振兴\n"
    (tmp_path / "t.csv").write_bytes(rows.encode("gbk"))
    (tmp_path / "manifest.yaml").write_text(
        "documents:\n  - id: t\n    file: t.csv\n    encoding: gb18030\n"
        "    table: {id_column: id, text_column: text}\n",
        "utf-8",
    )
    corpus = load_corpus(CorpusSettings(path=tmp_path))
    assert corpus.documents[0].text == "乡村振兴"


@pytest.mark.parametrize(
    ("file", "encoding", "message"),
    [
        ("a.txt", "klingon-8", "unknown encoding 'klingon-8'"),
        ("a.docx", "utf-8", "'encoding' given but 'a.docx' is not a text file"),
    ],
)
def test_bad_encoding_pins_are_manifest_errors_naming_the_entry(tmp_path, file, encoding, message):
    (tmp_path / file).write_bytes(b"x")
    (tmp_path / "manifest.yaml").write_text(
        f"documents:\n  - id: doc1\n    file: {file}\n    encoding: {encoding}\n", "utf-8"
    )
    with pytest.raises(ManifestError) as info:
        load_corpus(CorpusSettings(path=tmp_path))
    assert "entry 1 (id doc1" in str(info.value) and message in str(info.value)


# --- the command line ----------------------------------------------------------------


def test_cli_exits_2_with_one_message_naming_the_byte(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(ZH_PARAGRAPHS[0], "utf-8")
    (corpus / "bad.txt").write_bytes("The village’s head\x00 said so.".encode("cp1252"))
    assert main(["ingest", str(corpus), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "[E211]" in err and "bad.txt (byte 18)" in err and "NUL byte" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "documents.jsonl").exists()


# --- never different text ------------------------------------------------------------

SENTENCES = st.sampled_from(
    [s for p in ZH_PARAGRAPHS for s in re.split(r"(?<=[。；？])", p) if s]
    + [s for p in ZH_TRADITIONAL for s in re.split(r"(?<=。)", p) if s]
    + list(EN_SENTENCES)
)
ENCODINGS = st.sampled_from(
    ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16-le", "utf-16-be", "utf-16"]
    + ["cp1252", "latin-1", "shift_jis", "euc-kr"]
)


@settings(max_examples=300, deadline=None)
@given(
    sentences=st.lists(SENTENCES, min_size=1, max_size=4),
    separator=st.sampled_from(["", " ", "\n", "\r\n"]),
    encoding=ENCODINGS,
)
def test_any_sentences_in_any_encoding_decode_exactly_or_are_refused(
    sentences, separator, encoding
):
    text = separator.join(sentences)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # this encoding cannot hold the text: nothing to read back
    try:
        decoded = decode_bytes(data, "doc.txt")
    except EncodingError as error:
        assert error.unit and error.unit.startswith("byte ")
        return
    assert decoded.text == text


#: a second part with a BOM or in UTF-16 is not "one encoding after another"
SECOND_PART = st.sampled_from(
    ["utf-8", "gb18030", "gbk", "big5", "cp1252", "latin-1", "shift_jis", "euc-kr"]
)


@settings(max_examples=150, deadline=None)
@given(
    first=st.lists(SENTENCES, min_size=1, max_size=3),
    second=st.lists(SENTENCES, min_size=1, max_size=3),
    encodings=st.tuples(ENCODINGS, SECOND_PART),
)
def test_two_encodings_in_one_file_are_never_read_as_one(first, second, encodings):
    a, b = " ".join(first), " ".join(second)
    try:
        data = a.encode(encodings[0]) + b.encode(encodings[1])
    except UnicodeEncodeError:
        return
    try:
        decoded = decode_bytes(data, "doc.txt")
    except EncodingError:
        return
    assert decoded.text == a + b  # only when both parts are the same bytes in one encoding
