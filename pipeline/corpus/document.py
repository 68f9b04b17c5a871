"""The ``Document`` data type: one ingested corpus file (or table row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DocumentKind = Literal["case", "interview", "other"]
Language = Literal["zh", "en", "mixed"]


@dataclass(frozen=True)
class Document:
    """A normalized document.

    ``text`` is the normalized text every passage offset points into.
    ``sha256`` is the hash of ``text`` (the content hash used for incremental runs).
    ``source`` is the path of the file it came from (plus ``#row`` for tables).
    ``meta`` carries the manifest attributes (enterprise type, edition, arena,
    reserved flag, interviewee group, ...).
    """

    id: str
    kind: DocumentKind
    lang: Language
    text: str
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    source: str = ""
    sha256: str = ""
