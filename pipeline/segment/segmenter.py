"""The segment stage: documents -> passages (sentence windows with tokens)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pipeline.corpus.document import Document
from pipeline.errors import SegmentError
from pipeline.segment.clauses import clause_spans
from pipeline.segment.content import mask_removed, tidy
from pipeline.segment.language import paragraph_language
from pipeline.segment.paragraphs import paragraph_spans, strip_span, subtract_spans
from pipeline.segment.passage import Passage, PassageLanguage
from pipeline.segment.sentences import sentence_spans
from pipeline.segment.settings import SegmentSettings
from pipeline.segment.speakers import INTERVIEWER, find_turn_prefix
from pipeline.segment.tokens import Tokenizer
from pipeline.segment.windows import chop_long, sentence_windows


@dataclass(frozen=True)
class Unit:
    """A stretch of text passages must not cross: a paragraph, or one speaker's part of it."""

    start: int
    end: int
    paragraph: int
    lang: PassageLanguage
    speaker: str | None = None
    role: str | None = None


def _turn_units(text: str, start: int, end: int, speaker, names: frozenset[str]):
    """Split one interview paragraph at speaker prefixes. ``speaker`` is the
    ``(name, role)`` carried over from the previous paragraph; returns (spans, last speaker)."""
    spans = []
    unit_start = start
    cursor = start
    for line in text[start:end].split("\n"):
        prefix = find_turn_prefix(text, cursor, cursor + len(line), names)
        if prefix is not None:
            spans.append((unit_start, cursor, speaker))
            speaker = (prefix.speaker, prefix.role)
            unit_start = prefix.content_start
        cursor += len(line) + 1
    spans.append((unit_start, end, speaker))
    return spans, speaker


def document_units(document: Document, interviewer_names: Iterable[str] = ()) -> Iterator[Unit]:
    """Paragraphs (and, for interviews, speaker turns inside them) with their language."""
    text = document.text
    names = frozenset(interviewer_names)
    speaker = (None, None)
    for index, (p_start, p_end) in enumerate(paragraph_spans(text)):
        lang = paragraph_language(text[p_start:p_end], default=document.lang)
        if document.kind == "interview":
            spans, speaker = _turn_units(text, p_start, p_end, speaker, names)
        else:
            spans = [(p_start, p_end, (None, None))]
        for start, end, (name, role) in spans:
            start, end = strip_span(text, start, end)
            if start < end:
                yield Unit(start, end, index, lang, name, role)


def _check_removals(document: Document, removals) -> tuple[list, list]:
    """Sorted ``(start, end)`` of the block removals and of the inline ones."""
    spans: tuple[list, list] = ([], [])
    for removal in removals:
        if removal.doc_id != document.id or not 0 <= removal.start <= removal.end <= len(
            document.text
        ):
            raise SegmentError(
                f"removal {removal.start}-{removal.end} of document {removal.doc_id!r} "
                "does not belong to this document",
                unit=f"document {document.id}",
                hint="pass each document with the removals clean_corpus returned for it",
            )
        spans[bool(getattr(removal, "inline", False))].append((removal.start, removal.end))
    return sorted(spans[0]), sorted(spans[1])


def _read_as_content(document: Document, view: Document, passages: list[Passage]):
    """Passages found in the masked ``view`` as passages of ``document``: the document's
    text, and its content (:func:`~pipeline.segment.content.tidy` of the view) when that
    differs."""
    out = []
    for p in passages:
        text = document.text[p.start : p.end]
        content = tidy(view.text[p.start : p.end])
        before, after = tidy(p.context_before), tidy(p.context_after)
        if (text, before, after) == (p.text, p.context_before, p.context_after) \
                and content == text:
            out.append(p)
            continue
        out.append(dataclasses.replace(
            p, text=text, content=None if content == text else content,
            context_before=before, context_after=after,
        ))
    return out


class Segmenter:
    """Cut documents into passages: sentence windows that never cross a paragraph or a
    speaker turn, with optional context sentences and content-word tokens."""

    def __init__(self, settings: SegmentSettings | None = None) -> None:
        self.settings = settings

    def _settings(self) -> SegmentSettings:
        return self.settings if self.settings is not None else SegmentSettings()

    def _tokenizer(self) -> Tokenizer:
        s = self._settings()
        return Tokenizer(s.user_dict, s.extra_dicts, s.stopwords)

    def segment(self, document: Document, removals=()) -> list[Passage]:
        """Passages of one document, skipping the spans clean removed.

        Block removals cut the text; inline ones (markup, page furniture) are masked:
        passages are found in a view of the text with them blanked out, so a sentence
        runs across them, and the models read the passage without them
        (``Passage.content``)."""
        settings = self._settings()
        removed, inline = _check_removals(document, removals)
        view = dataclasses.replace(document, text=mask_removed(document.text, inline))
        tokenizer = self._tokenizer()
        passages = []
        shared: dict[str, str] = {}  # one object per distinct token of the document
        for unit in document_units(view, settings.interviewer_names):
            for start, end in subtract_spans(unit.start, unit.end, removed):
                passages.extend(self._piece(view, unit, start, end, tokenizer, shared))
        return _read_as_content(document, view, passages)

    def segment_all(self, results) -> Iterator[Passage]:
        """Stream passages of many ``CleanResult``s (anything with ``document`` and ``removals``)."""
        for result in results:
            yield from self.segment(result.document, result.removals)

    def _piece(self, document: Document, unit: Unit, start: int, end: int, tokenizer,
               shared: dict[str, str]):
        settings = self._settings()
        text = document.text
        start, end = strip_span(text, start, end)
        sentences = [
            piece
            for s_start, s_end in sentence_spans(text, unit.lang, start, end)
            for piece in chop_long(text, s_start, s_end, settings.max_chars)
        ]
        codable = unit.role != INTERVIEWER or settings.include_interviewer
        for p_start, p_end, c_start, c_end in coding_units(text, sentences, settings):
            yield Passage(
                id=Passage.make_id(document.id, p_start, p_end),
                doc_id=document.id,
                start=p_start,
                end=p_end,
                text=text[p_start:p_end],
                lang=unit.lang,
                paragraph=unit.paragraph,
                speaker=unit.speaker,
                speaker_role=unit.role,
                tokens=tuple(shared.setdefault(token, token) for token
                             in tokenizer.tokenize(text[p_start:p_end], unit.lang)),
                codable=codable,
                context_before=text[c_start:p_start].strip(),
                context_after=text[p_end:c_end].strip(),
            )


def coding_units(
    text: str, sentences: list[tuple[int, int]], settings: SegmentSettings
) -> Iterator[tuple[int, int, int, int]]:
    """``(start, end, context_start, context_end)`` of each coding unit of a run of sentences.

    ``unit: passage`` — windows of up to ``max_sentences`` sentences; ``sentence`` —
    one sentence each; ``clause`` — the clauses of each sentence (see
    :mod:`pipeline.segment.clauses`). The context is ``context_sentences`` whole
    sentences on each side, and for a clause also the rest of its own sentence.
    """
    ctx = settings.context_sentences
    size = 1 if settings.unit != "passage" else settings.max_sentences
    for first, last in sentence_windows(sentences, size, settings.max_chars):
        c_start = sentences[max(0, first - ctx)][0]
        c_end = sentences[min(len(sentences), last + ctx) - 1][1]
        if settings.unit != "clause":
            yield sentences[first][0], sentences[last - 1][1], c_start, c_end
            continue
        s_start, s_end = sentences[first]
        for p_start, p_end in clause_spans(text, s_start, s_end, settings.min_clause_chars):
            yield p_start, p_end, c_start, c_end
