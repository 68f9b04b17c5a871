"""Hard wraps: line breaks and blank lines that a layout put inside a sentence.

PDF extraction, OCR and Markdown conversion break lines (and sometimes leave a
blank line, e.g. at a page break) where the sentence goes on. The text keeps them
(offsets point into it); these rules only decide whether the segmenter reads
across one. A break is read across when the text before it does not end a
sentence (nor a table row) and the text after it does not start a new block (a
numbered or bulleted item, a heading mark, a speaker turn, an indented line), and

* a single line break (inside a paragraph): the line is *wide* — at least
  ``WIDE_SHARE`` of the paragraph's widest line and ``MIN_WRAP_WIDTH`` columns
  (a short line without a full stop is a heading, a title or a list item) — or it
  ends on a clause mark, or English text goes on in lower case;
* a blank line (between paragraphs), more strictly: English text goes on in lower
  case, or the line ends on a clause mark or an English function word ("to",
  "the", ...), or it is a wide line of a wrapped paragraph (several lines), or a
  paragraph written on one line that is too long to be a heading
  (``LONG_LINE_WIDTH`` columns; CJK characters count two).

So "一、项目背景" or "II. Main Practices" followed by a blank line (or by a line
break and the body) still stand alone.
"""

from __future__ import annotations

import re

from pipeline.segment.speakers import find_turn_prefix

#: a line this share of its paragraph's widest line (or wider) may be a wrapped one
WIDE_SHARE = 0.6
#: ... and at least this many columns (CJK characters count two)
MIN_WRAP_WIDTH = 24
#: a one-line paragraph this wide is not a heading
LONG_LINE_WIDTH = 80

#: marks that end a sentence, or a lead-in (a colon opens a list or a quotation)
_ENDS = frozenset("。！？；…!?.;:：")
_CLOSERS = "”’」』）》〉】〕)]\"'*_"
_CLAUSE_END = re.compile(r"[，、,（(“‘\-–—/]$")
_WIDE_CHAR = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f"
                        r"\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")
_BLOCK_START = re.compile(
    r"""(?:
        [一二三四五六七八九十百]+[、.．]           # 一、
      | [（(][一二三四五六七八九十百\d]{1,3}[)）]   # （一） (1)
      | \d{1,2}(?:\.\d{1,2})*[、.．)）](?!\d)      # 1. 1.2 1、 1)
      | [①-⑳]
      | [IVXLC]{1,6}\.\s                          # II. Main Practices
      | [A-Za-z][.)]\s                            # a) b.
      | 第[一二三四五六七八九十百\d]+[章节条部分篇]
      | [-*+•·▪■●◆◇○]\s                           # bullets
      | [•·▪■●◆◇○]
      | \#{1,6}\s | >                             # Markdown heading, quotation
      | \|                                        # a table row
    )""",
    re.VERBOSE,
)
_TABLE_ROW = re.compile(r"\t| \| ")  # cells of a table row (DOCX tables, Markdown)
_LATIN_END = re.compile(r"[A-Za-z0-9%]$")
_LOWER_START = re.compile(r"[a-z]")
_FUNCTION_WORD = re.compile(
    r"(?:^|\s)(?:a|an|the|of|to|in|on|at|by|for|from|with|and|or|but|that|which|as|its|"
    r"their|this|these|into|between|among|through|than|is|are|was|were|has|have|had)$",
    re.IGNORECASE,
)


def width(line: str) -> int:
    """Display columns of ``line``: CJK and full-width characters count two."""
    return len(line) + len(_WIDE_CHAR.findall(line))


def ends_sentence(line: str) -> bool:
    """Whether ``line`` (stripped) ends with a full stop or a lead-in mark."""
    core = line.rstrip(_CLOSERS)
    return not core or core[-1] in _ENDS


def starts_block(text: str, start: int, end: int) -> bool:
    """Whether the line ``text[start:end]`` opens a new block (item, heading, turn, indent)."""
    if start >= end or text[start].isspace():
        return True
    if _BLOCK_START.match(text, start, end):
        return True
    return find_turn_prefix(text, start, end) is not None


def _goes_on(prev: str, text: str, start: int, end: int) -> bool:
    """The break between ``prev`` and the line ``text[start:end]`` is not a sentence end."""
    if ends_sentence(prev) or _TABLE_ROW.search(prev):
        return False
    return not starts_block(text, start, end)


def _latin_goes_on(prev: str, nxt: str) -> bool:
    return bool(_LATIN_END.search(prev) and _LOWER_START.match(nxt))


def line_goes_on(prev: str, text: str, start: int, end: int, widest: int) -> bool:
    """Read across the line break after ``prev`` (a stripped line of a paragraph whose
    widest line is ``widest`` columns) into the line ``text[start:end]``."""
    if not prev or not _goes_on(prev, text, start, end):
        return False
    if _latin_goes_on(prev, text[start]) or _CLAUSE_END.search(prev):
        return True
    columns = width(prev)
    return columns >= MIN_WRAP_WIDTH and columns >= WIDE_SHARE * widest


def blank_goes_on(before: str, text: str, start: int, end: int) -> bool:
    """Read across the blank line after the paragraph ``before`` into the line
    ``text[start:end]`` (the first line of the next paragraph)."""
    lines = before.split("\n")
    prev = lines[-1].strip()
    if not prev or not _goes_on(prev, text, start, end):
        return False
    if _latin_goes_on(prev, text[start]) or _CLAUSE_END.search(prev):
        return True
    if _LATIN_END.search(prev) and _FUNCTION_WORD.search(prev):
        return True
    columns = width(prev)
    if len(lines) > 1:
        widest = max(width(line.strip()) for line in lines)
        return columns >= MIN_WRAP_WIDTH and columns >= WIDE_SHARE * widest
    if _LATIN_END.search(prev):
        return columns >= 2 * LONG_LINE_WIDTH
    return columns >= LONG_LINE_WIDTH
