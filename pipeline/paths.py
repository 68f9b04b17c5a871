"""Where a run config's job keeps its things: run folder, store URL, caches, models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JobPaths:
    output: Path
    store_url: str
    cache_dir: Path
    models_dir: Path


def job_paths(config) -> JobPaths:
    out = Path(config.output)
    url = config.store or f"sqlite:///{out / 'groundcode.db'}"
    cache = Path(config.embed.cache_dir) if config.embed.cache_dir else out / "cache"
    return JobPaths(out, url, cache, out / "models")
