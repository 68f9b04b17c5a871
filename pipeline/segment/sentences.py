"""Sentence spans for Chinese, English and mixed text.

Chinese: split after 。！？；… (full- and half-width ``!?;``, ``……``), keeping closing
quotes and brackets with their sentence. English: spaCy's blank pipeline with the
rule-based ``sentencizer`` (no model download). Mixed: the Chinese splitter, then
spaCy inside long Latin runs. A line break ends a sentence unless the layout put it
inside one (a hard wrap, see :mod:`pipeline.segment.wraps`): then the sentence runs
across it and its span contains the line break.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from pipeline.errors import SegmentError
from pipeline.segment.paragraphs import strip_span
from pipeline.segment.wraps import line_goes_on, width

_ZH_END = re.compile(r"(?:[。！？；!?;]|…+|\.{3,})+[。！？；!?;…]*[”’」』）)\]】》〉\"'』]*")
_LINE = re.compile(r"[^\n]+")
_ENUMERATOR = re.compile(r"(?:[IVXLC]{1,6}|\d{1,2}(?:\.\d{1,2})*|[A-Za-z])\.\s*")
#: Latin runs at least this long inside a mixed paragraph are split like English
LONG_LATIN_RUN = 40
_LATIN_TERMINATORS = ".!?\"'"
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9\s,.;:!?'\"()\-–—%/&]*")
#: abbreviations of academic and report prose that spaCy's English tokenizer does not
#: know: without them "Li et al. (2023)" or "see Fig. 2" would end a sentence
ABBREVIATIONS = (
    "al.", "Fig.", "fig.", "Figs.", "figs.", "Eq.", "eq.", "Eqs.", "Tab.", "pp.", "Vol.",
    "vol.", "Vols.", "No.", "Nos.", "Sec.", "Ch.", "Chap.", "ed.", "eds.", "Ed.", "Eds.",
    "cf.", "Cf.", "ca.", "approx.", "resp.", "Rev.", "Suppl.",
)


@contextmanager
def _without_torch() -> Iterator[None]:
    """Keep spaCy's optional torch bridge (thinc imports torch whenever it is installed,
    ≈ 230 MB resident) out of a process that has not loaded torch: the blank rule-based
    pipeline never uses it. While inside, ``import torch`` fails as if it were not
    installed; afterwards it imports normally (the sentence-transformers embedder)."""
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # an import of it fails
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


@lru_cache(maxsize=1)
def english_pipeline():
    """``spacy.blank("en")`` (plus :data:`ABBREVIATIONS`) with a sentencizer (and a lookup lemmatizer when the
    ``spacy-lookups-data`` tables are installed), built once per process, without
    importing torch (:func:`_without_torch`)."""
    with _without_torch():
        return _build_english_pipeline()


def _build_english_pipeline():
    import spacy

    nlp = spacy.blank("en")
    for abbreviation in ABBREVIATIONS:
        nlp.tokenizer.add_special_case(abbreviation, [{"ORTH": abbreviation}])
    nlp.add_pipe("sentencizer")
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except (ValueError, OSError, ImportError):  # lookup tables not installed
        if "lemmatizer" in nlp.pipe_names:
            nlp.remove_pipe("lemmatizer")
    return nlp


def _spans_from_ends(text: str, start: int, end: int, ends: list[int]) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for cut in [*ends, end]:
        span = strip_span(text, cursor, cut)
        if span[0] < span[1]:
            spans.append(span)
        cursor = cut
    return spans


def _zh_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    ends = [m.end() for m in _ZH_END.finditer(text, start, end) if m.end() < end]
    return _spans_from_ends(text, start, end, ends)


def _en_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    doc = english_pipeline()(text[start:end])
    ends = [start + sent.start_char for sent in doc.sents][1:]
    # an enumerator is no sentence: "II. Main Practices", "3. Results"
    ends = [cut for cut in ends if not _ENUMERATOR.fullmatch(text, _line_start(text, cut), cut)]
    return _spans_from_ends(text, start, end, ends)


def _line_start(text: str, cut: int) -> int:
    stripped = text.rfind("\n", 0, cut) + 1
    while stripped < cut and text[stripped].isspace():
        stripped += 1
    return stripped


def _mixed_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    for s_start, s_end in _zh_line(text, start, end):
        ends = []
        for run in _LATIN_RUN.finditer(text, s_start, s_end):
            if run.end() - run.start() >= LONG_LATIN_RUN:
                inner = _en_line(text, run.start(), run.end())
                ends.extend(span[1] for span in inner[:-1])
                if text[inner[-1][1] - 1] in _LATIN_TERMINATORS:
                    ends.append(inner[-1][1])
        spans.extend(_spans_from_ends(text, s_start, s_end, ends))
    return spans


_SPLITTERS = {"zh": _zh_line, "en": _en_line, "mixed": _mixed_line}


def sentence_spans(text: str, lang: str, start: int = 0, end: int | None = None):
    """Sentence ``(start, end)`` offsets into ``text`` for the region ``[start, end)``."""
    splitter = _SPLITTERS.get(lang)
    if splitter is None:
        raise SegmentError(f"unknown language {lang!r}", hint="use one of: zh, en, mixed")
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for f_start, f_end in flows(text, start, end):
        spans.extend(splitter(text, f_start, f_end))
    return spans


def flows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The lines of ``text[start:end]`` (whitespace trimmed), joined where a line break
    is a hard wrap (:func:`pipeline.segment.wraps.line_goes_on`)."""
    lines = [strip_span(text, m.start(), m.end()) for m in _LINE.finditer(text, start, end)]
    lines = [(a, b) for a, b in lines if a < b]
    if len(lines) < 2:
        return lines
    widest = max(width(text[a:b]) for a, b in lines)
    out = [lines[0]]
    for a, b in lines[1:]:
        last = out[-1]
        prev = text[max(text.rfind("\n", last[0], last[1]) + 1, last[0]) : last[1]].strip()
        raw_start = max(text.rfind("\n", start, a) + 1, start)  # the indentation counts
        if line_goes_on(prev, text, raw_start, b, widest):
            out[-1] = (last[0], b)
        else:
            out.append((a, b))
    return out


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (``lang`` is ``zh``, ``en`` or ``mixed``), whitespace trimmed."""
    return sentence_spans(text, lang)
