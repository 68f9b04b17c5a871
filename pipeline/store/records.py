"""Small frozen records the store hands back (inputs are the pipeline's own types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Stage = Literal["segmented", "embedded", "classified"]
DecisionKind = Literal["accept", "reject", "add", "none", "adjudicate"]


@dataclass(frozen=True)
class StageHashes:
    """What a stage's result depends on, recorded by ``mark_stage``.

    ``segmented`` depends on ``content_hash`` and ``settings_hash``; ``embedded``
    also on ``embedder_id``; ``classified`` also on ``codebook_hash``.
    ``settings_hash`` is optional: a hash of the stage settings (passage size, ...)
    so changing them re-processes the documents.
    """

    content_hash: str
    codebook_hash: str = ""
    embedder_id: str = ""
    settings_hash: str = ""


@dataclass(frozen=True)
class Decision:
    """One human coding decision as stored (``code`` is None for "no code applies")."""

    id: int
    coder: str
    passage_id: str
    code: str | None
    decision: DecisionKind
    time: datetime
    shown: str | None = None
    score: float | None = None
    model: str | None = None
    memo: str | None = None
    codebook_hash: str | None = None  # the codebook version the coder saw


@dataclass(frozen=True)
class Memo:
    id: int
    coder: str
    text: str
    time: datetime
    passage_id: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class RunRecord:
    id: str
    config: dict[str, Any]
    code_version: str
    seed: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    codebook_hash: str | None = None
    embedder_id: str | None = None
    timings: dict[str, float] = field(default_factory=dict, hash=False)
    counts: dict[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class CodebookRecord:
    """One codebook version: its content (YAML) and lineage (who made it from which
    version, when, why, and what changed)."""

    id: str
    hash: str
    version: str
    content: str
    parent_hash: str | None = None
    author: str | None = None
    reason: str | None = None
    changes: tuple[str, ...] = ()
    created_at: datetime | None = None
