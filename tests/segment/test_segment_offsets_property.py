"""Property: every passage's text is exactly its slice of the document text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import CleanSettings, clean_corpus
from pipeline.corpus.document import Document
from pipeline.segment import Segmenter, SegmentSettings
from pipeline.segment.content import mask_removed, tidy
from pipeline.segment.paragraphs import paragraph_spans

FRAGMENTS = [
    "乡村振兴",
    "企业",
    "帮扶",
    "驻村第一书记",
    "保险+期货",
    "The company",
    " helped farmers",
    "Dr. Li",
    "3.5",
    "。",
    "！",
    "？",
    "；",
    "……",
    "”",
    "」",
    "）",
    ".",
    "!",
    "?",
    ";",
    "，",
    ",",
    " ",
    "\u3000",
    "\t",
    "\n",
    "\n\n",
    "\n \n",
    "问：",
    "答:",
    "Q: ",
    "A:",
    "访谈者：",
    "受访者：",
    "Interviewer: ",
    "张书记：",
    "[00:12:31] ",
    "00:12 ",
    "\n问：",
    "\nA: ",
]

texts = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=texts,
    kind=st.sampled_from(["case", "interview"]),
    max_sentences=st.integers(1, 4),
    max_chars=st.integers(20, 60),
    context=st.integers(0, 2),
)
def test_passage_offsets_always_match_the_text(text, kind, max_sentences, max_chars, context):
    document = Document(id="p", kind=kind, lang="zh", text=text)
    seg = SegmentSettings(
        max_sentences=max_sentences, max_chars=max_chars, context_sentences=context
    )
    clean = CleanSettings(min_paragraph_chars=2, duplicate_min_chars=2)
    (result,) = clean_corpus([document], clean)
    passages = Segmenter(seg).segment(document, result.removals)
    # inline removals (markup, page furniture) are read across, never cut at
    view = mask_removed(text, [(r.start, r.end) for r in result.removals if r.inline])
    blocks = [r for r in result.removals if not r.inline]
    paragraphs = list(paragraph_spans(view))
    previous_end = 0
    for p in sorted(passages, key=lambda p: p.start):
        assert text[p.start : p.end] == p.text
        assert p.text and p.text == p.text.strip() and view[p.start : p.end].strip()
        assert any(a <= p.start and p.end <= b for a, b in paragraphs)  # in one paragraph
        assert len(p.text) <= max_chars
        assert p.start >= previous_end
        assert all(not (r.start < p.end and p.start < r.end) for r in blocks)
        assert p.content in (None, tidy(view[p.start : p.end]))
        assert p.context_before in tidy(view) and p.context_after in tidy(view)
        previous_end = p.end
