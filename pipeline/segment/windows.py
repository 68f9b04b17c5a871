"""Sentence windows: consecutive sentences up to a count and a character cap."""

from __future__ import annotations

import re

from pipeline.segment.paragraphs import strip_span

_SOFT_BREAK = re.compile(r"[，,、：:\s]")


def chop_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than ``max_chars`` at the last comma/colon/space that fits,
    else hard at ``max_chars``."""
    pieces = []
    while end - start > max_chars:
        limit = start + max_chars
        cuts = [m.end() for m in _SOFT_BREAK.finditer(text, start + 1, limit)]
        cut = cuts[-1] if cuts else limit
        piece = strip_span(text, start, cut)
        if piece[0] < piece[1]:
            pieces.append(piece)
        start = strip_span(text, cut, end)[0]
    if start < end:
        pieces.append((start, end))
    return pieces


def sentence_windows(
    sentences: list[tuple[int, int]], max_sentences: int, max_chars: int
) -> list[tuple[int, int]]:
    """Group consecutive sentences into non-overlapping ``(first, last_exclusive)`` index
    windows of at most ``max_sentences`` sentences spanning at most ``max_chars``."""
    windows = []
    first = 0
    for i in range(1, len(sentences) + 1):
        if i == len(sentences):
            windows.append((first, i))
            break
        too_many = i - first >= max_sentences
        too_long = sentences[i][1] - sentences[first][0] > max_chars
        if too_many or too_long:
            windows.append((first, i))
            first = i
    return windows if sentences else []
