"""Paragraph language by script share: Chinese (CJK), English (Latin) or mixed.

A tiny stand-in until ``pipeline.corpus.language.detect_language`` exists; it only
counts letters, so it is deterministic and needs no model.
"""

from __future__ import annotations

import re

from pipeline.segment.passage import PassageLanguage

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

#: a paragraph is "zh" / "en" when that script has at least this share of its letters
DOMINANT_SHARE = 0.8
#: Latin letters weigh less than CJK characters (an English word carries ~5 letters)
LATIN_WEIGHT = 0.25


def paragraph_language(text: str, default: PassageLanguage = "zh") -> PassageLanguage:
    """``zh``, ``en`` or ``mixed`` by the share of CJK characters vs Latin letters.

    Latin letters count a quarter each, so "我们用了 GDP 数据" stays Chinese while
    a Chinese paragraph with a full English sentence becomes ``mixed``. Text without
    letters of either script gets ``default``.
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text)) * LATIN_WEIGHT
    total = cjk + latin
    if total == 0:
        return default
    if cjk / total >= DOMINANT_SHARE:
        return "zh"
    if latin / total >= DOMINANT_SHARE:
        return "en"
    return "mixed"
