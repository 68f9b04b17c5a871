"""Text that is not content, recognised in one document at a time.

Each kind is a rule over the document's lines (see its module); ``clean.keep``
leaves a kind in. The rules read the text with its Markdown/HTML markup masked,
so "## References" or "**Keywords:**" are recognised as well as the plain lines.
The kinds, in the order they claim text (a line claimed by one is not looked at
by the next):

* ``markup`` (:mod:`.markup`) — marks only; inline (the segmenter reads across);
* ``furniture`` (:mod:`.furniture`) — page numbers, running headers; inline;
* ``references`` (:mod:`.references`) — reference sections, citation lines;
* ``front_matter`` (:mod:`.front_matter`) — title block, labelled lines;
* ``captions`` (:mod:`.captions`) — figure/table captions and source lines.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from pipeline.clean.noncontent.captions import caption_spans
from pipeline.clean.noncontent.front_matter import front_matter_spans
from pipeline.clean.noncontent.furniture import furniture_spans
from pipeline.clean.noncontent.lines import Line, Span, text_lines
from pipeline.clean.noncontent.markup import markup_spans
from pipeline.clean.noncontent.references import is_citation, reference_spans
from pipeline.clean.removal import Removal
from pipeline.corpus.document import Document
from pipeline.segment.content import mask_spans

LineRule = Callable[[list[Line]], list[Span]]
LINE_RULES: tuple[tuple[str, LineRule], ...] = (
    ("furniture", furniture_spans),
    ("references", reference_spans),
    ("front_matter", front_matter_spans),
    ("captions", caption_spans),
)

__all__ = ["LINE_RULES", "is_citation", "noncontent_removals"]


def _unclaimed(lines: list[Line], claimed: list[tuple[int, int]]) -> list[Line]:
    return [ln for ln in lines if not any(a <= ln.start and ln.end <= b for a, b in claimed)]


def noncontent_removals(document: Document, keep: Collection[str] = ()) -> list[Removal]:
    """The removals of ``document``'s non-content text, sorted by start."""
    text = document.text
    marks = markup_spans(text)
    view = mask_spans(text, [(s.start, s.end) for s in marks])
    lines = text_lines(view)
    found: list[tuple[str, Span]] = []
    claimed: list[tuple[int, int]] = []
    for reason, rule in LINE_RULES:
        spans = rule(_unclaimed(lines, claimed))
        claimed.extend((s.start, s.end) for s in spans)
        if reason not in keep:
            found.extend((reason, s) for s in spans)
    if "markup" not in keep:
        blocks = [(s.start, s.end) for r, s in found if r != "furniture"]
        found.extend(("markup", s) for s in marks
                     if not any(a <= s.start and s.end <= b for a, b in blocks))
    found.sort(key=lambda item: (item[1].start, item[1].end))
    return [Removal(document.id, s.start, s.end, reason, s.rule, text[s.start : s.end])
            for reason, s in found]
