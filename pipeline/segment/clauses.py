"""Clause spans inside a sentence: the unit a human coder marks in Chinese case texts.

A clause ends after ``，；：`` (and ``, ; :`` in Latin text) when the mark is not
inside brackets or quotes and is not a thousands separator (``1,000``). The
enumeration comma ``、`` never ends a clause: it separates items of one list.
Pieces shorter than the minimum are joined to their neighbour, so no clause is a
bare adverbial ("同时，", "In 2021,"). Chinese length is counted in characters;
Latin text carries about three times fewer ideas per character, so an English
clause needs ``LATIN_FACTOR`` times as many characters.
"""

from __future__ import annotations

import re

from pipeline.segment.paragraphs import strip_span
from pipeline.segment.windows import CLAUSE_MARKS, clause_cuts

#: the kinds of clause_cuts that end a clause (the enumeration comma 、 does not)
ENUMERATION = CLAUSE_MARKS.index("、")

#: English (and other Latin-script) clauses need this many times the Chinese minimum
LATIN_FACTOR = 3
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _cut_points(text: str, start: int, end: int) -> list[int]:
    """Offsets just after each ``，；：`` / ``, ; :`` of ``text[start:end]`` outside brackets
    and quotes (the clause marks :func:`~pipeline.segment.windows.clause_cuts` finds,
    without the enumeration comma and the spaces between words)."""
    cuts = clause_cuts(text, start, end)
    return sorted(c for kind in cuts[:ENUMERATION] for c in kind)


def clause_length(piece: str) -> float:
    """Length on the Chinese scale: CJK characters count 1, other non-space ones 1/3."""
    cjk = len(_CJK.findall(piece))
    other = sum(1 for ch in piece if not ch.isspace()) - cjk
    return cjk + other / LATIN_FACTOR


def clause_spans(text: str, start: int, end: int, min_chars: int) -> list[tuple[int, int]]:
    """Clause ``(start, end)`` offsets of the sentence ``text[start:end]``, whitespace trimmed.

    Every character of the sentence (but surrounding whitespace) lies in exactly
    one clause, in order. A sentence with no admissible cut is one clause.
    """
    pieces: list[list[int]] = []
    cursor = start
    for cut in [*_cut_points(text, start, end), end]:
        piece = strip_span(text, cursor, cut)
        cursor = cut
        if piece[0] >= piece[1]:
            continue
        if pieces and clause_length(text[pieces[-1][0] : pieces[-1][1]]) < min_chars:
            pieces[-1][1] = piece[1]  # a short piece is joined to the next one
        else:
            pieces.append(list(piece))
    if len(pieces) > 1 and clause_length(text[pieces[-1][0] : pieces[-1][1]]) < min_chars:
        last = pieces.pop()
        pieces[-1][1] = last[1]  # a short last piece is joined to the one before
    return [(a, b) for a, b in pieces]
