"""Reading one file (or one table) into normalized :class:`Document` objects.

Loaders are dispatched by extension (:data:`LOADERS`); each returns raw text plus
format metadata, then :func:`make_document` normalizes it
(:func:`pipeline.corpus.normalize.normalize_text`), detects the language when the
caller gave none, and hashes the normalized text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.corpus.document import Document, DocumentKind, Language
from pipeline.corpus.formats import SUPPORTED_SUFFIXES, TABLE_SUFFIXES
from pipeline.corpus.language import detect_language
from pipeline.corpus.normalize import normalize_text
from pipeline.errors import IngestError
from pipeline.io import sha256_text
from pipeline.userfiles import check_size


@dataclass(frozen=True)
class RawText:
    text: str
    meta: dict[str, Any]  # format (and encoding) of the source


def _load_txt(path: Path, encoding: str | None = None, lang: str | None = None) -> RawText:
    from pipeline.corpus.txt import read_txt

    decoded = read_txt(path, encoding=encoding, lang=lang)
    return RawText(decoded.text, {"format": "txt", "encoding": decoded.encoding})


def _load_docx(path: Path, encoding: str | None = None, lang: str | None = None) -> RawText:
    from pipeline.corpus.docx_reader import read_docx

    return RawText(read_docx(path), {"format": "docx"})


def _load_pdf(path: Path, encoding: str | None = None, lang: str | None = None) -> RawText:
    from pipeline.corpus.pdf_reader import read_pdf

    return RawText(read_pdf(path), {"format": "pdf"})


#: loaders take the path, the pinned encoding and the declared language (text files
#: use both; DOCX and PDF carry their own encoding)
LOADERS: dict[str, Callable[[Path, str | None, str | None], RawText]] = {
    ".txt": _load_txt,
    ".md": _load_txt,
    ".docx": _load_docx,
    ".pdf": _load_pdf,
}


def make_document(
    text: str,
    *,
    doc_id: str,
    kind: DocumentKind = "other",
    lang: Language | None = None,
    meta: Mapping[str, Any] | None = None,
    source: str = "",
    opencc: bool = False,
    file: str | Path | None = None,
    unit: str | None = None,
) -> Document:
    """Normalize ``text`` into a Document; empty text is an IngestError at ``file``/``unit``."""
    normalized = normalize_text(text, opencc=opencc)
    if not normalized.strip():
        raise IngestError("no text after normalization", file=file or source, unit=unit)
    return Document(
        id=doc_id,
        kind=kind,
        lang=lang or detect_language(normalized),
        text=normalized,
        meta=dict(meta or {}),
        source=source,
        sha256=sha256_text(normalized),
    )


def _check_file(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type '{suffix or '(none)'}'",
            file=path,
            hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}",
        )
    if not path.is_file():
        raise IngestError("file not found", file=path)
    if path.stat().st_size == 0:
        raise IngestError("file is empty", file=path, hint="remove it or add its text")
    check_size(path, error=IngestError, what="file")
    return suffix


def read_document(
    path: str | Path,
    *,
    doc_id: str | None = None,
    kind: DocumentKind = "other",
    meta: Mapping[str, Any] | None = None,
    opencc: bool = False,
    lang: Language | None = None,
    source: str | None = None,
    encoding: str | None = None,
) -> Document:
    """Read one TXT/MD/DOCX/PDF file. ``doc_id`` defaults to the file name without
    extension, ``source`` to the path; ``lang`` is detected when not given (and, when
    given, narrows which encodings are plausible); ``encoding`` pins a TXT/MD codec."""
    path = Path(path)
    suffix = _check_file(path)
    if suffix in TABLE_SUFFIXES:
        raise IngestError(
            "a table holds one document per row", file=path, hint="read it with read_table()"
        )
    raw = LOADERS[suffix](path, encoding, lang)
    return make_document(
        raw.text,
        doc_id=doc_id or path.stem,
        kind=kind,
        lang=lang,
        meta={**(meta or {}), **raw.meta},
        source=source or str(path),
        opencc=opencc,
        file=path,
    )
