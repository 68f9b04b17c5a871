"""Cluster keywords by class-based TF-IDF (c-TF-IDF, as in BERTopic).

All passages of a cluster form one "class document". A term's weight in class
``c`` is ``tf(t, c) * log(1 + A / f(t))``: its L1-normalized frequency in the class
times the log of the average class length ``A`` over its frequency in all classes
``f(t)``. Outliers form one extra class so that words common everywhere are pushed
down, but they get no keywords of their own.

Tokens: a passage's own ``tokens`` (set by the segment stage: jieba with the domain
dictionary for Chinese, spaCy for English) or, when it has none, the tokenizer
passed in (default: :func:`basic_tokenize`). Only word-like tokens are kept:
no whitespace, no punctuation, no numbers, no stop words, Chinese words of two or
more characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import numpy as np

Tokenizer = Callable[[str, str], Sequence[str]]

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"^(?:[{_CJK}]{{2,}}|[{_CJK}A-Za-z][{_CJK}A-Za-z0-9'\-]*[A-Za-z0-9{_CJK}])$")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_EN_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]")

# Function words and report boilerplate that carry no topic (written for groundcode).
ZH_STOPWORDS = frozenset(
    "我们 他们 你们 她们 它们 自己 一个 一些 这个 那个 这些 那些 这样 那样 这里 那里 "
    "通过 进行 开展 实现 相关 有关 以及 同时 其中 已经 不断 还是 就是 但是 因为 所以 "
    "如果 虽然 而且 并且 或者 对于 关于 由于 为了 根据 按照 可以 能够 没有 不是 什么 "
    "怎么 时候 现在 今年 去年 目前 之后 之前 以来 以上 以下 方面 工作 一起 大家 非常 "
    "比较 更加 进一步 不仅 还有 一是 二是 三是 当地 其他 各种".split()
)


def _english_stopwords() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def is_keyword_token(token: str) -> bool:
    """True for a word-like token: CJK words of 2+ chars, or Latin words (not stop words)."""
    if not _WORD.match(token):
        return False
    if _HAS_CJK.search(token):
        return token not in ZH_STOPWORDS
    return len(token) > 2 and token.lower() not in _english_stopwords()


def basic_tokenize(text: str, lang: str) -> list[str]:
    """jieba words for Chinese (and CJK runs of mixed text), lower-cased words for English."""
    if lang == "en" or not _HAS_CJK.search(text):
        return [m.group(0).lower() for m in _EN_TOKEN.finditer(text)]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [tok.lower() if tok.isascii() else tok for tok in jieba.lcut(text)]


def passage_tokens(passage, tokenizer: Tokenizer = basic_tokenize) -> list[str]:
    tokens = passage.tokens or tokenizer(passage.text, passage.lang)
    return [tok.lower() if tok.isascii() else tok for tok in tokens if is_keyword_token(tok)]


def ctfidf_keywords(
    token_lists: Sequence[Sequence[str]], labels: np.ndarray, top_n: int = 10
) -> dict[int, list[tuple[str, float]]]:
    """Top ``top_n`` (term, weight) pairs per cluster label (``-1`` = outliers, not reported)."""
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    docs = [[tok for i in np.flatnonzero(labels == c) for tok in token_lists[i]] for c in classes]
    if not any(docs):
        return {c: [] for c in classes if c >= 0}
    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens, lowercase=False)
    counts = vectorizer.fit_transform(docs).toarray().astype(np.float64)
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg_len = counts.sum() / len(classes)
    idf = np.log1p(avg_len / counts.sum(axis=0))
    weights = tf * idf
    out: dict[int, list[tuple[str, float]]] = {}
    for row, c in enumerate(classes):
        if c < 0:
            continue
        order = sorted(np.flatnonzero(weights[row] > 0), key=lambda j: (-weights[row, j], terms[j]))
        out[c] = [(str(terms[j]), float(weights[row, j])) for j in order[:top_n]]
    return out
