"""Every command that reads a user file, on seeded bad inputs: exit 0 or 2, one message,
no traceback, nothing written outside the case's folder, no half-written file."""

from __future__ import annotations

import random

import pytest

from benchmarks.reliability_lib import fuzz, inputs
from benchmarks.reliability_lib.sandbox import Outcome

SEED = 20261204


def test_every_target_appears_in_a_small_batch():
    cases = fuzz.make_cases(SEED, len(fuzz.TARGETS), store=b"")
    assert {"ingest", "segment", "run", "agree", "codebook"} <= {c.argv[0] for c in cases}
    assert {"import", "merge"} <= {c.argv[1] for c in cases if c.argv[0] == "codebook"}
    assert len({c.target.split(":")[0] for c in cases}) >= 12


def test_case_generation_is_seeded():
    a = fuzz.make_cases(SEED, 30, store=b"db")
    b = fuzz.make_cases(SEED, 30, store=b"db")
    assert [(c.target, c.mutation, c.files, c.argv) for c in a] == \
        [(c.target, c.mutation, c.files, c.argv) for c in b]


def test_zip_bomb_declares_the_inflated_size():
    import io
    import zipfile

    data = inputs.zip_bomb(random.Random(1), inputs.sample("docx"))
    sizes = [i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()]
    assert max(sizes) >= 200 << 20 and len(data) < 2 << 20


@pytest.mark.parametrize("outcome, problem", [
    (Outcome(1, "", "boom", 0.0), "exit code 1"),
    (Outcome(2, "", "Traceback (most recent call last):\nerror: x", 0.0), "traceback"),
    (Outcome(2, "", "error: a\nerror: b\n", 0.0), "2 error messages"),
    (Outcome(2, "", "", 0.0), "exit 2 without a message"),
])
def test_invariant_checker_catches_misbehaviour(outcome, problem):
    assert problem in outcome.problems()


def test_checker_sees_a_file_written_outside_the_case_folder(tmp_path):
    from benchmarks.reliability_lib.sandbox import changed, snapshot

    (tmp_path / "case").mkdir()
    before = snapshot(tmp_path, exclude=tmp_path / "case")
    (tmp_path / "case" / "inside.txt").write_text("ok")
    (tmp_path / "escaped.txt").write_text("owned")
    assert changed(before, snapshot(tmp_path, exclude=tmp_path / "case")) == \
        [str(tmp_path / "escaped.txt")]


def test_fuzz_bad_inputs_keep_the_invariants():
    result = fuzz.fuzz(SEED, 100, subprocess_every=25, log=lambda _m: None)
    failures = "\n".join(f"{f['target']} {f['mutation']} {f['argv']}: {f['problems']}\n"
                         f"{f['stderr']}" for f in result["fuzz_failures"])
    assert result["fuzz_cases"] == 100
    assert result["fuzz_subprocess_cases"] >= 3
    assert result["tracebacks"] == 0, failures
    assert result["files_written_outside_output"] == 0, failures
    assert result["half_written_files"] == 0, failures
    assert result["fuzz_bad_exit_codes"] == 0 and result["fuzz_timeouts"] == 0, failures
    assert result["fuzz_exit_codes"].get("2", 0) > 0  # bad inputs were refused, not ignored
