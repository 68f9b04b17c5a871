"""``kill -9`` of ``groundcode run`` at random moments, then resume: same tables."""

from __future__ import annotations

from benchmarks.reliability_lib.runs import kill_resume


def test_killed_runs_resume_to_the_clean_runs_tables(tmp_path):
    result = kill_resume(7, kills=2, docs=3, faults=("classify:1",), workdir=tmp_path,
                         log=lambda _m: None)
    assert result["kill_resume_runs"] == 3
    assert result["kill_resume_identical"] == result["kill_resume_runs"], \
        result["kill_failures"]
    assert result["kill_faults_not_fired"] == []
