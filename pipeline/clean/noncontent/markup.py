"""Markdown and HTML markup: the marks, never the words they mark.

``## 1. Introduction`` loses ``## ``, ``**bold**`` its asterisks, ``[text](url)``
its brackets and address, ``<sup>1</sup>`` (a footnote or affiliation marker) and
``![figure](x.png)`` go whole, as do HTML tags and comments, bullet marks, block
quotation marks, horizontal rules and table separator rows.
"""

from __future__ import annotations

import re

from pipeline.clean.noncontent.lines import Span

#: (rule, regex); a regex with groups marks only its groups, else the whole match
_MARKS = (
    ("heading", re.compile(r"^[ \t]{0,3}(#{1,6}[ \t]+)", re.MULTILINE)),
    ("emphasis", re.compile(r"(\*\*|__)(?=\S)[^\n]+?(?<=\S)(\1)")),
    ("emphasis", re.compile(r"(?<![*\w])(\*)(?=[^\s*])[^*\n]+?(?<=[^\s*])(\*)(?![*\w])")),
    ("image", re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")),
    ("link", re.compile(r"(\[)(?!\^)[^\]\n]+(\]\([^)\s]+(?:\s+\"[^\"\n]*\")?\))")),
    ("footnote", re.compile(r"\[\^[^\]\n]+\](?::)?")),
    ("superscript", re.compile(r"<(sup|sub)>[^<\n]{0,40}</\1>", re.IGNORECASE)),
    ("html", re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]*)?/?>", re.DOTALL)),
    # a bullet, but not the dash of a page number such as "- 12 -"
    ("bullet", re.compile(r"^[ \t]*([-*+][ \t]+)(?=\S)(?!\d{1,4}[ \t]*[-–—]?[ \t]*$)",
                          re.MULTILINE)),
    ("quote", re.compile(r"^[ \t]*(>[ \t]?)", re.MULTILINE)),
    ("rule", re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)),
    ("table", re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?)?[ \t]*$",
                         re.MULTILINE)),
)


def markup_spans(text: str) -> list[Span]:
    """Spans of markup in ``text``, sorted, not overlapping (the first rule wins)."""
    spans: list[Span] = []
    taken = bytearray(len(text))
    for rule, regex in _MARKS:
        for match in regex.finditer(text):
            groups = [i for i in range(1, (regex.groups or 0) + 1) if match.group(i)]
            if regex.groups and not groups:
                continue
            parts = [match.span(i) for i in groups] if regex.groups else [match.span()]
            if rule in ("superscript", "image", "rule", "table", "footnote"):
                parts = [match.span()]
            for start, end in parts:
                if start < end and not any(taken[start:end]):
                    taken[start:end] = b"\x01" * (end - start)
                    spans.append(Span(start, end, f"markup: {rule}"))
    return sorted(spans, key=lambda s: s.start)
