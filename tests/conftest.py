"""Shared fixtures: where the repo, the bundled configs and the shared data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("GROUNDCODE_SHARED", REPO.parent / "shared"))


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
