"""Reading the user's files: size caps, zip caps, one encoding detection, our errors.

Every reader of a file the user gives (corpus files, manifests, configs, codebooks,
codings, passages and suggestion tables) goes through here:

* :func:`read_bytes` refuses a file larger than ``max_file_mb`` before loading it;
* :func:`read_text` decodes through the corpus reader's encoding detection
  (:func:`pipeline.corpus.txt.decode_bytes`: BOM, UTF-8, then GB18030/Big5/UTF-16/
  cp1252 only when exactly one gives plausible text; NUL/control bytes and mixed
  encodings refused at their byte offset; never mojibake);
* :func:`check_archive` refuses a zip (.docx, .xlsx, .qdpx) whose members would
  inflate past ``max_inflated_mb`` or land outside the archive, before anything
  is inflated (zipfile never inflates past a member's declared size);
* :func:`xml_bytes` lets an XML document that declares its encoding keep it and
  decodes one that does not like any other text file.

Failures are the caller's error class (``ConfigError``, ``CodebookError``, ...)
naming the file; a cap's message names the limit and how to raise it. The limits
come from :class:`ReadLimits` (defaults, or the ``GROUNDCODE_MAX_FILE_MB`` /
``GROUNDCODE_MAX_INFLATED_MB`` environment variables; ``groundcode agree`` also
takes ``--max-file-mb`` / ``--max-inflated-mb``).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.errors import ConfigError, GroundcodeError, IngestError

ENV_MAX_FILE_MB = "GROUNDCODE_MAX_FILE_MB"
ENV_MAX_INFLATED_MB = "GROUNDCODE_MAX_INFLATED_MB"
MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much of a user's file may be loaded (``max_file_mb``) and how much a zip
    archive may inflate to (``max_inflated_mb``, the members read together)."""

    max_file_mb: float = 512.0
    max_inflated_mb: float = 100.0

    def __post_init__(self) -> None:
        for name in ("max_file_mb", "max_inflated_mb"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be a positive number of megabytes")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        environ = os.environ if environ is None else environ
        values = {}
        for key, name in (
            (ENV_MAX_FILE_MB, "max_file_mb"),
            (ENV_MAX_INFLATED_MB, "max_inflated_mb"),
        ):
            if environ.get(key, "").strip():
                try:
                    values[name] = float(environ[key])
                except ValueError:
                    raise ConfigError(
                        f"{key}={environ[key]!r} is not a number of megabytes", unit=key
                    ) from None
        return cls(**values)


def _limits(limits: ReadLimits | None) -> ReadLimits:
    return ReadLimits.from_env() if limits is None else limits


def _mb(size: float) -> str:
    return f"{size / MB:.1f} MB"


def check_size(
    path: Path, *, error: type[GroundcodeError], what: str, limits: ReadLimits | None = None
) -> int:
    """The file's size in bytes; an ``error`` when it is missing or over the file limit."""
    limit = _limits(limits).max_file_mb
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(f"{what} not found", file=path) from None
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=path) from None
    if not path.is_file():
        raise error(f"{what} is not a file", file=path)
    if size > limit * MB:
        raise error(
            f"{what} is {_mb(size)}, over the {limit:g} MB limit for a file that is loaded whole",
            file=path,
            hint=f"raise the limit with {ENV_MAX_FILE_MB}=<megabytes> (groundcode agree: "
            "--max-file-mb) if the file is genuine.",
        )
    return size


def read_bytes(
    path: str | Path,
    *,
    error: type[GroundcodeError],
    what: str = "file",
    limits: ReadLimits | None = None,
) -> bytes:
    """The file's bytes, after :func:`check_size`."""
    path = Path(path)
    check_size(path, error=error, what=what, limits=limits)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=path) from None


def read_text(
    path: str | Path,
    *,
    error: type[GroundcodeError],
    what: str = "file",
    limits: ReadLimits | None = None,
):
    """The file decoded like a corpus TXT file (a :class:`Decoded`: ``text``, ``encoding``).

    An empty file is an ``error``; an undecidable one the corpus reader's
    :class:`~pipeline.errors.EncodingError`.
    """
    path = Path(path)
    return decode(read_bytes(path, error=error, what=what, limits=limits), path, error=error)


def decode(data: bytes, file: str | Path, *, error: type[GroundcodeError]):
    """:func:`pipeline.corpus.txt.decode_bytes`, its plain ingest errors as ``error``."""
    from pipeline.corpus.txt import decode_bytes

    try:
        return decode_bytes(data, file)
    except IngestError as exc:
        if type(exc) is not IngestError or error is IngestError:
            raise  # EncodingError and friends keep their own code
        raise error(exc.message, file=exc.file, unit=exc.unit, hint=exc.hint) from None


def check_archive(
    path: Path,
    *,
    error: type[GroundcodeError],
    what: str,
    members: Sequence[str] | None = None,
    limits: ReadLimits | None = None,
) -> None:
    """Refuse a zip whose entries point outside it, or whose ``members`` (default: all
    of them) would inflate past ``max_inflated_mb`` together. Nothing is inflated."""
    limits = _limits(limits)
    check_size(path, error=error, what=what, limits=limits)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise error(f"cannot read {what}: not a zip archive ({exc})", file=path) from None
    check_zip_names(path, [info.filename for info in infos], error=error)
    chosen = [i for i in infos if members is None or i.filename in set(members)]
    total = sum(info.file_size for info in chosen)
    if total > limits.max_inflated_mb * MB:
        largest = max(chosen, key=lambda info: info.file_size)
        raise error(
            f"{what} inflates to {_mb(total)} ({largest.filename}: {_mb(largest.file_size)}), "
            f"over the {limits.max_inflated_mb:g} MB limit",
            file=path,
            unit=f"entry {largest.filename}",
            hint=f"raise the limit with {ENV_MAX_INFLATED_MB}=<megabytes> (groundcode agree: "
            "--max-inflated-mb) if the file is genuine.",
        )


def check_zip_names(path: Path, names: Sequence[str], *, error: type[GroundcodeError]) -> None:
    """Refuse archives whose entries would land outside the extraction folder."""
    for name in names:
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
            raise error(
                f"zip entry {name!r} points outside the archive; refusing to read it",
                file=path,
                unit=f"entry {name}",
                hint="re-export the file from the program that wrote it.",
            )


def read_member(
    path: Path,
    name: str,
    *,
    error: type[GroundcodeError],
    what: str,
    limits: ReadLimits | None = None,
) -> bytes:
    """One member of a zip archive, after :func:`check_archive` on it."""
    check_archive(path, error=error, what=what, members=[name], limits=limits)
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(name)
    except KeyError:
        raise error(f"no {name} inside the {what}", file=path) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError,
            zlib.error) as exc:
        raise error(f"cannot inflate {name} ({exc})", file=path, unit=f"entry {name}") from None


_DECLARED = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=", re.IGNORECASE)
_DECLARATION_ENCODING = re.compile(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']")


def xml_bytes(data: bytes, file: str | Path, *, error: type[GroundcodeError]) -> bytes:
    """XML bytes for lxml: as they are when an ASCII-compatible declaration names the
    encoding (the XML rule); otherwise decoded like a text file and given as UTF-8."""
    if _DECLARED.match(data):
        return data
    text = decode(data, file, error=error).text
    return _DECLARATION_ENCODING.sub(r"\1", text, count=1).encode("utf-8")


TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".parquet")


def read_frame(
    path: str | Path,
    *,
    error: type[GroundcodeError],
    what: str,
    limits: ReadLimits | None = None,
    strings: bool = True,
):
    """A CSV/TSV (decoded by :func:`read_text`), XLSX/XLSM (first sheet, after
    :func:`check_archive`) or Parquet table as a pandas DataFrame.

    ``strings``: every CSV/XLSX cell as text (empty cells ""), else pandas' types.
    A header without rows is an empty frame; the caller says whether that is fine.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise error(
            f"unknown table format {suffix or '(none)'!r}",
            file=path,
            hint=f"use one of {', '.join(TABLE_SUFFIXES)}.",
        )
    if suffix == ".parquet":
        return _read_parquet(path, error=error, what=what, limits=limits)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, error=error, what=what, limits=limits, strings=strings)
    text = read_text(path, error=error, what=what, limits=limits).text
    return _parse_csv(
        text, path, sep="\t" if suffix == ".tsv" else ",", error=error, strings=strings
    )


def _parse_csv(text: str, path: Path, *, sep: str, error, strings: bool):
    import io

    import pandas as pd

    options = {"dtype": str, "keep_default_na": False} if strings else {}
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, **options)
    except pd.errors.EmptyDataError:
        raise error("no header row", file=path, unit="line 1") from None
    except (pd.errors.ParserError, ValueError) as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise error(
            f"not a readable table: {exc}".strip(),
            file=path,
            unit=f"line {found.group(1)}" if found else None,
            hint="quote cells that contain the separator or line breaks.",
        ) from None


def _read_excel(path: Path, *, error, what: str, limits, strings: bool):
    import pandas as pd

    check_archive(path, error=error, what=what, limits=limits)
    try:
        frame = pd.read_excel(path, dtype=str if strings else None)
    except Exception as exc:  # openpyxl raises many unrelated types on a damaged workbook
        raise error(f"cannot read {what} ({type(exc).__name__}: {exc})", file=path) from None
    return frame.fillna("") if strings else frame


def _read_parquet(path: Path, *, error, what: str, limits):
    import pandas as pd

    check_size(path, error=error, what=what, limits=limits)
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many unrelated types on a damaged file
        raise error(f"cannot read {what} ({type(exc).__name__}: {exc})", file=path) from None

