"""Reference lists and citation-shaped lines.

A reference section starts at a heading line ``参考文献`` / ``主要参考文献`` /
``References`` / ``Bibliography`` / ``Works Cited`` / ``Literature Cited`` (with
or without numbering, Markdown marks or a colon) and runs to the end of the
document, or to a heading that starts a part that is not a reference list
(``附录``, ``Appendix``, ``致谢``, ``Acknowledgements``, ``作者简介``, ...).

Outside such a section a line is a reference when it is shaped like one:

* a GB/T 7714 entry — a type mark ``[J]``, ``[M]``, ``[C]``, ``[D]``, ``[N]``,
  ``[R]``, ``[EB/OL]``, ... and a year, e.g.
  ``[1] 张三. 乡村振兴研究[J]. 农业经济问题, 2021(5): 10-20.``;
* an author-first entry — it opens with authors (``Zhou, X., & Li, Y.``,
  ``Zhou X, Li Y,``, ``张三, 李四.``, optionally after ``[3]`` or ``3.``), has a
  year, and has what only a reference has: a volume(issue), a page range, a DOI
  or URL, a publisher, or ``In: ... (Eds.)``, e.g.
  ``Zhou, X., & Li, Y. (2023). Title. Journal, 12(3), 45–67.``

A sentence that cites ("Zhou and Li (2023) show that ...") has none of these
shapes and stays.
"""

from __future__ import annotations

import re

from pipeline.clean.noncontent.lines import Line, Span

_NUMBERING = r"(?:[\[(（【]?\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3}|[IVXivx]{1,5})\s*[\])）】.．、]?\s*)?"
_HEADING = re.compile(
    rf"{_NUMBERING}(?:主要参考文献|参考文献|参考资料|引用文献|文献目录|"
    r"References?(?: and Notes)?|REFERENCES|Bibliography|BIBLIOGRAPHY|Works Cited|"
    r"Literature Cited|Literature|Reference List)\s*[:：]?",
    re.IGNORECASE,
)
_AFTER = re.compile(
    rf"{_NUMBERING}(?:附录|附表|致谢|后记|作者简介|作者贡献|Appendix|Appendices|"
    r"Acknowledge?ments?|About the Authors?|Author Biograph(?:y|ies)|Supplementary)\b.{0,40}",
    re.IGNORECASE,
)
_GB7714 = re.compile(r"\[(?:J|M|C|D|N|R|S|P|A|G|Z|DB|CP|EB|J/OL|M/OL|N/OL|C/OL|EB/OL|DB/OL)\]")
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}[a-z]?(?!\d)")
_ENTRY_NUMBER = re.compile(r"^(?:[\[［]\d{1,3}[\]］]|\d{1,3}[.．])\s*")
_AUTHORS_EN = re.compile(
    r"^(?:[A-Z][A-Za-z'’\-]+(?: [A-Z][A-Za-z'’\-]+)?,? (?:[A-Z]\.?[ -]?){1,3}(?:,|\.|\s)"
    r"|[A-Z][A-Za-z'’\-]+, [A-Z][a-z]+[,.] )"
)
_AUTHORS_ZH = re.compile(r"^[\u4e00-\u9fff·]{2,5}(?:\s*[,，、]\s*[\u4e00-\u9fff·]{2,5})*\s*(?:等)?\s*[.．]")
_EVIDENCE = re.compile(
    r"\b\d{1,4}\s*[(（]\s*\d{1,4}(?:[-–]\d{1,4})?\s*[)）]"  # volume(issue)
    r"|(?<!\d)\d{4}\s*[(（]\s*\d{1,2}\s*[)）]"  # 2021(5)
    r"|\b(?:pp?\.)\s*\d|\d{1,5}\s*[-–—]\s*\d{1,5}(?!\d)"  # pages
    r"|\bdoi\b|10\.\d{4,9}/|https?://|www\."
    r"|\b(?:Press|Publish(?:ing|ers?)|Verlag|Routledge|Springer|Elsevier|Wiley|Sage)\b"
    r"|出版社|\bIn:|\(Eds?\.\)|\bVol\.",
    re.IGNORECASE,
)
MAX_ENTRY_CHARS = 600


def is_citation(text: str) -> bool:
    """Whether a line is shaped like a reference-list entry (see the module docstring)."""
    if len(text) > MAX_ENTRY_CHARS or not _YEAR.search(text):
        return False
    if _GB7714.search(text):
        return True
    body = _ENTRY_NUMBER.sub("", text, count=1)
    if not (_AUTHORS_EN.match(body) or _AUTHORS_ZH.match(body)):
        return False
    return bool(_EVIDENCE.search(body))


def _section_end(lines: list[Line], first: int) -> int:
    for j in range(first, len(lines)):
        if _AFTER.fullmatch(lines[j].text) and not is_citation(lines[j].text):
            return j
    return len(lines)


def reference_spans(lines: list[Line]) -> list[Span]:
    """Reference sections (one span each) and citation-shaped lines outside them."""
    spans: list[Span] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _HEADING.fullmatch(line.text):
            end = _section_end(lines, i + 1)
            spans.append(Span(line.start, lines[end - 1].end, f"section under {line.text!r}"))
            i = end
            continue
        if is_citation(line.text):
            spans.append(Span(line.start, line.end, "citation-shaped line"))
        i += 1
    return spans
