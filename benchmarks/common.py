"""Helpers shared by the benchmarks: where the data is, where results go."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def serve_on_loopback(app) -> Iterator[str]:
    """Serve an ASGI ``app`` with uvicorn on a free loopback port in a thread; yield its
    base URL and stop the server on exit."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
