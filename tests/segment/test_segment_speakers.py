"""Speaker-turn prefixes in every supported format."""

from __future__ import annotations

import pytest

from pipeline.segment import find_turn_prefix


def prefix(line: str, names=frozenset()):
    return find_turn_prefix(line, 0, len(line), names)


@pytest.mark.parametrize(
    ("line", "speaker", "role", "content"),
    [
        ("问：您好", "问", "interviewer", "您好"),
        ("答:好的", "答", "interviewee", "好的"),
        ("Q: Thank you.", "Q", "interviewer", "Thank you."),
        ("A：Sure.", "A", "interviewee", "Sure."),
        ("访谈者：刘主任您好", "访谈者", "interviewer", "刘主任您好"),
        ("受访者： 好的", "受访者", "interviewee", "好的"),
        ("Interviewer: Hello", "Interviewer", "interviewer", "Hello"),
        ("Interviewee: Hi", "Interviewee", "interviewee", "Hi"),
        ("张书记：我补充一点", "张书记", "interviewee", "我补充一点"),
        ("Dr. Li: Yes.", "Dr. Li", "interviewee", "Yes."),
        ("[00:12:31] 受访者：对", "受访者", "interviewee", "对"),
        ("00:12 问：然后呢", "问", "interviewer", "然后呢"),
        ("[01:02] Q: And then?", "Q", "interviewer", "And then?"),
    ],
)
def test_speaker_prefixes(line, speaker, role, content):
    found = prefix(line)
    assert found is not None
    assert (found.speaker, found.role, line[found.content_start :]) == (speaker, role, content)


@pytest.mark.parametrize(
    "line",
    ["一是定方向：把任务纳入考核", "主要有三点：", "However, this: no", "2023年：投入资金", ""],
)
def test_lines_without_speaker(line):
    assert prefix(line) is None


def test_named_interviewer_from_settings():
    assert prefix("刘老师：请讲", frozenset({"刘老师"})).role == "interviewer"
    assert prefix("刘老师：请讲").role == "interviewee"
