"""The same repository contract against a throwaway PostgreSQL server.

The server is started by the ``postgres_server`` fixture from the Debian
``postgresql`` binaries (skipped with a reason only when they are absent).
"""

from __future__ import annotations

import pytest
from store_contract import StoreContract

pytestmark = pytest.mark.slow


class TestPostgresStore(StoreContract):
    @pytest.fixture()
    def store_url(self, postgres_url):
        return postgres_url


def test_plain_postgresql_url_uses_psycopg(postgres_server):
    from pipeline.store import open_store

    url = postgres_server.create_database().replace("postgresql+psycopg://", "postgresql://")
    with open_store(url) as store:
        assert store.engine.dialect.driver == "psycopg"
        assert store.counts()["passages"] == 0


def test_unreachable_server_is_a_clear_error():
    import socket

    from pipeline.errors import StoreError
    from pipeline.store import open_store

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"
    with pytest.raises(StoreError, match="cannot open store") as info:
        open_store(url)
    assert "server is running" in str(info.value)
