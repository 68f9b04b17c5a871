"""Passages: windows inside paragraphs and turns, speakers, context, removals."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pipeline.corpus.document import Document
from pipeline.errors import SegmentError
from pipeline.segment import Segmenter, SegmentSettings
from pipeline.segment.paragraphs import paragraph_spans

CASE = (
    "标题：企业帮扶\n\n"
    "一是建立机制。二是投入资金。三是培训农户。四是拓宽销路。五是总结经验。\n\n"
    "The company trained farmers. Sales grew fast. Incomes rose."
)
INTERVIEW = (
    "（访谈说明）\n\n"
    "问：企业做了什么？\n\n"
    "答：修了路。建了大棚。\n第二行还是回答。\n\n"
    "这一段没有前缀，仍是受访者。\n\n"
    "[00:12:31] 访谈者：还有吗？\n"
    "张书记：我补充。电站每年有收益。"
)


@dataclass(frozen=True)
class Cut:
    doc_id: str
    start: int
    end: int


def doc(text: str, kind: str = "case") -> Document:
    return Document(id="d1", kind=kind, lang="zh", text=text)


def segment(text: str, kind: str = "case", removals=(), **settings):
    settings.setdefault("unit", "passage")  # these tests are about sentence windows
    return Segmenter(SegmentSettings(**settings)).segment(doc(text, kind), removals)


def test_offsets_ids_and_windows_stay_inside_paragraphs():
    passages = segment(CASE, max_sentences=2, context_sentences=0)
    paragraphs = list(paragraph_spans(CASE))
    for p in passages:
        assert CASE[p.start : p.end] == p.text and p.id == f"d1:{p.start}-{p.end}"
        start, end = paragraphs[p.paragraph]
        assert start <= p.start < p.end <= end
    zh = [p.text for p in passages if p.paragraph == 1]
    assert zh == ["一是建立机制。二是投入资金。", "三是培训农户。四是拓宽销路。", "五是总结经验。"]
    assert {p.lang for p in passages if p.paragraph == 2} == {"en"}


def test_windows_do_not_overlap_and_cover_every_sentence():
    passages = segment(CASE, max_sentences=3)
    spans = sorted((p.start, p.end) for p in passages)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert "".join(p.text for p in passages if p.paragraph == 1).count("是") == 5


def test_max_chars_caps_windows_and_cuts_overlong_sentences():
    long_sentence = "企业投入资金，" * 20 + "建成大棚。"
    passages = segment(f"短句。{long_sentence}", max_chars=40, max_sentences=5)
    assert all(len(p.text) <= 40 for p in passages)
    assert "".join(p.text for p in passages) == f"短句。{long_sentence}"


def test_context_sentences_come_from_the_same_paragraph():
    passages = segment(CASE, max_sentences=1, context_sentences=1)
    zh = [p for p in passages if p.paragraph == 1]
    assert (zh[0].context_before, zh[0].context_after) == ("", "二是投入资金。")
    assert (zh[2].context_before, zh[2].context_after) == ("二是投入资金。", "四是拓宽销路。")
    assert zh[-1].context_after == ""
    assert all(not p.context_before for p in passages if p.paragraph == 2 and p.start == 0)


def test_no_context_by_setting():
    assert all(
        not p.context_before and not p.context_after for p in segment(CASE, context_sentences=0)
    )


def test_interview_turns_speakers_and_roles():
    passages = segment(INTERVIEW, "interview", max_sentences=5)
    rows = [(p.text, p.speaker, p.speaker_role, p.codable) for p in passages]
    assert rows == [
        ("（访谈说明）", None, None, True),
        ("企业做了什么？", "问", "interviewer", False),
        ("修了路。建了大棚。\n第二行还是回答。", "答", "interviewee", True),
        ("这一段没有前缀，仍是受访者。", "答", "interviewee", True),
        ("还有吗？", "访谈者", "interviewer", False),
        ("我补充。电站每年有收益。", "张书记", "interviewee", True),
    ]


def test_passages_never_cross_a_turn_even_inside_one_paragraph():
    passages = segment(INTERVIEW, "interview", max_sentences=10, max_chars=1000)
    last = [p for p in passages if p.paragraph == 4]
    assert [p.speaker for p in last] == ["访谈者", "张书记"]


def test_include_interviewer_makes_questions_codable():
    passages = segment(INTERVIEW, "interview", include_interviewer=True)
    assert all(p.codable for p in passages)


def test_speaker_prefixes_are_ignored_outside_interviews():
    passages = segment("问：这是案例正文中的一句话。", "case")
    assert passages[0].speaker is None and passages[0].text.startswith("问：")


def test_removed_spans_are_skipped():
    start = CASE.index("一是")
    end = CASE.index("\n\nThe")
    passages = segment(CASE, removals=[Cut("d1", start, end)])
    assert [p.paragraph for p in passages] == [0, 2]
    assert all(p.end <= start or p.start >= end for p in passages)


def test_removals_of_another_document_are_rejected():
    with pytest.raises(SegmentError, match="d1"):
        segment(CASE, removals=[Cut("other", 0, 3)])


def test_segment_all_streams_clean_results():
    @dataclass(frozen=True)
    class Result:
        document: Document
        removals: tuple = ()

    results = [Result(doc(CASE)), Result(Document(id="d2", kind="case", lang="zh", text="好。"))]
    stream = Segmenter(SegmentSettings(unit="passage")).segment_all(iter(results))
    assert [p.doc_id for p in stream][-1] == "d2"


def test_segmentation_is_deterministic():
    assert segment(INTERVIEW, "interview") == segment(INTERVIEW, "interview")
