"""Normalization of ingested text into a Document's ``text``.

Every passage offset points into this text, so the steps are fixed and applied in
this order (``normalize_text``):

1. line ends: ``\\r\\n`` and ``\\r`` become ``\\n``;
2. Unicode NFC (not NFKC: Chinese full-width punctuation such as ，。：“” is kept);
3. zero-width characters, soft hyphens and byte-order marks are removed;
4. optional Traditional -> Simplified Chinese with OpenCC (config ``t2s``), then NFC again;
5. trailing whitespace is stripped from every line (leading indentation is kept);
6. runs of blank lines collapse to one blank line, so paragraphs are separated by
   exactly ``"\\n\\n"``; leading and trailing blank lines of the document are removed.

Loaders decide paragraph structure before this (TXT/PDF join lines broken
mid-sentence, see :mod:`pipeline.corpus.lines`); ``normalize_text`` is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TRAILING = re.compile(r"[ \t\u3000\u00a0\f\v]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_trailing_spaces(text: str) -> str:
    return _TRAILING.sub("", text)


@lru_cache(maxsize=1)
def _t2s_converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese with OpenCC's ``t2s`` config."""
    return _t2s_converter().convert(text)


def normalize_text(text: str, *, opencc: bool = False) -> str:
    """Apply the documented normalization steps (see the module docstring)."""
    text = normalize_newlines(text)
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    if opencc:
        text = unicodedata.normalize("NFC", to_simplified(text))
    text = strip_trailing_spaces(text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n")
