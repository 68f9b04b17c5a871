"""Paragraph spans of a normalized text (paragraphs are separated by blank lines)."""

from __future__ import annotations

import re
from collections.abc import Iterator

_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n\s*")


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of every non-blank paragraph, whitespace trimmed."""
    cursor = 0
    for match in _BLANK_LINE.finditer(text):
        span = strip_span(text, cursor, match.start())
        if span[0] < span[1]:
            yield span
        cursor = match.end()
    span = strip_span(text, cursor, len(text))
    if span[0] < span[1]:
        yield span


def subtract_spans(start: int, end: int, removed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[start, end)`` not covered by any of the sorted ``removed`` spans."""
    pieces = []
    cursor = start
    for r_start, r_end in removed:
        if r_end <= cursor or r_start >= end:
            continue
        if r_start > cursor:
            pieces.append((cursor, r_start))
        cursor = max(cursor, r_end)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces
