"""Normalization and language detection."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from pipeline.corpus import detect_language, normalize_text, read_document
from pipeline.io import sha256_text


def test_normalization_steps():
    raw = "\ufeff第一段，“引号”保留。  \r\n第二行\u200b文字\t\r\r\n\n\n\n第二段：ＡＢＣ１２３\r"
    assert normalize_text(raw) == "第一段，“引号”保留。\n第二行文字\n\n第二段：ＡＢＣ１２３"


def test_nfc_not_nfkc():
    decomposed = "Cafe\u0301 ，。：ｆｕｌｌ"
    out = normalize_text(decomposed)
    assert out == unicodedata.normalize("NFC", decomposed)
    assert "，。：ｆｕｌｌ" in out  # full-width forms survive


def test_opencc_is_off_by_default_and_converts_when_on(tmp_path):
    path = tmp_path / "trad.txt"
    path.write_text("國有企業幫扶鄉村產業發展。", encoding="utf-8")
    assert read_document(path).text == "國有企業幫扶鄉村產業發展。"
    simplified = read_document(path, opencc=True)
    assert simplified.text == "国有企业帮扶乡村产业发展。"
    assert simplified.sha256 == sha256_text(simplified.text)


@given(st.text(alphabet=st.sampled_from(list("中文字 \t\r\n\u200bab。，\ufeff")), max_size=60))
def test_normalize_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "\r" not in once and "\n\n\n" not in once and "\u200b" not in once


def test_detect_language():
    assert detect_language("国有企业助力乡村振兴，带动农户增收。") == "zh"
    assert detect_language("The company helped 380 households increase their income.") == "en"
    assert detect_language("我们用了 GDP 数据来衡量增长。") == "zh"
    assert (
        detect_language("集团推动产业帮扶。The cooperative model spread to six towns.") == "mixed"
    )
    assert detect_language("2023 — 120", default="en") == "en"
