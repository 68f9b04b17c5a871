"""segment stage: documents -> passages (sentence windows with speaker, language, tokens)."""

from pipeline.segment.language import paragraph_language
from pipeline.segment.passage import Passage
from pipeline.segment.segmenter import Segmenter, document_units
from pipeline.segment.sentences import split_sentences
from pipeline.segment.settings import SegmentSettings
from pipeline.segment.speakers import find_turn_prefix
from pipeline.segment.tokens import Tokenizer, tokenize

__all__ = [
    "Passage",
    "SegmentSettings",
    "Segmenter",
    "Tokenizer",
    "document_units",
    "find_turn_prefix",
    "paragraph_language",
    "split_sentences",
    "tokenize",
]
