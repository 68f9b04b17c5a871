"""Small-count runs of the reliability checks in :mod:`benchmarks.reliability_lib`
(``python -m benchmarks.reliability`` runs the same checks with larger counts)."""

from __future__ import annotations

import pytest

from benchmarks.reliability_lib.runs import make_project, run


@pytest.fixture(scope="session")
def finished_project(tmp_path_factory):
    """A finished ``groundcode run`` (console-script subprocess) on 3 demo documents."""
    project = make_project(tmp_path_factory.mktemp("reli") / "p", 3)
    proc = run(project)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return project
