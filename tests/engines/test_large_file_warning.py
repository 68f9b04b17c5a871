"""corpus.warn_file_mb: the ingest stage warns once per large file, in the echo and run.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.config import config_from_dict
from pipeline.corpus.size import size_warnings
from pipeline.engines import document_stages as ds
from pipeline.errors import ConfigError
from pipeline.runinfo import RunInfo


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "big.txt").write_text("乡村振兴帮扶项目带动农户增收。\n" * 5000, encoding="utf-8")
    (folder / "small.txt").write_text("合作社统一收购茶叶。\n", encoding="utf-8")
    return folder


def _ingest(tmp_path: Path, **corpus) -> tuple[list[str], RunInfo]:
    config = config_from_dict({"corpus": {"path": str(_corpus(tmp_path / "c")), **corpus}},
                              base=tmp_path)
    info = RunInfo(config={}, seed=0)
    said: list[str] = []
    ctx = SimpleNamespace(config=config, paths=SimpleNamespace(cache_dir=tmp_path / "cache"),
                          info=info, echo=said.append)
    ds.ingest(ctx)
    return said, info


def test_a_file_above_the_limit_is_warned_about_once(tmp_path):
    big_mb = 5000 * len("乡村振兴帮扶项目带动农户增收。\n".encode()) / 1e6  # 0.23 MB
    said, info = _ingest(tmp_path, warn_file_mb=0.1)
    assert len(said) == 1
    assert said[0].startswith("warning: large corpus file big.txt: ")
    assert f"{big_mb:.1f} MB" in said[0] and "minute" in said[0]
    assert info.extra["warnings"] == [said[0].removeprefix("warning: ")]
    written = json.loads(info.write(tmp_path / "run.json").read_text("utf-8"))
    assert written["warnings"] == info.extra["warnings"]


def test_no_warning_below_the_limit_or_when_disabled(tmp_path):
    for i, limit in enumerate((10.0, 0)):  # the default, then switched off
        (tmp_path / str(i)).mkdir()
        said, info = _ingest(tmp_path / str(i), warn_file_mb=limit)
        assert said == [] and "warnings" not in info.extra


def test_default_limit_is_ten_megabytes(tmp_path):
    config = config_from_dict({"corpus": {"path": str(tmp_path)}}, base=tmp_path)
    assert config.corpus.warn_file_mb == 10.0
    with pytest.raises(ConfigError, match="warn_file_mb"):
        config_from_dict({"corpus": {"path": str(tmp_path), "warn_file_mb": -1}}, base=tmp_path)


def test_size_warnings_count_each_file_once(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"x" * 2_500_000)
    messages = size_warnings(tmp_path, ["t.csv", "t.csv"], 1)
    assert len(messages) == 1 and "t.csv: 2.5 MB" in messages[0]
