"""Store test fixtures: a throwaway PostgreSQL server (see ``pg_server.py``)."""

from tests.store.pg_server import postgres_server, postgres_url  # noqa: F401
