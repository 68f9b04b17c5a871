"""Plain-text files: encoding detection that refuses to guess, and CJK line joining.

Decoding order:

1. an encoding pinned in the manifest entry (``encoding:``): decoded strictly with it;
2. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE): decoded strictly;
3. strict UTF-8;
4. otherwise every candidate of :data:`CANDIDATES` (GB18030 -- which covers GBK --,
   Big5, UTF-16 LE/BE without BOM, cp1252 for Latin text) is decoded strictly and
   kept only when its text is plausible (:mod:`pipeline.corpus.plausible`) for the
   declared language, if any. Exactly one plausible reading (or several that give
   the same text) is accepted; none or several is an :class:`EncodingError` naming
   the candidates -- never mojibake.

Refusals, each an :class:`EncodingError` whose unit is the byte offset:

* a NUL or other control byte (C0 except tab, newline, vertical tab, form feed and
  carriage return; DEL; C1 in the decoded text) anywhere, in any encoding. Such a
  file is refused, not cleaned: stripping the bytes would silently change the text
  (a NUL usually means a binary, truncated or wrongly converted file);
* invalid bytes for the pinned encoding, after a byte-order mark, or in a file that
  is UTF-8 up to them (a damaged file, or a second encoding pasted in);
* mixed encodings: a run of UTF-8 Chinese inside a file in another encoding.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.corpus.lines import cjk_joint, join_lines
from pipeline.corpus.normalize import normalize_newlines, strip_trailing_spaces
from pipeline.errors import EncodingError, IngestError

if TYPE_CHECKING:
    from pipeline.corpus.plausible import Verdict

#: checked longest first (a UTF-32 LE BOM starts with the UTF-16 LE BOM)
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: the encodings tried when a file is not UTF-8 and has no BOM (GBK is within GB18030)
CANDIDATES = ("gb18030", "big5", "utf-16-le", "utf-16-be", "cp1252")
#: the candidates whose bytes below 0x80 are ASCII
ASCII_COMPATIBLE = ("gb18030", "big5", "cp1252")
#: a UTF-16 reading without BOM needs this many non-space characters
MIN_UTF16_CHARS = 4
HINT = "re-save the file as UTF-8, or pin `encoding:` in the manifest entry"
CONTROL_HINT = (
    "remove it or re-save the text from its source: files with NUL or control bytes are "
    "refused, not cleaned, so no text changes silently"
)
#: a line is a wrap candidate when it is at least this share of the file's widest line
WRAP_SHARE = 0.8
#: files whose widest line is shorter than this are never treated as hard-wrapped
MIN_WRAP_WIDTH = 16

_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_CONTROL_BYTE = re.compile(b"[\x00-\x08\x0e-\x1f\x7f]")
#: a UTF-8 accented letter or curly quote/dash touching an ASCII word ("Café", "’s")
_UTF8_LATIN = re.compile(
    rb"(?<=[A-Za-z])(?:\xc3[\x80-\xbf]|\xe2\x80[\x90-\x9f])(?=[A-Za-z]|\s)"
    rb"|(?<![A-Za-z\x80-\xff])\xc3[\x80-\xbf](?=[A-Za-z])"
)
#: two or more UTF-8 encoded CJK characters in a row
_UTF8_CJK_RUN = re.compile(b"(?:[\xe3-\xe9][\x80-\xbf]{2}){2,}")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _at(data: bytes, offset: int, ascii_lines: bool = True) -> str:
    return f"byte {offset}" + (f" (line {_line(data, offset)})" if ascii_lines else "")


def _refuse(message: str, file: Path, offset: int | None, hint: str = HINT) -> EncodingError:
    unit = None if offset is None else f"byte {offset}"
    return EncodingError(message, file=file, unit=unit, hint=hint)


def _check_controls(text: str, data: bytes, codec: str, file: Path, skip: int = 0) -> None:
    """Refuse a decoded text holding a control character, at its byte offset."""
    found = _CONTROL.search(text)
    if found is None:
        return
    ch = found.group()
    prefix = text[: found.start()]
    offset = skip + len(prefix.encode("utf-8" if codec == "utf-8-sig" else codec))
    what = "a NUL byte" if ch == "\x00" else f"a control character (U+{ord(ch):04X})"
    raise _refuse(
        f"contains {what} at byte {offset} (line {prefix.count(chr(10)) + 1})",
        file,
        offset,
        hint=CONTROL_HINT,
    )


def _strict(data: bytes, codec: str, file: Path, what: str, skip: int = 0, hint: str = HINT) -> str:
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        ascii_lines = codec.replace("_", "-") in ("utf-8", "utf-8-sig", *ASCII_COMPATIBLE)
        raise _refuse(
            f"{what}, but {_at(data, offset, ascii_lines)} is not valid {codec}",
            file,
            offset,
            hint,
        ) from None


def _decode_pinned(data: bytes, codec: str, file: Path) -> Decoded:
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        raise EncodingError(
            f"unknown encoding {codec!r}", file=file, hint="use a Python codec name, e.g. gb18030"
        ) from None
    if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        name = "utf-8-sig"
    hint = "fix `encoding:` in the manifest entry (or drop it to detect), or re-save the file"
    text = _strict(data, name, file, f"its encoding is pinned to {codec}", hint=hint)
    _check_controls(text, data, name, file, len(codecs.BOM_UTF8) if name == "utf-8-sig" else 0)
    return Decoded(text, name)


_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile("[\u3040-\u30ff]")


def _one_other_script(line: str) -> bool:
    """Korean (Hangul) or Japanese (kana with kanji) text: outside what plausibility
    judges, but not the mix of blocks that another encoding's bytes read as UTF-16 give."""
    from pipeline.corpus.plausible import is_ideograph

    letters = [ch for ch in line if ch.isalpha() and not ch.isascii()]
    if not letters or not line.isprintable():
        return False
    hangul = sum(bool(_HANGUL.match(ch)) for ch in letters)
    kana = sum(bool(_KANA.match(ch)) for ch in letters)
    kanji = sum(map(is_ideograph, letters))
    if hangul == len(letters):
        return True
    return kana + kanji == len(letters) and kana >= 0.2 * len(letters)


def _check_plausible_lines(text: str, data: bytes, codec: str, file: Path, skip: int) -> None:
    """Refuse a UTF-16/32 text with a line that reads as noise (another encoding's bytes
    after the BOM), at the byte offset of that line."""
    from pipeline.corpus.plausible import judge

    if judge(text).status != "implausible":
        return
    start = 0
    other_script = False
    for line in text.split("\n"):
        verdict = judge(line)
        if verdict.status == "implausible" and _one_other_script(line):
            other_script = True
        elif verdict.status == "implausible":
            offset = skip + len(text[:start].encode(codec))
            number = text.count("\n", 0, start) + 1
            raise _refuse(
                f"starts with a {codec} byte-order mark, but line {number} (byte {offset}) "
                f"does not read as {codec} text ({verdict.reason}): mixed encodings or a "
                "damaged file",
                file,
                offset,
            )
        start += len(line) + 1
    if other_script:
        return  # Korean or Japanese lines: not judged, and no line reads as noise
    raise _refuse(
        f"starts with a {codec} byte-order mark, but its text is not plausible "
        f"({judge(text).reason})",
        file,
        skip,
    )


def _decode_bom(data: bytes, file: Path) -> Decoded | None:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            codec = "utf-8" if encoding == "utf-8-sig" else encoding
            text = _strict(
                data, codec, file, f"it starts with a {encoding} byte-order mark", len(bom)
            )
            _check_controls(text, data, codec, file, len(bom))
            if codec != "utf-8":  # UTF-16/32 decode almost any even-length bytes
                _check_plausible_lines(text, data, codec, file, len(bom))
            return Decoded(text, encoding)
    return None


@dataclass(frozen=True)
class _Reading:
    codec: str
    text: str | None  # None: does not decode strictly
    verdict: Verdict | int  # the plausibility verdict, or where strict decoding failed


def _readings(data: bytes, lang: str | None, codecs_: tuple[str, ...]) -> list[_Reading]:
    from pipeline.corpus.plausible import Verdict, judge

    out = []
    for codec in codecs_:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            out.append(_Reading(codec, None, exc.start))
            continue
        verdict = judge(text, lang)
        if codec.startswith("utf-16") and len("".join(text.split())) < MIN_UTF16_CHARS:
            verdict = Verdict("too_short", "too short to tell UTF-16 from noise")
        out.append(_Reading(codec, text, verdict))
    return out


def _plausible(readings: list[_Reading]) -> list[_Reading]:
    return [r for r in readings if r.text is not None and r.verdict.plausible]


def _utf8_chinese_run(data: bytes) -> int | None:
    """Offset of the first two UTF-8 encoded Chinese characters in a row that are common
    characters forming a dictionary word (another encoding's text almost never does)."""
    from pipeline.corpus.plausible import dictionary

    common, _, bigrams = dictionary()
    for match in _UTF8_CJK_RUN.finditer(data):
        text = match.group().decode("utf-8", errors="replace")
        for i in range(len(text) - 1):
            pair = text[i : i + 2]
            if pair in bigrams and pair[0] in common and pair[1] in common:
                return match.start() + 3 * i
    return None


def _describe(reading: _Reading) -> str:
    if reading.text is None:
        return f"{reading.codec} (invalid at byte {reading.verdict})"
    return f"{reading.codec} ({reading.verdict.reason or reading.verdict.status})"


def _decode_unknown(data: bytes, file: Path, bad: int, lang: str | None) -> Decoded:
    """Not UTF-8 (first invalid byte at ``bad``), no BOM: candidates, refusing to guess."""
    from pipeline.corpus.plausible import judge

    readings = _readings(data, lang, CANDIDATES)
    plausible = _plausible(readings)
    utf16 = [r for r in plausible if r.codec.startswith("utf-16")]
    if len(utf16) == 1 and len({r.text for r in plausible}) == 1:
        return Decoded(utf16[0].text, utf16[0].codec)
    control = _CONTROL_BYTE.search(data)
    if control is not None:
        byte = control.group()
        what = "a NUL byte" if byte == b"\x00" else f"a control byte (0x{byte[0]:02x})"
        raise _refuse(
            f"contains {what} at {_at(data, control.start())}",
            file,
            control.start(),
            hint=CONTROL_HINT
            + (
                " (a UTF-16 file needs a byte-order mark or `encoding:`)" if byte == b"\x00" else ""
            ),
        )
    prefix = data[:bad]
    if sum(1 for b in prefix if b >= 0xC0) >= 2 and judge(prefix.decode("utf-8")).status != (
        "implausible"
    ):
        raise _refuse(
            f"is UTF-8 up to byte {bad} but not from {_at(data, bad)} on: mixed encodings "
            "or a damaged file",
            file,
            bad,
        )
    bom = data.find(codecs.BOM_UTF8, 1)
    if bom > 0:
        raise _refuse(
            f"mixed encodings: a UTF-8 byte-order mark at {_at(data, bom)} inside a file that "
            f"is not UTF-8 (byte {bad}, line {_line(data, bad)})",
            file,
            bom,
        )
    run = _utf8_chinese_run(data)
    latin = _UTF8_LATIN.search(data)
    if latin is not None and (run is None or latin.start() < run):
        run = latin.start()
        raise _refuse(
            f"mixed encodings: UTF-8 text starts at {_at(data, run)} in a file whose "
            f"other text is not UTF-8 (from byte {bad}, line {_line(data, bad)})",
            file,
            run,
        )
    if run is not None:
        raise _refuse(
            f"mixed encodings: UTF-8 Chinese starts at {_at(data, run)} in a file whose "
            f"other text is not UTF-8 (from byte {bad}, line {_line(data, bad)})",
            file,
            run,
        )
    texts = {r.text for r in plausible}
    if len(texts) == 1:
        return Decoded(plausible[0].text, plausible[0].codec)
    tried = "; ".join(_describe(r) for r in readings)
    where = _at(data, bad)
    if len(texts) > 1:
        message = (
            "encoding cannot be told apart: "
            + " and ".join(r.codec for r in plausible)
            + f" all give plausible, different text (not UTF-8 from {where})"
        )
    elif any(r.text is not None and r.verdict.status == "too_short" for r in readings):
        message = (
            f"encoding cannot be told apart: too little text to choose (not UTF-8 from "
            f"{where}; tried {tried})"
        )
    else:
        message = f"is not UTF-8 (from {where}) and no encoding gives plausible text: {tried}"
    raise _refuse(message, file, bad)


def decode_bytes(
    data: bytes, file: str | Path, *, encoding: str | None = None, lang: str | None = None
) -> Decoded:
    """Decode a text file's bytes (see the module docstring for the order).

    ``encoding`` pins the codec (from the manifest); ``lang`` (``zh``/``en``/``mixed``,
    from the manifest) narrows which readings are plausible."""
    file = Path(file)
    if not data.strip(b" \t\r\n\x00"):
        raise IngestError("file is empty", file=file, hint="remove it or add its text")
    if encoding:
        return _decode_pinned(data, encoding, file)
    found = _decode_bom(data, file)
    if found is not None:
        return found
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _decode_unknown(data, file, exc.start, lang)
    if "\x00" in text:  # UTF-16 without BOM is valid UTF-8 when it is mostly ASCII
        readings = _plausible(_readings(data, lang, ("utf-16-le", "utf-16-be")))
        if len(readings) == 1:
            return Decoded(readings[0].text, readings[0].codec)
    _check_controls(text, data, "utf-8", file)
    return Decoded(text, "utf-8")


def join_wrapped_cjk(text: str) -> str:
    """Join hard-wrapped Chinese lines: a line about as wide as the widest line that
    ends mid-sentence in a CJK character, followed by a line starting with one."""
    lines = strip_trailing_spaces(normalize_newlines(text)).split("\n")
    width = max(len(line) for line in lines)
    if width < MIN_WRAP_WIDTH:
        return "\n".join(lines)
    candidate = [len(line) >= WRAP_SHARE * width for line in lines]
    return join_lines(lines, cjk_joint, candidate)


def read_txt(path: str | Path, *, encoding: str | None = None, lang: str | None = None) -> Decoded:
    """Read a TXT file: decoded text with CJK-broken lines joined, and its encoding
    (``encoding`` and ``lang`` as for :func:`decode_bytes`)."""
    path = Path(path)
    decoded = decode_bytes(path.read_bytes(), path, encoding=encoding, lang=lang)
    if not decoded.text.strip():
        raise IngestError("file has no text", file=path)
    return Decoded(join_wrapped_cjk(decoded.text), decoded.encoding)
