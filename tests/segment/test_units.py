"""segment.unit: clauses, sentences or passages, offsets exact, context kept."""

from __future__ import annotations

from pipeline.corpus.document import Document
from pipeline.segment import Segmenter
from pipeline.segment.clauses import clause_spans
from pipeline.segment.settings import SegmentSettings

ZH = ("集团党委将试点列入年度乡村振兴重点任务，成立由分管领导任组长的工作专班。"
      "试点保费由财政补贴、集团帮扶资金和养殖户自缴三部分构成，集团累计投入帮扶资金680万元，"
      "养殖户自缴比例控制在20%以内。同时，公司开展“金融知识下乡，服务送到家门口”活动。")


def pieces(text: str, min_chars: int = 8) -> list[str]:
    return [text[a:b] for a, b in clause_spans(text, 0, len(text), min_chars)]


def test_clauses_end_at_commas_and_semicolons_but_not_at_the_enumeration_comma():
    sentence = "试点保费由财政补贴、集团帮扶资金和养殖户自缴三部分构成，集团累计投入帮扶资金680万元；效果明显提升了很多。"
    assert pieces(sentence) == [
        "试点保费由财政补贴、集团帮扶资金和养殖户自缴三部分构成，",
        "集团累计投入帮扶资金680万元；",
        "效果明显提升了很多。",
    ]


def test_short_pieces_join_a_neighbour_and_quotes_are_never_cut():
    sentence = "同时，公司开展“金融知识下乡，服务送到家门口”活动，效果好。"
    assert pieces(sentence) == ["同时，公司开展“金融知识下乡，服务送到家门口”活动，效果好。"]
    assert pieces("同时，公司每年选派青年员工到乡村学校支教，受到欢迎。") == [
        "同时，公司每年选派青年员工到乡村学校支教，受到欢迎。"]


def test_english_clauses_need_more_characters_and_keep_numbers_and_brackets_whole():
    sentence = ("In 2021, the company invested 1,000,000 yuan in the village (Zhou et al., 2023), "
                "and each member was paired with five households to visit and advise them.")
    assert pieces(sentence) == [
        "In 2021, the company invested 1,000,000 yuan in the village (Zhou et al., 2023),",
        "and each member was paired with five households to visit and advise them.",
    ]


def segment(unit: str, **extra) -> tuple[Document, list]:
    doc = Document(id="d", kind="case", lang="zh", text=ZH + "\n\n二、主要做法\n\n一是规范流程。")
    return doc, Segmenter(SegmentSettings(unit=unit, **extra)).segment(doc)


def test_every_unit_points_into_the_document_and_they_do_not_overlap():
    for unit in ("clause", "sentence", "passage"):
        doc, units = segment(unit)
        assert all(doc.text[u.start:u.end] == u.text for u in units)
        assert all(a.end <= b.start for a, b in zip(units, units[1:], strict=False))
        assert all(u.id == f"d:{u.start}-{u.end}" for u in units)


def test_clause_units_carry_the_rest_of_their_sentence_and_neighbours_as_context():
    _, units = segment("clause", context_sentences=0)
    second = next(u for u in units if u.text.startswith("成立由"))
    assert second.context_before == "集团党委将试点列入年度乡村振兴重点任务，"
    assert second.context_after == ""
    _, units = segment("clause", context_sentences=1)
    second = next(u for u in units if u.text.startswith("成立由"))
    assert second.context_after.startswith("试点保费由财政补贴")


def test_units_grow_from_clause_to_sentence_to_passage():
    counts = {unit: len(segment(unit)[1]) for unit in ("clause", "sentence", "passage")}
    assert counts["clause"] > counts["sentence"] > counts["passage"]
    _, sentences = segment("sentence")
    assert [u.text for u in sentences][:2] == [
        "集团党委将试点列入年度乡村振兴重点任务，成立由分管领导任组长的工作专班。",
        "试点保费由财政补贴、集团帮扶资金和养殖户自缴三部分构成，集团累计投入帮扶资金680万元，"
        "养殖户自缴比例控制在20%以内。",
    ]
    assert sentences[1].context_before == sentences[0].text
