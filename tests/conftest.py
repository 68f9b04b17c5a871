"""Shared fixtures: where the repo, the bundled configs and the shared data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    if "GROUNDCODE_SHARED" in os.environ:
        return Path(os.environ["GROUNDCODE_SHARED"])
    beside = REPO.parent / "shared"
    # a CI clone may sit elsewhere; the workplace keeps the shared folder at /work/shared
    return beside if beside.is_dir() or not Path("/work/shared").is_dir() else Path("/work/shared")


def data_dir() -> Path:
    return Path(os.environ.get("GROUNDCODE_DATA", shared_dir() / "data"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = data_dir()
    if not path.is_dir():
        pytest.skip(f"shared evaluation data not found at {path} (set GROUNDCODE_DATA)")
    return path
