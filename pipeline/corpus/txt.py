"""Plain-text files: encoding detection and CJK line joining.

Decoding order: a byte-order mark first (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), then
strict UTF-8, then detection with charset-normalizer limited to GB18030 (which
covers GBK), Big5 and UTF-16 LE/BE without BOM. When detection leaves more than
one candidate that decodes to different text, the file is undecidable and an
:class:`EncodingError` names it -- never mojibake.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from pipeline.corpus.lines import cjk_joint, join_lines
from pipeline.corpus.normalize import normalize_newlines, strip_trailing_spaces
from pipeline.errors import EncodingError, IngestError

#: checked longest first (a UTF-32 LE BOM starts with the UTF-16 LE BOM)
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: the only encodings detection may choose between (GBK is a subset of GB18030)
DETECTION_CANDIDATES = ("gb18030", "gbk", "big5", "utf_16_le", "utf_16_be")
#: a line is a wrap candidate when it is at least this share of the file's widest line
WRAP_SHARE = 0.8
#: files whose widest line is shorter than this are never treated as hard-wrapped
MIN_WRAP_WIDTH = 16


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def _decode_bom(data: bytes, file: Path) -> Decoded | None:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            codec = "utf-8" if encoding == "utf-8-sig" else encoding
            try:
                return Decoded(data[len(bom) :].decode(codec), encoding)
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start + len(bom)})",
                    file=file,
                    hint="re-save the file as UTF-8",
                ) from None
    return None


def _detect(data: bytes, file: Path) -> Decoded:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data, cp_isolation=list(DETECTION_CANDIDATES)))
    if not results:
        raise EncodingError(
            "is not UTF-8 and does not decode as GB18030/GBK, Big5 or UTF-16",
            file=file,
            hint="re-save the file as UTF-8",
        )
    best = results[0]
    rivals = sorted({r.encoding for r in results[1:] if str(r) != str(best)})
    if rivals:
        raise EncodingError(
            f"encoding cannot be told apart: {best.encoding} and {', '.join(rivals)} "
            "decode it to different text",
            file=file,
            hint="re-save the file as UTF-8 (or with a byte-order mark)",
        )
    return Decoded(str(best), best.encoding.replace("_", "-"))


def decode_bytes(data: bytes, file: str | Path) -> Decoded:
    """Decode a text file's bytes (see the module docstring for the order)."""
    file = Path(file)
    if not data.strip(b" \t\r\n\x00"):
        raise IngestError("file is empty", file=file, hint="remove it or add its text")
    found = _decode_bom(data, file)
    if found is not None:
        return found
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _detect(data, file)
    if "\x00" in text:  # UTF-16 without BOM is valid UTF-8 when it is mostly ASCII
        return _detect(data, file)
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


def read_txt(path: str | Path) -> Decoded:
    """Read a TXT file: decoded text with CJK-broken lines joined, and its encoding."""
    path = Path(path)
    decoded = decode_bytes(path.read_bytes(), path)
    if not decoded.text.strip():
        raise IngestError("file has no text", file=path)
    return Decoded(join_wrapped_cjk(decoded.text), decoded.encoding)
