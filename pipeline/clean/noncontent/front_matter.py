"""The front matter of a paper: title, authors, affiliations, funding, keywords and the
abstract label (the abstract itself is content and stays).

*Labelled* lines are recognised by their label followed by a colon (or a label
standing alone): anywhere in a document those of funding, author notes,
correspondence, dates, classification numbers and DOIs (``基金项目：``,
``作者简介：``, ``通讯作者：``, ``收稿日期：``, ``中图分类号：``, ``DOI:``,
``Funding:``, ``Corresponding author:``, ``Received:``, ``JEL:``, "This work was
supported by the ... Foundation ..."); in the head of a document also
``摘要``/``Abstract`` (only the label goes when the abstract follows on its line)
and ``关键词``/``Keywords`` (the whole line).

The *head* of a document reaches to its last labelled line among the first
``HEAD_LINES`` lines, and never past the first body heading (``引言``,
``Introduction``, ``一、...``). Inside it, every other line that is not prose —
prose is wider than ``TITLE_MAX_WIDTH`` columns, or ends in 。！？, or ends in a
full stop after at least ``PROSE_WORDS`` words — is a title, author or
affiliation line and goes too. A document without labels in its head (a case
report under its title) keeps its head.
"""

from __future__ import annotations

import re

from pipeline.clean.noncontent.lines import Line, Span
from pipeline.segment.wraps import width

HEAD_LINES = 40
TITLE_MAX_WIDTH = 240  # columns; CJK characters count two
PROSE_WORDS = 15

_ANYWHERE = re.compile(
    r"(?:基金项目|资助项目|项目基金|基金资助|作者简介|作者信息|通讯作者|通信作者|"
    r"收稿日期|修回日期|录用日期|网络出版|中图分类号|中图法分类号|文献标识码|文章编号|"
    r"引用格式|引用本文|DOI|Funding|Funded by|Fund|Grant|Financial support|"
    r"Corresponding authors?|Correspondence|E-?mail|ORCID|Received|Accepted|Revised|"
    r"Published(?: online)?|JEL(?: classifications?| codes?)?|Author notes?|"
    r"About the authors?|Conflicts? of interest|Declaration of interest)\s*[:：]",
    re.IGNORECASE,
)
_SUPPORTED = re.compile(
    r"(?:This|The)\s+(?:work|research|study|paper|article|project)\s+(?:was|is|has been)\s+"
    r"(?:supported|funded|financed)\b.*(?:Fund|Foundation|Grant|Program|Council|No\.)",
    re.IGNORECASE,
)
_ABSTRACT = re.compile(r"(?:摘\s*要|内容提要|提要|Abstract|ABSTRACT|Summary)\s*(?:[:：]\s*|$)")
_KEYWORDS = re.compile(r"(?:关\s*键\s*词|关键字|Key\s*words?|KEYWORDS|Key\s*Words)\s*(?:[:：]|$)",
                       re.IGNORECASE)
_BODY = re.compile(
    r"(?:\d{1,2}\.?\s*|[一二三四五六七八九十]+[、.．]\s*|[IVX]{1,4}\.\s*)?"
    r"(?:引言|前言|导论|绪论|问题的提出|研究背景|Introduction|INTRODUCTION|Background)\s*$"
    r"|[一二三四五六七八九十]+、"
)


def _label(line: Line, head: bool) -> Span | None:
    text = line.text
    if _ANYWHERE.match(text) or _SUPPORTED.match(text):
        return Span(line.start, line.end, "labelled line: " + text.split("：")[0].split(":")[0][:20])
    if not head:
        return None
    if _KEYWORDS.match(text):
        return Span(line.start, line.end, "keywords line")
    label = _ABSTRACT.match(text)
    if label:
        return Span(line.start, line.start + label.end(), "abstract label")
    return None


def is_prose(text: str) -> bool:
    """Whether a head line reads as prose rather than a title/author/affiliation line."""
    core = text.rstrip("”’」』）》〉】)]\"'")
    if width(text) > TITLE_MAX_WIDTH or core.endswith(("。", "！", "？", "!", "?")):
        return True
    return core.endswith(".") and len(text.split()) >= PROSE_WORDS


def _head_end(lines: list[Line]) -> int:
    """Index after the last labelled line of the head (0: no front matter)."""
    end = 0
    for i, line in enumerate(lines[:HEAD_LINES]):
        if _BODY.match(line.text):
            break
        if _label(line, head=True) is not None:
            end = i + 1
    return end


def front_matter_spans(lines: list[Line]) -> list[Span]:
    """Labelled lines anywhere, and the title/author/affiliation lines of a head."""
    head = _head_end(lines)
    spans = []
    for i, line in enumerate(lines):
        span = _label(line, head=i < head)
        if span is None and i < head and not is_prose(line.text):
            span = Span(line.start, line.end, "title/author/affiliation line")
        if span is not None:
            spans.append(span)
    return spans
