"""Helpers shared by the benchmarks: where the data is, where results go."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pipeline.io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def data_dir() -> Path:
    """``$GROUNDCODE_DATA``, else ``<repo>/../shared/data``."""
    env = os.environ.get("GROUNDCODE_DATA")
    return Path(env) if env else (ROOT / ".." / "shared" / "data").resolve()


# an absolute POSIX path inside a string: "/work/shared/data", "st:/x/y/model@hash"
_ABSOLUTE = re.compile(r"(?<![\w/.~-])/[\w.+-]+(?:/[\w.+-]*)*")


def repo_relative(path: str | Path) -> str:
    """``path`` relative to the repository (``../shared/data``), as results record it."""
    return Path(os.path.relpath(Path(path).absolute(), ROOT)).as_posix()


def portable(value: Any) -> Any:
    """``value`` with every absolute path of this machine inside its strings (keys too)
    written relative to the repository, so results never record where they ran."""
    if isinstance(value, dict):
        return {portable(k): portable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [portable(v) for v in value]
    if isinstance(value, str):
        return _ABSOLUTE.sub(_relative_if_here, value)
    return value


def _relative_if_here(match: re.Match) -> str:
    text = match.group(0)
    top = Path("/", text.split("/")[1])
    return repo_relative(text) if top.exists() else text


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` atomically with sorted keys; paths in it
    are relative to the repository (:func:`portable`)."""
    path = RESULTS / f"{name}.json"
    text = json.dumps(portable(results), indent=2, sort_keys=True, ensure_ascii=False)
    atomic_write_text(path, text + "\n")
    return path
