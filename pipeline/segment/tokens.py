"""Word tokens: jieba (precise mode) for Chinese, spaCy for English.

jieba runs in a private ``jieba.Tokenizer`` (never the global one) loaded with the
bundled domain dictionary ``configs/userdict.txt`` (or ``user_dict``) plus any
``extra_dicts`` - e.g. a researcher's own lexicon, or the SIGHAN training word list
in the benchmark. Tokenizers and stop-word lists are built once per process.
English tokens are lower-cased spaCy tokens, lemmatized through spaCy's lookup
lemmatizer when ``spacy-lookups-data`` is installed. Stop words, punctuation,
whitespace and tokens without any letter (pure numbers, symbols) are dropped.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pipeline.errors import SegmentError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DEFAULT_USER_DICT = CONFIGS / "userdict.txt"
DEFAULT_STOPWORDS = CONFIGS / "stopwords"


def _require_file(path: Path, what: str) -> Path:
    if not path.exists():
        raise SegmentError(
            f"{what} not found", file=path, hint="fix the path in the segment settings"
        )
    return path


def _read_list(path: Path, what: str) -> str:
    """A word list's text, decoded like a corpus file (UTF-8, GB18030, ...)."""
    from pipeline.userfiles import read_text

    return read_text(path, error=SegmentError, what=what).text


@lru_cache(maxsize=8)
def _jieba(dicts: tuple[Path, ...]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for path in dicts:
        text = _read_list(_require_file(path, "jieba dictionary"), "jieba dictionary")
        try:
            tokenizer.load_userdict(io.StringIO(text))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SegmentError(
                f"not a jieba dictionary: {exc}",
                file=path,
                hint="one entry per line: word [frequency] [part-of-speech], UTF-8",
            ) from None
    return tokenizer


@lru_cache(maxsize=8)
def load_stopwords(path: Path) -> frozenset[str]:
    """Stop words from a file, or from every ``*.txt`` in a folder (one per line, ``#`` comments)."""
    path = _require_file(path, "stop-word list")
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    words = set()
    for file in files:
        for line in _read_list(file, "stop-word list").splitlines():
            word = line.split("#", 1)[0].strip()
            if word:
                words.add(word.lower())
    return frozenset(words)


_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _lemma_table():
    from pipeline.segment.sentences import english_pipeline

    nlp = english_pipeline()
    if "lemmatizer" not in nlp.pipe_names:
        return {}
    return nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    """The lookup lemma of a lower-cased ASCII word (itself without lookup tables)."""
    lemma = _lemma_table().get(word, word)
    return lemma if _LETTER.search(lemma) else word  # the table maps "first" to "1"


class Tokenizer:
    """Word tokenizer for ``zh`` / ``en`` / ``mixed`` text.

    ``user_dict`` replaces the bundled domain dictionary; ``extra_dicts`` are loaded
    after it; ``stopwords`` is a file or a folder of ``*.txt`` lists.
    """

    def __init__(
        self,
        user_dict: Path | None = None,
        extra_dicts: Iterable[Path] = (),
        stopwords: Path | None = None,
    ) -> None:
        self.user_dict = user_dict
        self.extra_dicts = tuple(extra_dicts)
        self.stopwords = stopwords

    def _dicts(self) -> tuple[Path, ...]:
        first = Path(self.user_dict) if self.user_dict is not None else DEFAULT_USER_DICT
        return (first, *(Path(p) for p in self.extra_dicts))

    def cut(self, text: str) -> list[str]:
        """jieba precise-mode words of ``text``, nothing removed (for word-segmentation scoring)."""
        return _jieba(self._dicts()).lcut(text)

    def tokenize(self, text: str, lang: str) -> list[str]:
        """Content-word tokens: no stop words, punctuation, whitespace or letter-less tokens.

        The text is read as the models read it (:func:`pipeline.segment.content.tidy`):
        a word wrapped over a line break ("保险\n公司") is one word."""
        from pipeline.segment.content import tidy

        text = tidy(text)
        stop = load_stopwords(Path(self.stopwords or DEFAULT_STOPWORDS))
        if lang == "en":
            from pipeline.segment.sentences import english_pipeline

            words = [t.text for t in english_pipeline().make_doc(text)]
        elif lang in ("zh", "mixed"):
            words = self.cut(text)
        else:
            raise SegmentError(f"unknown language {lang!r}", hint="use one of: zh, en, mixed")
        out = []
        for word in words:
            if not _LETTER.search(word):
                continue
            if word.isascii():
                word = _lemma(word.lower())
            if word not in stop:
                out.append(word)
        return out

    def warm_up(self) -> Tokenizer:
        """Load jieba, the dictionaries and the stop words now (they are cached)."""
        _jieba(self._dicts())
        load_stopwords(Path(self.stopwords or DEFAULT_STOPWORDS))
        return self


@lru_cache(maxsize=1)
def default_tokenizer() -> Tokenizer:
    return Tokenizer()


def tokenize(text: str, lang: str) -> list[str]:
    """Tokens of ``text`` with the bundled dictionary and stop words (see :class:`Tokenizer`)."""
    return default_tokenizer().tokenize(text, lang)
