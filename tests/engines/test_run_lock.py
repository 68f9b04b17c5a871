"""The run lock: one `groundcode run` (or export) per output folder and store at a time,
`--wait`, no blocking by a killed holder, run.json naming its own run; and output modes
following the umask."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.engines.run import run_job
from pipeline.errors import RunLockedError
from pipeline.paths import JobPaths
from pipeline.runlock import HOLDER_NAME, LOCK_NAME, read_holder, run_lock
from tests.engines.run_helpers import REPO, demo_dict, write_config
from tests.store.pg_server import postgres_server, postgres_url  # noqa: F401

pytestmark = pytest.mark.slow

HOLD = """
import sys, time
from pipeline.config import load_config
from pipeline.runlock import run_lock
from pipeline.paths import job_paths
with run_lock(job_paths(load_config(sys.argv[1])), config_path=sys.argv[1], run_id="holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", time.time(), flush=True)
"""


def _env() -> dict:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "HF_HUB_OFFLINE": "1"}


def hold(config: Path, seconds: float) -> subprocess.Popen:
    """A child process that takes the run lock of ``config`` and keeps it ``seconds``."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(config), str(seconds)],
                             stdout=subprocess.PIPE, text=True, env=_env(), cwd=REPO)
    assert child.stdout.readline().strip() == "held"
    return child


def groundcode(*args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "groundcode"
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=_env(),
                          cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """The demo config in a tmp folder, run once (so later runs are quick reruns)."""
    root = tmp_path_factory.mktemp("lock")
    cache = root / "cache"
    config = write_config(demo_dict(root / "out", embed={"cache_dir": str(cache)}),
                          root / "run.yaml")
    run_job(load_config(config), progress=False, config_path=config)
    return {"root": root, "config": config, "out": root / "out", "cache": cache}


def test_a_second_run_or_export_exits_2_naming_the_running_one(job):
    before = (job["out"] / "run.json").read_bytes()
    child = hold(job["config"], 60)
    try:
        for command in ("run", "export"):
            proc = groundcode(command, str(job["config"]), *(["-q"] if command == "run" else []))
            assert proc.returncode == 2, proc.stderr
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
            message = lines[0]
            assert message.startswith("error: [E901]")
            assert f"pid {child.pid} on " in message and str(job["config"]) in message
            assert "--wait SECONDS" in message
        assert (job["out"] / "run.json").read_bytes() == before  # nothing was written
    finally:
        child.kill()
        child.wait()


def test_wait_waits_for_the_running_one_then_runs(job):
    child = hold(job["config"], 4)  # longer than the CLI takes to start
    script = Path(sys.executable).parent / "groundcode"
    proc = subprocess.Popen([str(script), "run", str(job["config"]), "-q", "--wait", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), cwd=REPO)
    _, err = proc.communicate(timeout=300)
    released = float(child.stdout.readline().split()[1])
    child.wait()
    assert proc.returncode == 0, err
    run = json.loads((job["out"] / "run.json").read_text())["run"]
    assert run["pid"] == proc.pid and run["config_file"] == str(job["config"])
    # the run took the lock only once the holder let go (started_at has whole seconds)
    assert dt.datetime.fromisoformat(run["started_at"]).timestamp() >= int(released)
    assert not (job["out"] / HOLDER_NAME).exists()  # released with the lock


def test_wait_that_runs_out_is_the_same_error(job):
    child = hold(job["config"], 60)
    try:
        start = time.monotonic()
        proc = groundcode("run", str(job["config"]), "-q", "--wait", "1.5")
        assert proc.returncode == 2
        assert "after waiting 1.5 s" in proc.stderr and f"pid {child.pid}" in proc.stderr
        assert time.monotonic() - start >= 1.5
    finally:
        child.kill()
        child.wait()


def test_a_killed_holder_does_not_block_and_run_json_names_this_run(job):
    child = hold(job["config"], 600)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stale = read_holder(job["out"])
    assert stale is not None and stale.pid == child.pid and stale.alive() is False
    result = run_job(load_config(job["config"]), progress=False, config_path=job["config"])
    run = json.loads(result.run_json.read_text())["run"]
    assert run["pid"] == os.getpid() and run["id"] == result.run_id
    assert run["started_at"] <= run["finished_at"]
    assert read_holder(job["out"]) is None


def _paths(folder: Path, store: str | None = None) -> JobPaths:
    return JobPaths(folder, store or f"sqlite:///{folder / 'groundcode.db'}", folder / "c",
                    folder / "m")


def test_lock_excludes_within_one_process_and_is_free_after(tmp_path):
    paths = _paths(tmp_path / "out")
    with run_lock(paths, config_path=tmp_path / "a.yaml", run_id="r1") as me:
        assert (tmp_path / "out" / LOCK_NAME).exists()
        assert read_holder(paths.output) == me
        with pytest.raises(RunLockedError) as info:
            with run_lock(paths, run_id="r2"):
                pass
        assert info.value.code == "E901" and f"pid {os.getpid()}" in str(info.value)
    with run_lock(paths, run_id="r3") as again:
        assert again.run_id == "r3"


def test_a_stale_holder_record_is_reported_as_stale(tmp_path):
    """A live process holds the OS lock but the holder file still names a dead one."""
    from filelock import FileLock

    paths = _paths(tmp_path / "out")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    paths.output.mkdir()
    (paths.output / HOLDER_NAME).write_text(json.dumps({
        "command": "run", "pid": dead.pid, "host": socket.gethostname(),
        "started_at": "2026-01-01T00:00:00+00:00", "config": "/old.yaml", "run_id": "old"}))
    with FileLock(str(paths.output / LOCK_NAME), thread_local=False):
        with pytest.raises(RunLockedError) as info:
            with run_lock(paths):
                pass
    message = str(info.value)
    assert f"names groundcode run (pid {dead.pid}" in message
    assert "no longer running (a stale record)" in message
    with run_lock(paths, run_id="new") as me:  # the OS lock is free: the record is replaced
        assert read_holder(paths.output) == me


def test_postgres_store_is_locked_across_output_folders(tmp_path, postgres_url):  # noqa: F811
    first = _paths(tmp_path / "machine-a", postgres_url)
    second = _paths(tmp_path / "machine-b", postgres_url)  # another folder: the file lock is free
    with run_lock(first, run_id="a"):
        with pytest.raises(RunLockedError) as info:
            with run_lock(second, run_id="b", wait=0.5):
                pass
        message = str(info.value)
        assert "PostgreSQL store is locked after waiting 0.5 s" in message
        assert f"groundcode run {os.getpid()}@" in message
        assert not (tmp_path / "machine-b" / HOLDER_NAME).exists()
    with run_lock(second, run_id="b"):  # released at the end of the first
        pass


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_outputs_follow_the_umask(job, tmp_path, mask):
    data = demo_dict(tmp_path / "out", embed={"cache_dir": str(job["cache"])})
    config = write_config(data, tmp_path / "run.yaml")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "groundcode"), "run", str(config), "-q"],
        capture_output=True, text=True, env=_env(), cwd=REPO, timeout=300,
        preexec_fn=lambda: os.umask(mask),
    )
    assert proc.returncode == 0, proc.stderr
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"report.html", "coding.xlsx", "project.qdpx", "run.json", "coder.joblib"} <= names
    wrong = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files
             if stat.S_IMODE(p.stat().st_mode) != 0o666 & ~mask}
    assert not wrong
