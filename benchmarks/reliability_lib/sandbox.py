"""Run one ``groundcode`` command in a fresh folder (cwd and HOME) and check what it did:
exit code, stderr, files written outside the folder, temp files left behind."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {"__pycache__", ".git", ".pytest_cache", ".ruff_cache"}


def snapshot(root: Path, exclude: Path | None = None) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (not under ``exclude``) -> (size, mtime_ns)."""
    out: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS
                   and (exclude is None or Path(folder, d) != exclude)]
        for name in files:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            out[path] = (st.st_size, st.st_mtime_ns)
    return out


def changed(before: dict, after: dict) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def leftover_temp_files(folder: Path) -> list[str]:
    """``.*.tmp`` files (pipeline.io's atomic writes) left under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*.tmp"))


@dataclass
class Outcome:
    code: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float
    traceback: str = ""  # an exception that escaped pipeline.cli.main (in-process)
    outside: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """What broke the invariants: [] when the command behaved."""
        found = []
        if self.code is None:
            found.append("timeout")
        elif self.code not in (0, 2):
            found.append(f"exit code {self.code}")
        if self.traceback or "Traceback" in self.stderr:
            found.append("traceback")
        if self.code == 2:
            messages = [line for line in self.stderr.splitlines()
                        if re.match(r"\s*(error:|│?\s*Error\b)", line)]
            if not self.stderr.strip():
                found.append("exit 2 without a message")
            elif len(messages) > 1:
                found.append(f"{len(messages)} error messages")
        if self.outside:
            found.append("wrote outside its folder: " + ", ".join(self.outside[:5]))
        if self.temp_files:
            found.append("temp files left: " + ", ".join(self.temp_files[:5]))
        return found


class CaseTimeout(BaseException):
    """Raised by SIGALRM in an in-process case that runs too long."""


def _alarm(signum, frame):
    raise CaseTimeout()


def run_in_process(argv: list[str], cwd: Path, patches=(), timeout: float = 120) -> Outcome:
    """``pipeline.cli.main(argv)`` with cwd and HOME set to ``cwd``; ``patches`` are
    context managers entered around the call (e.g. a fast embedder). A call running
    longer than ``timeout`` seconds is stopped (SIGALRM) and reported as timed out."""
    import signal

    from pipeline.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_home = os.getcwd(), os.environ.get("HOME")
    started = time.perf_counter()
    tb, code = "", None
    try:
        os.chdir(cwd)
        os.environ["HOME"] = str(cwd)
        with contextlib.ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch())
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                previous = signal.signal(signal.SIGALRM, _alarm)
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    code = main(argv)
                except CaseTimeout:
                    code = None
                except SystemExit as exc:  # pragma: no cover - main catches it
                    code = exc.code if isinstance(exc.code, int) else 1
                except BaseException:  # noqa: BLE001 -- any escape is the finding
                    tb = traceback.format_exc()
                    code = 1
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    signal.signal(signal.SIGALRM, previous)
    finally:
        os.chdir(old_cwd)
        if old_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old_home
    return Outcome(code, out.getvalue(), err.getvalue(), time.perf_counter() - started, tb)


def console_script() -> Path:
    return Path(sys.executable).parent / ("groundcode.exe" if os.name == "nt" else "groundcode")


def cli_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for the console script: this checkout first on PYTHONPATH, offline."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0"})
    if home is not None:
        env["HOME"] = str(home)
    env.update(extra)
    return env


def run_subprocess(argv: list[str], cwd: Path, timeout: float = 180) -> Outcome:
    """The installed console script, as a user runs it (cwd and HOME = ``cwd``)."""
    started = time.perf_counter()
    try:
        proc = subprocess.run([str(console_script()), *argv], cwd=cwd, env=cli_env(cwd),
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return Outcome(None, str(exc.stdout or ""), str(exc.stderr or ""),
                       time.perf_counter() - started)
    return Outcome(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)
