"""Sentences kept whole: hard wraps are read across, headings still stand alone, and an
over-long sentence is cut at a clause mark, never inside a word or a citation."""

from __future__ import annotations

import re

from pipeline.corpus.document import Document
from pipeline.segment import Segmenter, SegmentSettings, split_sentences
from pipeline.segment.paragraphs import paragraph_spans
from pipeline.segment.windows import chop_long

ZH_WRAPPED = (
    "一、项目背景\n\n"
    "苏海控股集团作为省属国有企业，认真落实服务“三农”的责任，由旗下期货公司牵头，联合保险\n"
    "公司和地方农业农村部门，在省内三个县开展政策性生猪“保险+期货”试点。试点期间共承保生猪12.6万头，\n"
    "覆盖养殖户1400余户，实现理赔金额2310万元，有效对冲了猪价下跌带来的损失，参保农户普遍表示\n\n"
    "“心里有底了”。\n\n"
    "二、主要做法\n"
    "一是建立多方协同机制。"
)
EN_WRAPPED = (
    "II. Main Practices\n"
    "The company rebuilt the village grids first, because unreliable power had kept the\n"
    "small cold stores and sorting workshops from running. It then bought the villages' tea\n\n"
    "and honey through its staff canteens, as Zhou et al. (2023) and Li et al. (2022)\n"
    "recommend for consumption assistance.\n\n"
    "III. Results\n\n"
    "Incomes rose."
)


def sentences(text: str, lang: str) -> list[str]:
    spans = [span for p in paragraph_spans(text) for span in split_sentences(text[: p[1]], lang)
             if span[0] >= p[0]]
    return [text[a:b] for a, b in spans]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_hard_wrapped_chinese_gives_whole_sentences():
    got = sentences(ZH_WRAPPED, "zh")
    assert got[0] == "一、项目背景"
    assert flat(got[1]) == flat(
        "苏海控股集团作为省属国有企业，认真落实服务“三农”的责任，由旗下期货公司牵头，"
        "联合保险公司和地方农业农村部门，在省内三个县开展政策性生猪“保险+期货”试点。")
    assert got[2].startswith("试点期间") and got[2].endswith("“心里有底了”。")  # over a blank line
    assert got[3:] == ["二、主要做法", "一是建立多方协同机制。"]
    for sentence in got:
        assert sentence in ZH_WRAPPED  # offsets into the text, wraps and all


def test_hard_wrapped_english_gives_whole_sentences():
    got = sentences(EN_WRAPPED, "en")
    assert got == [
        "II. Main Practices",
        "The company rebuilt the village grids first, because unreliable power had kept the\n"
        "small cold stores and sorting workshops from running.",
        "It then bought the villages' tea\n\nand honey through its staff canteens, as Zhou et al."
        " (2023) and Li et al. (2022)\nrecommend for consumption assistance.",
        "III. Results",
        "Incomes rose.",
    ]


def test_passages_of_wrapped_text_read_as_joined_text():
    doc = Document(id="w", kind="case", lang="zh", text=ZH_WRAPPED)
    passages = Segmenter(SegmentSettings(max_sentences=1)).segment(doc)
    for p in passages:
        assert ZH_WRAPPED[p.start : p.end] == p.text
    wrapped = next(p for p in passages if p.text.startswith("试点期间"))
    assert wrapped.content == flat(wrapped.text)  # CJK wraps join with nothing
    first = next(p for p in passages if p.text.startswith("苏海控股"))
    assert "保险公司" in first.tokens  # the word wrapped over the line break is one token
    en = Segmenter(SegmentSettings(max_sentences=1)).segment(
        Document(id="e", kind="case", lang="en", text=EN_WRAPPED))
    tea = next(p for p in en if p.text.startswith("It then"))
    assert tea.content == ("It then bought the villages' tea and honey through its staff "
                           "canteens, as Zhou et al. (2023) and Li et al. (2022) recommend for "
                           "consumption assistance.")


def test_headings_lists_turns_and_tables_still_end_a_line():
    cases = {
        "一、背景\n公司自2019年起对口帮扶该县。": ["一、背景", "公司自2019年起对口帮扶该县。"],
        "主要做法\n\n公司建立了帮扶工作专班": ["主要做法", "公司建立了帮扶工作专班"],
        "帮扶内容包括\n1. 产业帮扶\n2. 就业帮扶": ["帮扶内容包括", "1. 产业帮扶", "2. 就业帮扶"],
        "问：企业做了什么\n答：修了路": ["问：企业做了什么", "答：修了路"],
        "指标 | 2020年 | 2023年\n收入 | 8 | 65\n\n2023年合作社收入1860万元。":
            ["指标 | 2020年 | 2023年", "收入 | 8 | 65", "2023年合作社收入1860万元。"],
        "Background\nThe county lies in the mountains.": ["Background",
                                                        "The county lies in the mountains."],
    }
    for text, expected in cases.items():
        assert sentences(text, "zh" if re.search("[\u4e00-\u9fff]", text) else "en") == expected


def test_a_long_sentence_splits_at_a_clause_mark_and_never_inside_a_citation():
    text = (
        "State-owned enterprises have become central actors in rural revitalization because "
        "they combine fiscal resources, managerial capacity and political mandates that local "
        "governments lack (Li et al., 2023; Zhou et al., 2023), and their assistance ranges "
        "from infrastructure to education, health care and consumption assistance."
    )
    pieces = [text[a:b] for a, b in chop_long(text, 0, len(text), 120)]
    assert " ".join(pieces) == text
    assert all(len(piece) <= 120 for piece in pieces)
    assert all(piece.endswith((",", ".")) for piece in pieces)  # at clause marks
    assert any(piece.endswith("(Li et al., 2023; Zhou et al., 2023),") for piece in pieces)
    assert not any(piece.startswith(("2023", "et al", "Zhou et al")) for piece in pieces)


def test_a_long_chinese_sentence_prefers_the_strongest_clause_mark():
    text = ("国有企业通过产业帮扶、就业帮扶、消费帮扶和教育帮扶等多种方式参与乡村振兴，既发挥了资金和技术优势，"
            "又带动了村集体经济发展；同时，企业派驻的第一书记深入村组开展调研，帮助村两委理清发展思路。")
    pieces = [text[a:b] for a, b in chop_long(text, 0, len(text), 64)]
    assert "".join(pieces) == text
    assert pieces[0].endswith("；")  # the semicolon, not the comma after "同时" that also fits
    assert all(piece[-1] in "；，。" for piece in pieces)


def test_the_citation_is_no_passage_of_its_own():
    text = ("Prior work shows that assistance persists (Li et al., 2023; Zhou et al., 2023). "
            "Zhou et al. (2023) argue that it matters, see Fig. 2 and pp. 45-67.")
    assert [text[a:b] for a, b in split_sentences(text, "en")] == [
        "Prior work shows that assistance persists (Li et al., 2023; Zhou et al., 2023).",
        "Zhou et al. (2023) argue that it matters, see Fig. 2 and pp. 45-67.",
    ]
