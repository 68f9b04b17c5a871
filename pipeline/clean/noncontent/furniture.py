"""Page furniture: page numbers and running headers/footers left in a text.

A page-number line is a whole line such as ``12``, ``- 12 -``, ``— 3 —``,
``第12页``, ``第 3 页 共 20 页``, ``Page 4 of 9`` or ``4/20``. A running header
or footer is a short line (at most ``HEADER_MAX_CHARS`` characters, not ending a
sentence) that stands as a whole line at least ``HEADER_MIN_REPEATS`` times in
the document once its digits are ignored ("Rural Studies 2023, 12: 45" and
"... 46" are one header). Speaker-turn lines are never headers.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.clean.noncontent.lines import Line, Span
from pipeline.segment.speakers import find_turn_prefix

HEADER_MIN_REPEATS = 3
HEADER_MAX_CHARS = 80
_DASH = r"[-–—－~]"
_PAGE_NUMBER = re.compile(
    rf"(?:{_DASH}\s*)?(?:第\s*\d{{1,4}}\s*页(?:\s*[/,，]?\s*共\s*\d{{1,4}}\s*页)?"
    r"|(?:[Pp]age|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?"
    r"|\d{1,4}(?:\s*/\s*\d{1,4})?|[ivxlc]{1,6}|[IVXLC]{1,6})"
    rf"(?:\s*{_DASH})?"
)
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"[。！？!?；;]\W*$")


def _header_key(line: Line) -> str | None:
    text = line.text
    if len(text) > HEADER_MAX_CHARS or len(_DIGITS.sub("", text).strip()) < 4:
        return None
    if _SENTENCE_END.search(text) or find_turn_prefix(text, 0, len(text)) is not None:
        return None
    return _DIGITS.sub("#", " ".join(text.split()))


def furniture_spans(lines: list[Line]) -> list[Span]:
    """Page-number lines and running headers/footers among ``lines``."""
    keys = [_header_key(line) for line in lines]
    counts = Counter(k for k in keys if k is not None)
    spans = []
    for line, key in zip(lines, keys, strict=True):
        if _PAGE_NUMBER.fullmatch(line.text):
            spans.append(Span(line.start, line.end, "page number"))
        elif key is not None and counts[key] >= HEADER_MIN_REPEATS:
            spans.append(Span(line.start, line.end, f"running header ({counts[key]} times)"))
    return spans
