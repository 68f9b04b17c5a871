"""Is a decoding plausible text? The check that lets encoding detection refuse to guess.

A byte string that is not UTF-8 (and has no byte-order mark) often decodes without
error in several legacy encodings; only one of them, if any, gives real text. A
reading is judged here by what it contains, never by which codec produced it:

* never plausible: U+FFFD, control characters other than tab/newline/carriage
  return/form feed/vertical tab (C0 and C1), private-use, unassigned or surrogate
  code points, and more than a trace of characters from other scripts (Hangul,
  kana, Cyrillic, box drawing, ...) or of symbols that real prose rarely uses;
* Chinese (any CJK ideograph): after Traditional→Simplified folding (OpenCC), at
  least :data:`MIN_COMMON_SHARE` of the ideographs are among the
  :data:`COMMON_SIZE` most frequent characters of jieba's dictionary, and at least
  :data:`MIN_BIGRAM_SHARE` of adjacent ideograph pairs occur inside a word of that
  dictionary (a sequence of common characters that forms no words -- Korean EUC-KR
  read as GB2312, Big5 read as GBK -- fails here); the same holds locally: every
  window of :data:`WINDOW` ideographs has :data:`LOCAL_FREQUENT` of the
  :data:`FREQUENT_SIZE` most frequent characters and a dictionary pair, so a stretch
  in another encoding inside good text fails; a rare ideograph touching an ASCII
  letter (``village抯``: cp1252 ``’s`` read as GBK) fails;
* Latin text (cp1252 readings): accented letters sit inside words that also have
  ASCII letters, never three non-ASCII characters in a row, no symbols or characters
  of other scripts glued to ASCII words (``didn＊t``, ``※We``).

Mixed-script documents (Chinese with English terms) pass: each part is judged by
its own rule. A reading with too few ideographs (or, for Latin text, too few ASCII
letters around its accented ones) to judge is ``too_short``: the caller treats it as
undecidable, not as plausible. The dictionary is jieba's own
``dict.txt`` (installed with jieba), loaded once on first use and cached.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Literal

#: how many of jieba's most frequent characters count as "common"
COMMON_SIZE = 3500
#: least share of ideographs that must be common characters
MIN_COMMON_SHARE = 0.8
#: least share of adjacent ideograph pairs that must occur inside a dictionary word
MIN_BIGRAM_SHARE = 0.3
#: fewer ideographs than this cannot tell a real reading from noise
MIN_IDEOGRAPHS = 6
#: most share of non-ASCII characters that may be "other" (other scripts, odd symbols)
MAX_OTHER_SHARE = 0.05
#: most share of a Latin text's letters that may be non-ASCII
MAX_LATIN_NON_ASCII = 0.25
#: every window of this many consecutive ideographs must pass the local bars below:
#: at least LOCAL_FREQUENT of them among the FREQUENT_SIZE most frequent characters,
#: and at least one dictionary pair when it holds WINDOW // 2 pairs or more
WINDOW = 12
WINDOW_STRIDE = 3
FREQUENT_SIZE = 1000
LOCAL_FREQUENT = 4
#: a Latin reading with non-ASCII characters needs this many ASCII letters, and this
#: many per non-ASCII character, before it counts as evidence
MIN_LATIN_LETTERS = 6
LATIN_LETTERS_PER_NON_ASCII = 3
#: adjacent ideograph pairs looked up (enough to judge; keeps huge files fast)
MAX_PAIRS = 200_000

Status = Literal["plausible", "too_short", "implausible"]

#: allowed controls in text (tab, newline, vertical tab, form feed, carriage return)
ALLOWED_CONTROLS = frozenset("\t\n\x0b\x0c\r")
#: punctuation and symbols shared by Latin and Chinese prose
COMMON_PUNCT = frozenset("\u00a0\u00b7\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022\u00ab\u00bb")
#: punctuation of Chinese prose (and full-width forms) that may touch an English word
COMMON_CJK_PUNCT = frozenset(
    "，。、；：？！（）《》〈〉“”‘’【】「」『』〔〕…—～·　．％＋－／＃＆＝＠＜＞［］｛｝＂＇"
)
#: Latin symbols real prose uses (not right before a letter, except ° before C/F)
#: (not ¡ and ¿: Big5 punctuation read as cp1252 starts with ¡)
LATIN_SYMBOLS = frozenset("\u00a9\u00ae\u00b0\u00a3\u20ac\u00a7\u00d7")
_IDEOGRAPH_CLASS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_IDEOGRAPH = re.compile(_IDEOGRAPH_CLASS + "+")
_GLUED_IDEOGRAPH = re.compile(
    rf"[A-Za-z](?P<a>{_IDEOGRAPH_CLASS})|(?P<b>{_IDEOGRAPH_CLASS})[A-Za-z]"
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f\s]{3,}")


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str = ""
    evidence: int = 0  # non-ASCII characters the verdict rests on

    @property
    def plausible(self) -> bool:
        return self.status == "plausible"


def _dictionary_path() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


@lru_cache(maxsize=1)
def dictionary() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(common characters, frequent characters, two-character sequences found inside
    words), from jieba's dictionary: characters ranked by the summed frequency of the
    words they occur in."""
    counts: Counter[str] = Counter()
    bigrams: set[str] = set()
    with open(_dictionary_path(), encoding="utf-8") as handle:
        for line in handle:
            word, _, rest = line.partition(" ")
            freq = int(rest.split(" ", 1)[0] or 0)
            for ch in word:
                counts[ch] += freq
            for i in range(len(word) - 1):
                bigrams.add(word[i : i + 2])
    ranked = [ch for ch, _ in counts.most_common(COMMON_SIZE)]
    return frozenset(ranked), frozenset(ranked[:FREQUENT_SIZE]), frozenset(bigrams)


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency
        return None
    return opencc.OpenCC("t2s")


def _fold(text: str) -> str:
    converter = _t2s()
    return text if converter is None else converter.convert(text)


def is_ideograph(ch: str) -> bool:
    return bool(_IDEOGRAPH.fullmatch(ch))


def _is_cjk_punct(ch: str) -> bool:
    """CJK punctuation and full-width forms (not half-width katakana or Hangul)."""
    code = ord(ch)
    return (
        0x3000 <= code <= 0x303F
        or 0xFF01 <= code <= 0xFF65
        or 0xFFE0 <= code <= 0xFFE6
        or 0xFE30 <= code <= 0xFE4F
    )


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


def _bad_character(chars) -> str | None:
    for ch in sorted(chars):
        category = unicodedata.category(ch)
        if ch == "\ufffd":
            return "replacement characters"
        if category == "Cc" and ch not in ALLOWED_CONTROLS:
            return f"control character U+{ord(ch):04X}"
        if category in ("Co", "Cn", "Cs"):
            return f"unassigned or private-use character U+{ord(ch):04X}"
    return None


def _rare_glued(text: str, common: frozenset[str]) -> str | None:
    """A rare ideograph touching an ASCII letter (``na飗e``, ``company乫s``): a Latin
    text's accented letters or quotes read as a double-byte encoding."""
    for match in _GLUED_IDEOGRAPH.finditer(text):
        ch = match.group("a") or match.group("b")
        if ch not in common and _fold(ch) not in common:
            return match.group()
    return None


def _chinese(text: str) -> Verdict:
    folded = _fold(text)
    runs = _IDEOGRAPH.findall(folded)
    chars = Counter("".join(runs))
    ideographs = sum(chars.values())
    if not ideographs:  # folding left none (e.g. a lone compatibility ideograph)
        return Verdict("too_short", "too few Chinese characters to judge")
    common, frequent, bigrams = dictionary()
    common_share = sum(n for ch, n in chars.items() if ch in common) / ideographs
    if common_share < MIN_COMMON_SHARE:
        return Verdict("implausible", f"only {common_share:.0%} common Chinese characters")
    glued = _rare_glued(text, common)
    if glued:
        return Verdict("implausible", f"a rare character glued to a Latin word: {glued!r}")
    pairs = [run[i : i + 2] for run in runs for i in range(len(run) - 1)][:MAX_PAIRS]
    if pairs:
        known = sum(pair in bigrams for pair in pairs) / len(pairs)
        if known < MIN_BIGRAM_SHARE:
            return Verdict("implausible", f"characters form no words ({known:.0%} known pairs)")
    if ideographs < MIN_IDEOGRAPHS or len(pairs) < MIN_IDEOGRAPHS // 2:
        return Verdict("too_short", "too few Chinese characters to judge", ideographs)
    local = _weak_window(runs, frequent, bigrams)
    if local is not None:
        return Verdict("implausible", f"a stretch of characters that form no words: {local}")
    return Verdict("plausible", evidence=ideographs)


def _weak_window(runs: list[str], frequent: frozenset[str], bigrams: frozenset[str]) -> str | None:
    """The first window of :data:`WINDOW` ideographs (in text order) that fails the local
    bars: another encoding's stretch inside otherwise good text reads as noise there."""
    chars = "".join(runs)
    n = len(chars)
    if n <= WINDOW:
        return None
    # pair[i] (i >= 1): chars[i-1:i+1] lies inside one run; known[i]: and is a dictionary pair
    pair = [1] * n
    start = 0
    for run in runs:
        pair[start] = 0
        start += len(run)
    in_dict = map(bigrams.__contains__, map(operator.add, chars, chars[1:]))
    known = [0, *(p and k for p, k in zip(pair[1:], in_dict, strict=True))]
    hits = list(accumulate(map(frequent.__contains__, chars), initial=0))
    pairs = list(accumulate(pair, initial=0))
    words = list(accumulate(known, initial=0))
    for lo in range(0, n - WINDOW + 1, WINDOW_STRIDE):
        hi = lo + WINDOW
        n_pairs = pairs[hi] - pairs[lo + 1]
        no_words = n_pairs >= WINDOW // 2 and words[hi] == words[lo + 1]
        if hits[hi] - hits[lo] < LOCAL_FREQUENT or no_words:
            return chars[lo:hi]
    return None


def _latin_word_ok(word: str) -> bool:
    non_ascii = [ch for ch in word if not ch.isascii()]
    if not any(map(_is_latin_letter, non_ascii)):
        return True  # e.g. a lone "×": symbols are judged elsewhere
    if len(word) == 1:
        return word in "àÀ"  # French "à"; other one-letter words stay suspicious
    ascii_letters = len(word) - len(non_ascii)
    if ascii_letters == 0 or len(non_ascii) * 2 > len(word):
        return False
    # an upper-case accented letter right after a lower-case letter: mojibake
    return not any(
        b.isupper() and not b.isascii() and a.islower()
        for a, b in zip(word, word[1:], strict=False)
    )


def _latin(text: str, chars: Counter[str]) -> Verdict:
    letters = sum(n for ch, n in chars.items() if ch.isalpha() and not is_ideograph(ch))
    accented = sum(n for ch, n in chars.items() if not ch.isascii() and _is_latin_letter(ch))
    if letters and accented > MAX_LATIN_NON_ASCII * letters:
        return Verdict("implausible", "too many accented letters for Latin text")
    latin_side = _IDEOGRAPH.sub(" ", text).translate(_CJK_BLANK)
    if _NON_ASCII_RUN.search(latin_side):
        return Verdict("implausible", "runs of non-ASCII characters inside Latin text")
    for match in _GLUED.finditer(text):
        symbol, after = match.group(1), match.group(2)
        if not (symbol == "°" and after in "CF"):
            return Verdict("implausible", f"symbol {symbol!r} glued to a word")
    if accented:
        for word in _ACCENTED_WORD.findall(latin_side):
            if not _latin_word_ok(word):
                return Verdict("implausible", f"word {word!r} does not look like Latin text")
    return Verdict("plausible")


#: blanks out CJK punctuation, so only Latin-side characters form non-ASCII runs
_CJK_BLANK = (
    {code: " " for code in range(0x3000, 0x3040)}
    | {code: " " for code in range(0xFF00, 0xFFF0)}
    | {ord(ch): " " for ch in COMMON_PUNCT}
)
_GLUED = re.compile("([" + "".join(sorted(LATIN_SYMBOLS)) + "])([A-Za-z])")
_ACCENTED_WORD = re.compile(r"[^\W\d_]*[\u00c0-\u024f][^\W\d_]*")


#: non-letters that may sit between two ASCII letters (don’t, well–known, a·b)
_INSIDE_WORD = frozenset("\u2019\u2018\u2013\u2014\u00b7\u00ad")


def _glued_to_latin(text: str, non_ascii: dict[str, int]) -> str | None:
    """A non-letter inside an ASCII word (``didn＊t``), or a symbol or character of
    another script next to an ASCII word (``※We``, ``Friday 〞 rain``): what one
    encoding's text looks like read in another."""
    between = [
        ch
        for ch in non_ascii
        if not ch.isalpha()
        and ch not in _INSIDE_WORD
        and ch not in COMMON_CJK_PUNCT  # "R、H", "A（B）" are ordinary Chinese
        and ch != "\u00a0"
    ]
    odd = [
        ch
        for ch in between
        if ch not in COMMON_PUNCT and ch not in LATIN_SYMBOLS and ch not in COMMON_CJK_PUNCT
    ]
    odd += [ch for ch in non_ascii if ch.isalpha() and _other_script(ch)]
    patterns = []
    if between:
        patterns.append(f"[A-Za-z][{re.escape(''.join(sorted(between)))}][A-Za-z]")
    if odd:
        escaped = re.escape("".join(sorted(odd)))
        patterns.append(f"[A-Za-z] ?[{escaped}]|[{escaped}] ?[A-Za-z]")
    found = re.search("|".join(patterns), text) if patterns else None
    return found.group() if found else None


def _other_script(ch: str) -> bool:
    return not (is_ideograph(ch) or _is_latin_letter(ch) or _is_cjk_punct(ch))


def judge(text: str, lang: str | None = None) -> Verdict:
    """Is ``text`` a plausible reading? ``lang`` (``zh``/``en``/``mixed``) narrows it:
    a reading of a file declared English must not be mostly Chinese and vice versa."""
    chars = Counter(text)
    bad = _bad_character(chars)
    if bad:
        return Verdict("implausible", bad)
    non_ascii = {ch: n for ch, n in chars.items() if not ch.isascii()}
    total = sum(non_ascii.values())
    if not total:
        if lang == "zh":
            return Verdict("implausible", "no Chinese characters in a file declared Chinese")
        return Verdict("plausible")
    ideographs = sum(n for ch, n in non_ascii.items() if is_ideograph(ch))
    other = sum(
        n
        for ch, n in non_ascii.items()
        if not (is_ideograph(ch) or _is_cjk_punct(ch) or _is_latin_letter(ch))
        and ch not in COMMON_PUNCT
        and ch not in LATIN_SYMBOLS
    )
    if other > MAX_OTHER_SHARE * total:
        return Verdict("implausible", "characters of other scripts or odd symbols")
    glued = _glued_to_latin(text, non_ascii)
    if glued:
        return Verdict("implausible", f"{glued!r} glued to a Latin word")
    letters = sum(n for ch, n in chars.items() if ch.isalpha())
    if lang == "en" and ideographs * 2 > letters:
        return Verdict("implausible", "mostly Chinese characters in a file declared English")
    if lang == "zh" and ideographs == 0:
        return Verdict("implausible", "no Chinese characters in a file declared Chinese")
    latin = _latin(text, chars)
    if not latin.plausible:
        return latin
    if ideographs:
        return _chinese(text)
    ascii_letters = sum(n for ch, n in chars.items() if ch.isascii() and ch.isalpha())
    if ascii_letters < max(MIN_LATIN_LETTERS, LATIN_LETTERS_PER_NON_ASCII * total):
        return Verdict("too_short", "too few letters around the non-ASCII characters", total)
    return Verdict("plausible", evidence=total)


__all__ = ["Verdict", "dictionary", "judge", "is_ideograph"]
