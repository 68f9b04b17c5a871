"""Coders posting decisions to the review app at once: every decision is stored."""

from __future__ import annotations

import shutil

from benchmarks.reliability_lib.review import concurrent_decisions
from benchmarks.reliability_lib.runs import copy_project


def test_concurrent_coders_lose_no_decision(finished_project, tmp_path):
    project = copy_project(finished_project, tmp_path / "p")
    shutil.copytree(finished_project.output, project.output)
    result = concurrent_decisions(project.config, coders=3, per_coder=15, seed=5)
    assert result["review_errors"] == []
    assert result["review_decisions_sent"] == 45
    assert result["review_decisions_stored"] == result["review_decisions_sent"]
    assert result["review_stored_equals_sent_per_coder"]
