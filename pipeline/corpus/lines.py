"""Joining lines that a layout broke in the middle of a sentence (TXT and PDF).

A *joint* function looks at the end of one line and the start of the next and
returns the string to put between them (``""`` or ``" "``), :data:`DROP_HYPHEN`
for an English word hyphenated across the line, or ``None`` to keep the line break.
Loaders decide which lines are candidates (a TXT line as long as the wrapped lines
around it, a PDF line that reaches the right margin) and call :func:`join_lines`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

Joint = Callable[[str, str], "str | None"]

#: sentinel joint: remove the trailing hyphen and join with nothing
DROP_HYPHEN = "\x00-"

_CJK_CHAR = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
    r"\u3001-\u303f\uff01-\uff60\uffe0-\uffe6]"
)
#: sentence-final punctuation: a line ending in one of these keeps its line break
SENTENCE_FINAL = "。！？；…!?"
#: closing quotes/brackets that may follow sentence-final punctuation
_CLOSERS = "”’」』）》〉】〕)\"'"
_HYPHENATED = re.compile(r"[A-Za-z]-$")
_LATIN_END = re.compile(r"[A-Za-z0-9,;:%)\"'’”]$")
_LATIN_SENTENCE_END = re.compile(r"[.!?:][\"'’”)]?$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\"'‘“]")


def is_cjk(char: str) -> bool:
    """A CJK ideograph or CJK/full-width punctuation (not the ideographic space)."""
    return bool(_CJK_CHAR.match(char))


def ends_sentence(line: str) -> bool:
    core = line.rstrip(_CLOSERS)
    return bool(core) and core[-1] in SENTENCE_FINAL


def cjk_joint(prev: str, nxt: str) -> str | None:
    """Join with nothing when a CJK line breaks mid-sentence before a CJK line."""
    if not prev or not nxt or nxt[0].isspace():
        return None
    if is_cjk(prev[-1]) and is_cjk(nxt[0]) and not ends_sentence(prev):
        return ""
    return None


def latin_joint(prev: str, nxt: str) -> str | None:
    """English wrapping: de-hyphenate ``exam-`` + ``ple``, otherwise join with a space."""
    if not prev or not nxt or nxt[0].isspace():
        return None
    if _HYPHENATED.search(prev) and nxt[0].islower():
        return DROP_HYPHEN
    if (_LATIN_END.search(prev) or _LATIN_SENTENCE_END.search(prev)) and _LATIN_START.match(nxt):
        return " "
    return None


def wrap_joint(prev: str, nxt: str) -> str | None:
    """PDF lines: CJK rule first, then mixed CJK/Latin boundaries, then the English rule."""
    if not prev or not nxt or nxt[0].isspace():
        return None
    if is_cjk(prev[-1]) or is_cjk(nxt[0]):
        if ends_sentence(prev):
            return None
        return ""
    return latin_joint(prev, nxt)


def join_lines(lines: Sequence[str], joint: Joint, candidate: Sequence[bool]) -> str:
    """Join ``lines`` with ``\\n`` except where ``candidate[i]`` and ``joint`` say to join
    line ``i`` with line ``i + 1``."""
    if not lines:
        return ""
    out = [lines[0]]
    for i in range(1, len(lines)):
        glue = joint(out[-1], lines[i]) if candidate[i - 1] else None
        if glue is None:
            out.append("\n" + lines[i])
        elif glue == DROP_HYPHEN:
            out[-1] = out[-1][:-1]
            out.append(lines[i])
        else:
            out.append(glue + lines[i])
    return "".join(out)
