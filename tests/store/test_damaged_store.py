"""A damaged SQLite store file is a StoreError (exit 2, one message), not a traceback."""

from __future__ import annotations

import pytest

from pipeline.errors import StoreError
from pipeline.store import open_store


@pytest.fixture()
def store_bytes(tmp_path) -> bytes:
    path = tmp_path / "good.db"
    open_store(f"sqlite:///{path}").close()
    return path.read_bytes()


@pytest.mark.parametrize("damage", [
    lambda b: b[: len(b) // 3],  # truncated
    lambda b: b[:100] + bytes(range(256)) * 4 + b[1124:],  # schema page overwritten
    lambda b: b"SQLite format 3\0" + b"\xff" * 4000,  # header then garbage
])
def test_damaged_store_is_a_store_error(tmp_path, store_bytes, damage):
    path = tmp_path / "bad.db"
    path.write_bytes(damage(store_bytes))
    with pytest.raises(StoreError, match="bad.db: the store is damaged"):
        open_store(f"sqlite:///{path}").close()
