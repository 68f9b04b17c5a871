"""Speaker-turn prefixes of interview transcripts.

A turn starts on a line that begins with an optional timestamp (``[00:12:31]``,
``00:12``) and a speaker label followed by a full- or half-width colon:
``问：/答：``, ``Q:/A:``, ``访谈者：/受访者：``, ``Interviewer:/Interviewee:``, or a
named speaker (``张书记：``, ``王主任：``, ``Dr. Li:``). Role labels map to
``interviewer`` / ``interviewee``; named speakers are interviewees unless listed
as interviewer names in the settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INTERVIEWER = "interviewer"
INTERVIEWEE = "interviewee"

ROLE_LABELS = {
    "问": INTERVIEWER,
    "q": INTERVIEWER,
    "访谈者": INTERVIEWER,
    "采访者": INTERVIEWER,
    "访问者": INTERVIEWER,
    "主持人": INTERVIEWER,
    "记者": INTERVIEWER,
    "interviewer": INTERVIEWER,
    "moderator": INTERVIEWER,
    "答": INTERVIEWEE,
    "a": INTERVIEWEE,
    "受访者": INTERVIEWEE,
    "被访者": INTERVIEWEE,
    "interviewee": INTERVIEWEE,
    "respondent": INTERVIEWEE,
}

_TITLES = (
    "书记|副书记|支书|主任|副主任|村长|镇长|乡长|县长|市长|局长|处长|科长|所长|站长|"
    "经理|总经理|董事长|总监|主管|老师|教授|博士|先生|女士|同志|队长|组长|部长|社长|"
    "会计|委员|专员|干事|师傅|大姐|大哥|阿姨|大爷|老板|理事长"
)
_ROLE = "|".join(sorted((re.escape(k) for k in ROLE_LABELS), key=len, reverse=True))
_CJK_NAME = rf"[\u4e00-\u9fff]{{1,3}}(?:{_TITLES})|[\u4e00-\u9fff]某{{1,2}}|(?:村民|干部|受访者|访谈者)[A-Z甲乙丙丁0-9]{{1,2}}"
_EN_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s)?[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}"
_PREFIX = re.compile(
    r"[ \t\u3000]*(?:(?:\[\s*\d{1,2}:\d{2}(?::\d{2})?\s*\]|\d{1,2}:\d{2}(?::\d{2})?)[ \t\u3000]*)?"
    rf"(?P<label>(?i:{_ROLE})(?=[ \t]*[:：])|{_CJK_NAME}|{_EN_NAME})"
    r"[ \t]*[:：][ \t\u3000]*"
)


@dataclass(frozen=True)
class TurnPrefix:
    """A speaker prefix found at the start of a line; ``content_start`` follows it."""

    speaker: str
    role: str
    content_start: int


def find_turn_prefix(
    text: str, start: int, end: int, interviewer_names: frozenset[str] = frozenset()
) -> TurnPrefix | None:
    """The speaker prefix of the line ``text[start:end]``, or None if it has none."""
    match = _PREFIX.match(text, start, end)
    if match is None:
        return None
    label = match.group("label")
    role = ROLE_LABELS.get(label.lower())
    if role is None:
        role = INTERVIEWER if label in interviewer_names else INTERVIEWEE
    return TurnPrefix(speaker=label, role=role, content_start=match.end())
