"""Several coders posting decisions to ``groundcode review`` at once: is every one stored?

The app is built as ``groundcode review`` builds it (:func:`pipeline.cli.review.build_review_app`)
on a finished run's store and served by uvicorn on loopback; each coder is a thread
with its own httpx client that signs in (CSRF token from the login form) and accepts
a suggested code on distinct passages. The stored count is read from the ``codings``
table with SQL, per coder.
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
import time
from pathlib import Path

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _passages(store: Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """``n`` distinct (passage id, top suggested code) pairs from the store."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT s.passage_id, s.code_id FROM suggestions s JOIN passages p "
                            "ON p.id = s.passage_id WHERE s.rank = 1 AND s.level = 'initial' "
                            "AND s.code_id != 'NONE' AND p.codable ORDER BY s.passage_id, s.code_id").fetchall()
    finally:
        conn.close()
    by_passage = dict(rows[::-1])  # one code per passage
    chosen = rng.sample(sorted(by_passage), min(n, len(by_passage)))
    return [(p, by_passage[p]) for p in chosen]


def _coder(base: str, name: str, work: list[tuple[str, str]], sent: list, errors: list) -> None:
    import httpx

    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        token = CSRF.search(client.get("/login").text).group(1)
        client.post("/login", data={"coder": name, "csrf": token})
        page = client.get("/review")
        csrf = CSRF.search(page.text).group(1)
        for passage, code in work:
            reply = client.post("/decide", data={"csrf": csrf, "passage_id": passage,
                                                 "action": "accept", "code": code,
                                                 "back": "/review"})
            if reply.status_code == 303:
                sent.append(name)
            else:
                errors.append(f"{name} {passage}: HTTP {reply.status_code} {reply.text[:200]}")


def concurrent_decisions(config: Path, coders: int, per_coder: int, seed: int) -> dict:
    """Serve the review app on the store of ``config``'s finished run; ``coders`` threads
    post ``per_coder`` decisions each, all at once."""
    from benchmarks.common import serve_on_loopback
    from pipeline.cli.review import build_review_app
    from pipeline.config import load_config
    from pipeline.paths import job_paths

    started = time.perf_counter()
    rng = random.Random(seed)
    url = job_paths(load_config(config)).store_url
    store_path = Path(url.removeprefix("sqlite:///"))
    work = _passages(store_path, coders * per_coder, rng)
    app, store = build_review_app(config, None, None, "", None, 0)
    sent: list[str] = []
    errors: list[str] = []
    names = [f"coder-{i}" for i in range(coders)]
    try:
        with serve_on_loopback(app) as base:
            threads = [threading.Thread(target=_coder, args=(base, name, work[i::coders],
                                                             sent, errors))
                       for i, name in enumerate(names)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
    finally:
        store.close()
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        stored = dict(conn.execute("SELECT coder_id, COUNT(*) FROM codings "
                                   "WHERE undone_at IS NULL GROUP BY coder_id").fetchall())
    finally:
        conn.close()
    sent_by = {name: sent.count(name) for name in names}
    return {
        "review_coders": coders,
        "review_decisions_sent": len(sent),
        "review_decisions_stored": sum(stored.get(name, 0) for name in names),
        "review_stored_equals_sent_per_coder": all(stored.get(n, 0) == sent_by[n] for n in names),
        "review_errors": errors[:20],
        "review_seconds": round(time.perf_counter() - started, 1),
    }
