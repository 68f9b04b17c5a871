"""Tokens: jieba with the domain dictionary, spaCy for English, no stop words."""

from __future__ import annotations

import jieba
import pytest

from pipeline.errors import SegmentError
from pipeline.segment import Tokenizer, tokenize
from pipeline.segment.tokens import DEFAULT_STOPWORDS, load_stopwords


def test_domain_terms_stay_whole():
    tokens = tokenize("驻村第一书记推动村党支部领办合作社，并开展保险+期货试点和消费帮扶。", "zh")
    assert {"驻村第一书记", "村党支部领办合作社", "保险+期货", "消费帮扶"} <= set(tokens)


def test_no_stop_words_punctuation_whitespace_or_numbers():
    tokens = tokenize("我们的 企业，在2023年 投入了 680万元！\n这是 乡村振兴。", "zh")
    stop = load_stopwords(DEFAULT_STOPWORDS)
    assert tokens
    assert not set(tokens) & stop
    assert all(t.strip() == t and t for t in tokens)
    assert not any(t in "，。！ \n" or t.isdigit() for t in tokens)
    assert "乡村振兴" in tokens and "企业" in tokens


def test_english_tokens_are_lower_case_lemmas_without_stop_words():
    tokens = tokenize(
        "The Villagers were running cooperatives, and Companies bought 3 apples!", "en"
    )
    assert tokens == ["villager", "run", "cooperative", "company", "buy", "apple"]


def test_private_tokenizer_leaves_global_jieba_alone():
    tokenize("村党支部领办合作社", "zh")
    assert "村党支部领办合作社" not in jieba.lcut("村党支部领办合作社")


def test_extra_dictionary_adds_words(tmp_path):
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("蓝莓深加工车间\n", encoding="utf-8")
    text = "村里建成蓝莓深加工车间"
    assert "蓝莓深加工车间" not in Tokenizer().cut(text)
    assert "蓝莓深加工车间" in Tokenizer(extra_dicts=[lexicon]).cut(text)


def test_custom_stop_word_file(tmp_path):
    stop = tmp_path / "stop.txt"
    stop.write_text("# mine\n企业\n", encoding="utf-8")
    tokens = Tokenizer(stopwords=stop).tokenize("企业帮扶了村庄", "zh")
    assert "企业" not in tokens and "的" not in stop.read_text(encoding="utf-8")


def test_missing_dictionary_names_the_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(SegmentError, match="nope.txt"):
        Tokenizer(extra_dicts=[missing]).cut("乡村")


def test_unknown_language_is_an_error():
    with pytest.raises(SegmentError):
        tokenize("x", "de")
