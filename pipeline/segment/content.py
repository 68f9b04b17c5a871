"""The text the models read: a passage without the markup (and page furniture) that
clean marked, with its hard wraps joined.

Offsets always point into the document's text, so these spans are never cut out of
it. Instead the segmenter reads a *masked view* of the text — the same length, the
masked characters turned into spaces (line breaks kept) — so sentences and passages
run across them and never begin or end inside one; what a passage's vector,
tokens and context are made from is that view, tidied by :func:`tidy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u2014\u2018-\u201d\u2026\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
                  r"\uf900-\ufaff\uff00-\uffef]")


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with every character of ``spans`` (but line breaks) replaced by a space."""
    chars = None
    for start, end in spans:
        if chars is None:
            chars = list(text)
        for i in range(max(start, 0), min(end, len(text))):
            if chars[i] != "\n":
                chars[i] = " "
    return text if chars is None else "".join(chars)


def mask_removed(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The masked view of ``text``: :func:`mask_spans`, but a span that is a whole line
    blanks the line break before it too, so the lines around a removed page header
    read as one wrapped paragraph rather than two paragraphs."""
    spans = list(spans)
    view = mask_spans(text, spans)
    breaks = [start - 1 for start, end in spans
              if start > 0 and text[start - 1] == "\n" and (end == len(text) or text[end] == "\n")]
    if not breaks:
        return view
    chars = list(view)
    for i in breaks:
        chars[i] = " "
    return "".join(chars)


def _join(match: re.Match) -> str:
    text, start, end = match.string, match.start(), match.end()
    if 0 < start and end < len(text) and _CJK.match(text[start - 1]) and _CJK.match(text[end]):
        return ""  # a wrap or a removed mark between two CJK characters
    return " "


def tidy(text: str) -> str:
    """Whitespace runs between two CJK characters removed, every other run one space,
    ends stripped: "带动\\n了" -> "带动了", "the\\n\\n  village" -> "the village"."""
    return _SPACE.sub(_join, text).strip()
