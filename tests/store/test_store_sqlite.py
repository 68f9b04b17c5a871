"""The store on SQLite: the shared repository contract plus SQLite-only behaviour."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_contract import StoreContract, make_doc, make_passages

from pipeline.errors import StoreError
from pipeline.store import open_store

REPO = Path(__file__).resolve().parents[2]


class TestSqliteStore(StoreContract):
    @pytest.fixture()
    def store_url(self, tmp_path):
        return f"sqlite:///{tmp_path / 'sub' / 'store.db'}"


# -- SQLite-only behaviour --------------------------------------------------------------


def test_sqlite_uses_wal_foreign_keys_and_busy_timeout(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "uses backend 'mysql'"),
        ("sqlite://", "is not a file"),
        ("sqlite:///:memory:", "is not a file"),
        ("not a url", "not a valid SQLAlchemy URL"),
    ],
)
def test_unusable_urls_are_clear_errors(url, message):
    with pytest.raises(StoreError, match=message):
        open_store(url)


def test_store_from_a_newer_version_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(StoreError, match="upgrade groundcode"):
        open_store(url)


def test_concurrent_coders_never_lose_decisions(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as setup:
        doc = make_doc("d1", "乡村振兴" * 50)
        setup.replace_document(doc, make_passages(doc, size=4))
        pids = [p.id for p in setup.documents.passages("d1")]
    errors: list[BaseException] = []

    def code(coder: str) -> None:
        try:
            with open_store(url) as mine:
                for pid in pids:
                    mine.record_decision(coder, pid, "A01", "accept", score=0.5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=code, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(url) as store:
        for coder in ("alice", "bob"):
            assert [d.passage_id for d in store.decisions(coder)] == pids


WRITER = textwrap.dedent(
    """
    import sys
    from pipeline.classify.suggestion import Suggestion
    from pipeline.corpus.document import Document
    from pipeline.segment.passage import Passage
    from pipeline.store import open_store

    store = open_store(sys.argv[1])
    text = "企业帮扶乡村振兴" * 1000
    for i in range(10_000):
        doc = Document(f"d{i}", "case", "zh", text)
        ps = [Passage(Passage.make_id(doc.id, s, s + 4), doc.id, s, s + 4, text[s:s + 4], "zh", 0)
              for s in range(0, len(text), 4)]
        store.replace_document(doc, ps)
        sugg = [Suggestion(p.id, c, 0.5, r, "initial", "zero-shot", "m")
                for p in ps for r, c in enumerate(("A01", "A02", "A03"), 1)]
        store.replace_suggestions([p.id for p in ps], sugg, "cb1", "m")
        print(i, flush=True)
    """
)


def test_sigkill_mid_batch_leaves_a_consistent_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        for _ in range(3):  # three documents fully written, the fourth in flight
            assert proc.stdout.readline().strip() != ""
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with open_store(url) as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            per_doc = conn.execute(
                sa.text(
                    "SELECT d.id, (SELECT count(*) FROM passages p WHERE p.doc_id = d.id),"
                    " (SELECT count(*) FROM suggestions s JOIN passages p ON p.id = s.passage_id"
                    "  WHERE p.doc_id = d.id) FROM documents d"
                )
            ).all()
    assert len(per_doc) >= 3
    for doc_id, n_passages, n_suggestions in per_doc:
        assert n_passages == 2000, doc_id  # a document is never half-written
        assert n_suggestions in (0, 6000), doc_id  # nor its suggestions
