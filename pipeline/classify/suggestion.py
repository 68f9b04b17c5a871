"""The ``Suggestion`` data type: one ranked machine code for one passage."""

from __future__ import annotations

from dataclasses import dataclass

NO_CODE = "NONE"  # explicit "no code clears its threshold" suggestion


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A machine coding.

    ``rank`` starts at 1 within (passage, level). ``method`` is ``zero-shot``,
    ``supervised`` or ``zero-shot-fallback`` (supervised coder fell back for a code
    with too few labelled passages). ``model`` identifies the coder that produced
    it (embedder id + codebook hash + training hash). ``accepted`` is True when the
    score clears the code's threshold (the suggestion counts as a machine coding).

    Slotted: a long document's run holds hundreds of thousands of them at once.
    """

    passage_id: str
    code_id: str
    score: float
    rank: int
    level: str
    method: str
    model: str
    accepted: bool = True
