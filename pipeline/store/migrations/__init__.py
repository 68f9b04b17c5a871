"""Alembic migration scripts for the store, run programmatically by :mod:`pipeline.store.migrate`."""
