"""``run.json``: what a run did, so it can be audited and repeated.

Records the resolved config, code version, seed, codebook hash, embedding model
id, input file hashes, outputs and per-stage timings.
"""

from __future__ import annotations

import ctypes
import json
import platform
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.io import atomic_write_text


def release_freed_memory() -> None:
    """Hand the heap memory freed by a stage back to the operating system (glibc keeps
    it otherwise, so the next stage's peak would stack on the last one's garbage). A
    no-op where ``malloc_trim`` is not available."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (``getrusage`` ru_maxrss)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def current_rss_mb() -> float | None:
    """This process's resident memory now, in MiB (Linux ``/proc/self/statm``; ``None``
    elsewhere): what a stage left behind, where the peak says what it reached."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(pages * resource.getpagesize() / (1024 * 1024), 1)


@dataclass
class RunInfo:
    """Mutable record filled in while a run progresses (written once at the end)."""

    config: dict[str, Any]
    seed: int
    code_version: str = __version__
    python: str = field(default_factory=platform.python_version)
    codebook_hash: str | None = None
    embedder_id: str | None = None
    input_hashes: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = round(time.perf_counter() - start, 4)
            self.peak_rss_mb[stage] = peak_rss_mb()
            release_freed_memory()
            self.rss_mb[stage] = current_rss_mb()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code_version": self.code_version,
            "python": self.python,
            "seed": self.seed,
            "codebook_hash": self.codebook_hash,
            "embedder_id": self.embedder_id,
            "input_hashes": dict(sorted(self.input_hashes.items())),
            "counts": self.counts,
            "outputs": self.outputs,
            "timings_seconds": self.timings,
            "peak_rss_mb_after": self.peak_rss_mb,
            "rss_mb_after": self.rss_mb,
            "config": self.config,
            **self.extra,
        }

    def write(self, path: str | Path) -> Path:
        target = Path(path)
        atomic_write_text(target, json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return target
