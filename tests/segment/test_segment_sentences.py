"""Sentence splitting for Chinese, English and mixed text."""

from __future__ import annotations

import pytest

from pipeline.errors import SegmentError
from pipeline.segment import paragraph_language, split_sentences


def texts(text: str, lang: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, lang)]


def test_chinese_terminators_and_closing_quotes_stay_with_sentence():
    text = "他说：“我们要干！”然后走了。真的吗？？是的……好；「完了。」最后（备注。）"
    assert texts(text, "zh") == [
        "他说：“我们要干！”",
        "然后走了。",
        "真的吗？？",
        "是的……",
        "好；",
        "「完了。」",
        "最后（备注。）",
    ]


def test_chinese_half_width_terminators_and_no_split_on_decimal_point():
    text = "投入3.5万元!效果好?是的;结束"
    assert texts(text, "zh") == ["投入3.5万元!", "效果好?", "是的;", "结束"]


def test_line_break_ends_a_sentence_and_whitespace_is_trimmed():
    text = "  第一行没有句号\n 第二行。 "
    assert texts(text, "zh") == ["第一行没有句号", "第二行。"]


def test_english_sentences_with_spacy_keep_abbreviations():
    text = "The villagers were happy. Dr. Li said: it works! Did sales grow?"
    assert texts(text, "en") == [
        "The villagers were happy.",
        "Dr. Li said: it works!",
        "Did sales grow?",
    ]


def test_mixed_paragraph_splits_long_english_runs():
    text = "项目很成功。The project was a success. It helped many villagers sell apples online. 村民很满意。"
    assert texts(text, "mixed") == [
        "项目很成功。",
        "The project was a success.",
        "It helped many villagers sell apples online.",
        "村民很满意。",
    ]


def test_short_latin_words_do_not_split_a_chinese_sentence():
    text = "我们用了 GDP. 数据来衡量成效。"
    assert texts(text, "mixed") == ["我们用了 GDP. 数据来衡量成效。"]


def test_unknown_language_is_an_error():
    with pytest.raises(SegmentError, match="unknown language"):
        split_sentences("x", "fr")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("企业帮扶村里建设香菇大棚，效果明显。", "zh"),
        ("The company helped the village build greenhouses.", "en"),
        ("公司的 consumption assistance programme 覆盖了很多 villages and farmers 农户。", "mixed"),
        ("我们用了 GDP 数据。", "zh"),
        ("2023 —— 100%", "en"),
    ],
)
def test_paragraph_language(text, lang):
    assert paragraph_language(text, default="en") == lang
