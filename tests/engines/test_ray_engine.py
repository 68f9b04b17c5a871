"""`engine: ray` (Ray Data actors in local mode) gives exactly the local engine's rows."""

from __future__ import annotations

import sys

import pytest

from pipeline.engines.run import run_job
from pipeline.errors import EngineError
from tests.engines.run_helpers import assert_same_rows, demo_dict, dump_store, make_config

pytestmark = pytest.mark.slow
RAY = {"actors": 2, "batch_size": 32, "num_cpus_per_actor": 1}


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    root = tmp_path_factory.mktemp("local")
    result = run_job(make_config(demo_dict(root / "out")), progress=False)
    return dump_store(f"sqlite:///{result.output / 'groundcode.db'}")


def _ray_run(out, monkeypatch, fault_flag=None):
    pytest.importorskip("ray")
    if fault_flag is not None:
        monkeypatch.setenv("GROUNDCODE_RAY_FAULT", str(fault_flag))
    else:
        monkeypatch.delenv("GROUNDCODE_RAY_FAULT", raising=False)
    config = make_config(demo_dict(out, engine="ray", ray=RAY))
    return config, run_job(config, progress=False)


def test_ray_engine_gives_the_local_suggestions(tmp_path, monkeypatch, local_rows):
    config, result = _ray_run(tmp_path / "ray", monkeypatch)
    rows = dump_store(f"sqlite:///{result.output / 'groundcode.db'}")
    assert_same_rows(rows, local_rows, score_tol=1e-6)
    # incremental on Ray too: nothing pending, nothing sent to the cluster
    again = run_job(config, progress=False)
    assert again.processed == {"segment": [], "embed": [], "classify": []}


def test_a_killed_actor_is_retried_and_the_rows_are_identical(tmp_path, monkeypatch, local_rows):
    flag = tmp_path / "actor-died"
    config, result = _ray_run(tmp_path / "ray", monkeypatch, fault_flag=flag)
    assert flag.exists(), "an embedding actor must have died mid-batch"
    rows = dump_store(f"sqlite:///{result.output / 'groundcode.db'}")
    assert_same_rows(rows, local_rows, score_tol=1e-6)


def test_ray_without_the_extra_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    config = make_config(demo_dict(tmp_path / "out", engine="ray"))
    with pytest.raises(EngineError, match=r"groundcode\[ray\]"):
        run_job(config, progress=False)
    assert not (tmp_path / "out" / "groundcode.db").exists()
