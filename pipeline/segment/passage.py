"""The ``Passage`` data type: the unit that is coded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PassageLanguage = Literal["zh", "en", "mixed"]


@dataclass(frozen=True, slots=True)
class Passage:
    """A window of whole sentences inside one paragraph / speaker turn.

    Invariant: ``document.text[start:end] == text``.
    ``id`` is stable across runs: ``f"{doc_id}:{start}-{end}"``.
    ``codable`` is False for interviewer turns (excluded from coding by default).
    ``context_before`` / ``context_after`` hold neighbouring sentences when a context
    window is configured (empty strings otherwise); they are never coded.
    ``content`` is what the models read when it differs from ``text``: the text
    without the markup and page furniture clean marked, hard wraps joined (see
    :mod:`pipeline.segment.content`); ``None`` when it is ``text`` itself.

    Slotted: a 30 MB document has half a million passages, and a ``__dict__`` each
    would add about 0.3 GB.
    """

    id: str
    doc_id: str
    start: int
    end: int
    text: str
    lang: PassageLanguage
    paragraph: int
    speaker: str | None = None
    speaker_role: str | None = None
    tokens: tuple[str, ...] = ()
    codable: bool = True
    context_before: str = ""
    context_after: str = ""
    content: str | None = None

    @staticmethod
    def make_id(doc_id: str, start: int, end: int) -> str:
        return f"{doc_id}:{start}-{end}"


def content_of(passage) -> str:
    """What the models read of ``passage``: its ``content`` when set, else its ``text``
    (``passage`` is anything with a ``text``)."""
    content = getattr(passage, "content", None)
    return passage.text if content is None else content


def window_text(passage) -> str:
    """The passage read with its neighbours: ``context_before``, content, ``context_after``.

    Joined by single spaces, skipping empty parts, so a passage without context
    gives its own content. ``passage`` is anything with a text and the two contexts.
    """
    parts = (passage.context_before, content_of(passage), passage.context_after)
    return " ".join(part for part in parts if part)
