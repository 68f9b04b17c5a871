from __future__ import annotations

from pathlib import Path

from pipeline.settings_base import Section


class CorpusSettings(Section):
    """Where the corpus lives. Relative paths are resolved against the config file."""

    path: Path
    manifest: Path | None = None  # default: <path>/manifest.yaml or manifest.csv
    opencc: bool = False  # Traditional -> Simplified Chinese normalization
