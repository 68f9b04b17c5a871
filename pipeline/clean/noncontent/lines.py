"""Lines of a document's text, and the spans the non-content rules mark."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Line:
    """A non-blank line: ``start``/``end`` trimmed of whitespace, ``text`` that stretch
    of the (masked) text, ``blank_before`` when a blank line (or the document start)
    precedes it, ``blank_after`` likewise."""

    start: int
    end: int
    text: str
    blank_before: bool
    blank_after: bool


@dataclass(frozen=True)
class Span:
    """A marked span of a document: what rule of its kind recognised it."""

    start: int
    end: int
    rule: str


def text_lines(text: str) -> list[Line]:
    """Every non-blank line of ``text`` (offsets into it)."""
    found = []
    for match in _LINE.finditer(text):
        raw = match.group()
        stripped = raw.strip()
        if stripped:
            start = match.start() + (len(raw) - len(raw.lstrip()))
            found.append((start, start + len(stripped), stripped, match.start(), match.end()))
    lines = []
    for i, (start, end, stripped, raw_start, raw_end) in enumerate(found):
        before = i == 0 or text.count("\n", found[i - 1][4], raw_start) > 1
        after = i == len(found) - 1 or text.count("\n", raw_end, found[i + 1][3]) > 1
        lines.append(Line(start, end, stripped, before, after))
    return lines


def line_spans(lines: list[Line], rule: str) -> list[Span]:
    """One span per line."""
    return [Span(line.start, line.end, rule) for line in lines]
