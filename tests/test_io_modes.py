"""Atomic writes give files the mode ``open(path, "w")`` would: 0o666 less the umask."""

from __future__ import annotations

import os
import stat

import pytest

from pipeline.io import atomic_path, atomic_write_text, current_umask


@pytest.fixture
def umask():
    saved = os.umask(0o022)
    os.umask(saved)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(saved)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    assert current_umask() == mask
    atomic_write_text(tmp_path / "a.txt", "x")
    with atomic_path(tmp_path / "b.bin") as tmp, open(tmp, "wb") as handle:
        handle.write(b"y")  # a writer that opens the temporary file itself
    plain = tmp_path / "plain.txt"
    plain.write_text("z")
    for name in ("a.txt", "b.bin", "plain.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
