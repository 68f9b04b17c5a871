"""Figure and table captions, and the source lines under figures and tables.

A caption is a whole line that opens with the figure/table label and its number
followed by a separator (space, colon, full stop, dash) and a title:
``图1 项目实施路径``, ``表2：样本描述``, ``Figure 3. The assistance model``,
``Table 1: Summary statistics``, ``Fig. 2 Village incomes``. "表1显示……" or
"Table 1 shows that ..." are sentences about a table and stay. A source line
(``资料来源：…``, ``数据来源：…``, ``Source: …``) goes with them.
"""

from __future__ import annotations

import re

from pipeline.clean.noncontent.lines import Line, Span
from pipeline.segment.wraps import width

MAX_CAPTION_WIDTH = 200  # columns; CJK characters count two
_NUMBER = r"[0-9０-９]+[A-Za-z]?(?:[-－.．][0-9]+)?|[一二三四五六七八九十]{1,3}"
_ZH = re.compile(rf"(?:附图|附表|图表|图|表)\s*(?:{_NUMBER})(?:\s+|[：:.．、]\s*)\S")
_EN = re.compile(
    rf"(?i:Figure|Fig\.|Table|Chart|Exhibit|Map|Box|Graph)\s*(?:{_NUMBER})"
    r"(?:\s*[.:|–—-]\s*\S|\s+[A-Z(\"“‘'])"
)
_SOURCE = re.compile(r"(?:资料来源|数据来源|图片来源|来源|Sources?|Data sources?)\s*[：:]\s*\S",
                     re.IGNORECASE)


def is_caption(text: str) -> str | None:
    """What kind of caption line ``text`` is (``"caption"``, ``"source line"``) or None."""
    if width(text) > MAX_CAPTION_WIDTH:
        return None
    if _ZH.match(text) or _EN.match(text):
        return "caption"
    if _SOURCE.match(text):
        return "source line"
    return None


def caption_spans(lines: list[Line]) -> list[Span]:
    """Caption and source lines among ``lines``."""
    spans = []
    for line in lines:
        kind = is_caption(line.text)
        if kind is not None:
            spans.append(Span(line.start, line.end, kind))
    return spans
