"""Run the installed ``groundcode`` console script, as a user would, on this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def console_script() -> Path:
    """The ``groundcode`` script installed next to the running Python (``pip install -e .``)."""
    name = "groundcode.exe" if os.name == "nt" else "groundcode"
    script = Path(sys.executable).parent / name
    if not script.is_file():
        pytest.fail(f"the groundcode console script is not installed at {script}: pip install -e .")
    return script


@pytest.fixture(scope="session")
def groundcode() -> Callable[..., subprocess.CompletedProcess]:
    """``groundcode(*args, path_first=())`` runs the console script with this checkout's
    ``pipeline`` first on the path (and any ``path_first`` folders before it)."""
    script = console_script()

    def run(*args: str, path_first: tuple[Path, ...] = (), cwd: Path | None = None):
        env = dict(os.environ)
        paths = [str(p) for p in path_first] + [str(REPO)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return subprocess.run(
            [str(script), *args], capture_output=True, text=True, env=env, cwd=cwd or REPO,
            timeout=120,
        )

    return run
