"""Paragraph spans of a normalized text: paragraphs are separated by blank lines,
except a blank line inside a sentence (see :mod:`pipeline.segment.wraps`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.segment.wraps import blank_goes_on

_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n\s*")


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every stretch between blank lines, whitespace trimmed."""
    cursor = 0
    for match in _BLANK_LINE.finditer(text):
        span = strip_span(text, cursor, match.start())
        if span[0] < span[1]:
            yield span
        cursor = match.end()
    span = strip_span(text, cursor, len(text))
    if span[0] < span[1]:
        yield span


def paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of every non-blank paragraph, whitespace trimmed.

    A blank line that a layout put inside a sentence does not end the paragraph
    (:func:`pipeline.segment.wraps.blank_goes_on`)."""
    current = None
    for start, end in _blocks(text):
        if current is not None:
            first_line = text.find("\n", start, end)
            line_end = end if first_line < 0 else first_line
            if blank_goes_on(text[current[0] : current[1]], text, start, line_end):
                current = (current[0], end)
                continue
            yield current
        current = (start, end)
    if current is not None:
        yield current


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
