"""The ``Passage`` data type: the unit that is coded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PassageLanguage = Literal["zh", "en", "mixed"]


@dataclass(frozen=True)
class Passage:
    """A window of whole sentences inside one paragraph / speaker turn.

    Invariant: ``document.text[start:end] == text``.
    ``id`` is stable across runs: ``f"{doc_id}:{start}-{end}"``.
    ``codable`` is False for interviewer turns (excluded from coding by default).
    ``context_before`` / ``context_after`` hold neighbouring sentences when a context
    window is configured (empty strings otherwise); they are never coded.
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

    @staticmethod
    def make_id(doc_id: str, start: int, end: int) -> str:
        return f"{doc_id}:{start}-{end}"


def window_text(passage) -> str:
    """The passage read with its neighbours: ``context_before``, text, ``context_after``.

    Joined by single spaces, skipping empty parts, so a passage without context
    gives its own text. ``passage`` is anything with those three attributes.
    """
    parts = (passage.context_before, passage.text, passage.context_after)
    return " ".join(part for part in parts if part)
