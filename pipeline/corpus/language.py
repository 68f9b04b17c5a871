"""Document/paragraph language by script share: ``zh`` (CJK), ``en`` (Latin) or ``mixed``.

A small pure function so every stage labels text the same way; it counts letters
only, needs no model and is deterministic.
"""

from __future__ import annotations

import re
from typing import Literal

LanguageLabel = Literal["zh", "en", "mixed"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

#: text is ``zh`` / ``en`` when that script has at least this share of the weighted letters
DOMINANT_SHARE = 0.8
#: a Latin letter weighs a quarter of a CJK character (an English word has ~5 letters,
#: a Chinese word ~1.5 characters), so "我们用了 GDP 数据" stays Chinese
LATIN_WEIGHT = 0.25


def script_counts(text: str) -> tuple[int, int]:
    """Number of CJK ideographs and of Latin letters in ``text``."""
    return len(_CJK.findall(text)), len(_LATIN.findall(text))


def detect_language(text: str, default: LanguageLabel = "zh") -> LanguageLabel:
    """``zh``, ``en`` or ``mixed`` by the weighted share of CJK vs Latin letters.

    Text with letters of neither script (empty, digits only) gets ``default``.
    """
    cjk, latin_letters = script_counts(text)
    latin = latin_letters * LATIN_WEIGHT
    total = cjk + latin
    if total == 0:
        return default
    if cjk / total >= DOMINANT_SHARE:
        return "zh"
    if latin / total >= DOMINANT_SHARE:
        return "en"
    return "mixed"
