from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from pipeline.settings_base import Section


class EmbedSettings(Section):
    backend: Literal["use-multilingual", "sentence-transformers"] = "use-multilingual"
    model: str | None = None  # sentence-transformers model name or local path
    batch_size: int | None = None  # texts per batch; default: the backend's (USE 256, ST 64)
    cache_dir: Path | None = None  # default: <output>/cache
    # weight of the unit read with its context (the rest of a clause's sentence and
    # segment.context_sentences neighbouring sentences) mixed into its vector:
    # l2(embed(text) + w * embed(window)); 0 = the unit alone
    context_weight: float = Field(1.5, ge=0.0)
