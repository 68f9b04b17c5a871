from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipeline.settings_base import Section


class CorpusSettings(Section):
    """Where the corpus lives. Relative paths are resolved against the config file."""

    path: Path
    manifest: Path | None = None  # default: <path>/manifest.yaml or manifest.csv
    opencc: bool = False  # Traditional -> Simplified Chinese normalization
    warn_file_mb: float = Field(default=10.0, ge=0.0)  # warn about larger files; 0 = never
