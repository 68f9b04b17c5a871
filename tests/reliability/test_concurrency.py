"""Two ``groundcode run`` on one config at once: refused (E901) or waited, never corrupt.

Skipped until the run lock exists (``pipeline.errors.RunLockedError``); without a lock
two runs write the same store together, which is what this test guards against.
"""

from __future__ import annotations

import pytest

import pipeline.errors
from benchmarks.reliability_lib.runs import concurrent

pytestmark = pytest.mark.skipif(not hasattr(pipeline.errors, "RunLockedError"),
                                reason="no run lock yet (pipeline.errors.RunLockedError)")


def test_second_run_is_refused_or_waits_and_the_store_stays_whole(tmp_path):
    result = concurrent(3, pairs=1, docs=3, workdir=tmp_path, log=lambda _m: None)
    assert result["concurrent_runs_corrupted"] == 0, result["concurrent_failures"]
    assert result["concurrent_second_refused_or_waited"] + result["concurrent_both_exit_0"] \
        == result["concurrent_runs"]
