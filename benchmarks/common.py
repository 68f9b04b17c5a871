"""Helpers shared by the benchmarks: where the data is, where results go."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def data_dir() -> Path:
    """``$GROUNDCODE_DATA``, else ``<repo>/../shared/data``."""
    env = os.environ.get("GROUNDCODE_DATA")
    return Path(env) if env else (ROOT / ".." / "shared" / "data").resolve()


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` atomically with sorted keys."""
    path = RESULTS / f"{name}.json"
    atomic_write_text(
        path, json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    return path
