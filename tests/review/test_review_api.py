"""The review app over HTTP (TestClient): sessions, CSRF, decisions, undo, learning, exports."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.review.learn import labels_from_decisions
from pipeline.review.queue import Filters

pytestmark = pytest.mark.slow
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(client: TestClient, coder: str) -> str:
    page = client.get("/login")
    token = CSRF.search(page.text).group(1)
    assert client.post("/login", data={"coder": coder, "csrf": token}).status_code == 200
    review = client.get("/review?strategy=document")
    return CSRF.search(review.text).group(1)


def current(client: TestClient, query: str = "strategy=document") -> tuple[str, list[str]]:
    page = client.get(f"/review?{query}")
    passage = re.search(r'data-passage="([^"]+)"', page.text).group(1)
    return passage, re.findall(r'li class="suggestion[^"]*" data-code="([^"]+)"', page.text)


def test_get_never_changes_state_and_post_needs_the_csrf_token(review_app):
    app, store, _ = review_app
    client = TestClient(app)
    assert client.get("/review").status_code == 200  # redirected to sign-in
    csrf = sign_in(client, "li")
    passage, codes = current(client)
    for path in ("/review", f"/review?pos={passage}", "/agreement", "/export.xlsx",
                 f"/document/{passage.split(':')[0]}", "/status"):
        client.get(path)
    assert store.codings.decisions() == []
    form = {"passage_id": passage, "action": "accept", "code": codes[0]}
    assert client.post("/decide", data=form).status_code == 403
    assert client.post("/decide", data={**form, "csrf": "forged"}).status_code == 403
    assert TestClient(app).post("/decide", data={**form, "csrf": csrf}).status_code == 403
    assert store.codings.decisions() == []
    assert client.post("/decide", data={**form, "csrf": csrf}).status_code == 200
    assert [(d.coder, d.passage_id, d.code, d.decision) for d in store.codings.decisions()] == [
        ("li", passage, codes[0], "accept")]
    cookie = client.cookies.jar
    assert all(c.get_nonstandard_attr("SameSite") in (None, "strict") for c in cookie)


def test_session_cookie_is_samesite_strict_and_httponly(review_app):
    app, _, _ = review_app
    client = TestClient(app)
    page = client.get("/login")
    token = CSRF.search(page.text).group(1)
    response = client.post("/login", data={"coder": "li", "csrf": token},
                           follow_redirects=False)
    header = response.headers["set-cookie"].lower()
    assert "samesite=strict" in header and "httponly" in header


def test_body_size_is_limited(review_app):
    app, store, _ = review_app
    client = TestClient(app)
    csrf = sign_in(client, "li")
    passage, _ = current(client)
    big = {"csrf": csrf, "passage_id": passage, "text": "备" * 70_000}
    assert client.post("/memo", data=big).status_code == 413
    assert store.codings.memos() == []


def test_unknown_codes_and_passages_are_refused(review_app):
    app, store, _ = review_app
    client = TestClient(app)
    csrf = sign_in(client, "li")
    passage, _ = current(client)
    bad = client.post("/decide", data={"csrf": csrf, "passage_id": passage, "action": "add",
                                       "code": "Z99"})
    assert bad.status_code == 400 and "Z99" in bad.text
    missing = client.post("/decide", data={"csrf": csrf, "passage_id": "nope:0-1",
                                           "action": "none"})
    assert missing.status_code == 404
    assert store.codings.decisions() == []


def test_undo_and_the_page_returns_to_the_same_passage(review_app):
    app, store, _ = review_app
    client = TestClient(app)
    csrf = sign_in(client, "li")
    passage, codes = current(client)
    back = "/review?strategy=document"
    response = client.post("/decide", data={"csrf": csrf, "passage_id": passage,
                                            "action": "accept", "code": codes[0], "back": back})
    assert f"pos={passage.replace(':', '%3A')}" in str(response.url)
    again = client.get(str(response.url))  # a reload shows the same passage
    assert f'data-passage="{passage}"' in again.text
    client.post("/decide", data={"csrf": csrf, "passage_id": passage, "action": "add",
                                 "code": "A07", "back": back})
    client.post("/undo", data={"csrf": csrf, "back": back})
    assert [(d.code, d.decision) for d in store.codings.decisions("li")] == [(codes[0], "accept")]


def test_no_code_applies_moves_on_and_coders_see_only_their_own(review_app):
    app, store, _ = review_app
    li, chen = TestClient(app), TestClient(app)
    csrf_li, csrf_chen = sign_in(li, "li"), sign_in(chen, "chen")
    first, _ = current(li)
    li.post("/decide", data={"csrf": csrf_li, "passage_id": first, "action": "none",
                             "back": "/review?strategy=document"})
    assert current(li)[0] != first  # li moves on
    assert current(chen)[0] == first  # chen has not decided it yet
    chen.post("/decide", data={"csrf": csrf_chen, "passage_id": first, "action": "add",
                               "code": "A01", "back": "/review?strategy=document"})
    page = chen.get(f"/review?pos={first}")
    mine = re.search(r'<ul id="my-decisions">(.*?)</ul>', page.text, re.S).group(1)
    assert "A01" in mine and "none" not in mine
    assert len(store.codings.decisions("li")) == 1 and len(store.codings.decisions("chen")) == 1


def test_filters_by_document_and_code(review_app):
    app, _, _ = review_app
    client = TestClient(app)
    sign_in(client, "li")
    passage, _ = current(client, "strategy=document&doc=13-YQ-HXDW")
    assert passage.startswith("13-YQ-HXDW:")
    passage, codes = current(client, "strategy=uncertain&code=A07")
    assert "A07" in codes


def test_retrained_coder_follows_the_coder_where_they_disagreed(review_app):
    """50 decisions: on 17 units across the corpus the coder rejects the machine's first
    code and adds its runner-up (the same code each time, as a coder with a consistent
    reading would: where the machine hesitated between the two, this coder reads that
    code) — 34 decisions; on 16 others they accept the first code. After retraining, the
    disagreed passages' suggestions change toward the coder's code, the agreed ones keep
    theirs, and the model card lists the 50 decisions it learned from."""
    from collections import Counter

    app, store, config = review_app
    trainer = app.state.trainer
    book_hash = trainer.book.hash
    codable = [p for p in store.documents.passages() if p.codable]
    before = store.suggestions.suggestions_for([p.id for p in codable], book_hash, "initial")

    def codes(pid):
        return [s.code_id for s in before.get(pid, []) if s.code_id != "NONE"]

    lower = Counter(c for p in codable for c in codes(p.id)[1:2])
    target = lower.most_common(1)[0][0]
    candidates = [p.id for p in codable if target in codes(p.id)[1:2]]
    disagreed = candidates[:: max(1, len(candidates) // 17)][:17]  # spread over the corpus
    agreed = [p.id for p in codable if p.id not in disagreed and codes(p.id)
              and target not in codes(p.id)[:5]][:16]
    assert len(disagreed) == 17 and len(agreed) == 16
    for pid in disagreed:
        store.codings.record_decision("li", pid, codes(pid)[0], "reject")
        store.codings.record_decision("li", pid, target, "add")
    for pid in agreed:
        store.codings.record_decision("li", pid, codes(pid)[0], "accept")
    assert len(store.codings.decisions()) == 50
    folder = trainer.train()
    after = store.suggestions.suggestions_for(disagreed + agreed, book_hash, "initial")

    def new_codes(pid):
        return [s.code_id for s in after[pid] if s.code_id != "NONE"]

    moved = [pid for pid in disagreed if new_codes(pid)[:1] != codes(pid)[:1]]
    to_target = [pid for pid in disagreed if new_codes(pid)[:1] == [target]]
    kept = [pid for pid in agreed if new_codes(pid)[:1] == codes(pid)[:1]]
    assert len(moved) > len(disagreed) / 2, (len(moved), target)
    assert len(to_target) > len(disagreed) / 2, (len(to_target), target)
    assert len(kept) > len(agreed) / 2, len(kept)
    ids = [d.id for d in store.codings.decisions()]
    learned = json.loads((Path(folder) / "learned_from.json").read_text())
    assert learned["decision_ids"] == ids
    assert learned["decisions"] == 50 and learned["passages"] == 33
    card = json.loads((Path(folder) / "model_card.json").read_text())
    assert card["training_passages"] == 33
    assert card["learned_from"]["decision_ids"] == ids and card["learned_from"]["coders"] == ["li"]
    assert "Learned from review decisions" in (Path(folder) / "MODEL_CARD.md").read_text()
    assert trainer.status.decisions == 50 and not trainer.status.training
    assert 0.0 <= trainer.status.cv["macro_f1"] <= 1.0 and trainer.status.cv["codes"] >= 1
    assert target in app.state.queue.entry(disagreed[0]).codes  # the queue re-ranked
    # a restarted app reports what the current suggestions learned from
    from pipeline.review.learn import Trainer

    again = Trainer(store, config, trainer.book)
    assert (again.status.model, again.status.decisions) == (trainer.status.model, 50)


def test_retraining_starts_in_the_background_after_n_decisions(review_app):
    """With retrain_every=6, the sixth decision over HTTP starts a background retrain;
    the queue re-ranks on the new model's suggestions and the page reports it."""
    app, store, _ = review_app
    trainer, queue = app.state.trainer, app.state.queue
    trainer.every = 6
    client = TestClient(app)
    csrf = sign_in(client, "li")
    order_before = list(queue.order("uncertain", Filters()))
    passages = [p.id for p in store.documents.passages() if p.codable][:6]
    for i, pid in enumerate(passages[:5]):
        client.post("/decide", data={"csrf": csrf, "passage_id": pid, "action": "add",
                                     "code": "A01" if i % 2 else "A02"})
    assert trainer._thread is None  # five decisions: not yet
    client.post("/decide", data={"csrf": csrf, "passage_id": passages[5], "action": "add",
                                 "code": "A01"})
    assert trainer._thread is not None
    trainer.wait(120)
    status = client.get("/status").json()
    assert status["error"] == "" and not status["training"], status
    assert status["decisions"] == 6 and status["model"].startswith("supervised:")
    models = {s.model for rows in store.suggestions.suggestions_for(
        passages, trainer.book.hash, "initial").values() for s in rows}
    assert models == {status["model"]}
    assert queue.order("uncertain", Filters()) != order_before  # re-ranked
    page = client.get("/review")
    assert re.search(r'<b id="learned">6</b>', page.text)
    assert 'id="cv"' in page.text


def test_not_yet_coded_by_me_skips_my_decided_passages(review_app):
    app, store, _ = review_app
    client = TestClient(app)
    csrf = sign_in(client, "li")
    p0, p1, p2 = [p.id for p in store.documents.passages() if p.codable][:3]
    for pid in (p0, p1):
        client.post("/decide", data={"csrf": csrf, "passage_id": pid, "action": "add",
                                     "code": "A01"})

    def next_of(query):
        page = client.get(f"/review?{query}&pos={p0}")
        return re.search(r'id="next" href="([^"]+)"', page.text).group(1)

    assert f"pos={p1}".replace(":", "%3A") in next_of("strategy=document")
    assert f"pos={p2}".replace(":", "%3A") in next_of("strategy=document&todo=1")
    assert current(client, "strategy=document&todo=1")[0] == p2
    assert 'name="todo" value="1" checked' in client.get("/review?todo=1").text


def test_labels_follow_the_latest_decision_per_coder_and_code():
    from datetime import datetime

    from pipeline.store import Decision

    now = datetime.now(UTC)
    rows = [Decision(1, "li", "p1", "A01", "accept", now),
            Decision(2, "li", "p1", "A01", "reject", now),
            Decision(3, "li", "p2", "A02", "add", now),
            Decision(4, "li", "p3", None, "none", now)]
    labels, used = labels_from_decisions(rows)
    assert labels == {"p1": set(), "p2": {"A02"}, "p3": set()}
    assert used == [2, 3, 4]


def test_agreement_page_and_adjudication(review_app):
    app, store, _ = review_app
    li, chen = TestClient(app), TestClient(app)
    csrf_li, csrf_chen = sign_in(li, "li"), sign_in(chen, "chen")
    passages = [p for p in store.documents.passages() if p.codable][:6]
    for i, p in enumerate(passages):
        li.post("/decide", data={"csrf": csrf_li, "passage_id": p.id, "action": "add",
                                 "code": "A01"})
        chen.post("/decide", data={"csrf": csrf_chen, "passage_id": p.id, "action": "add",
                                   "code": "A01" if i % 2 else "A02"})
    page = li.get("/agreement")
    assert page.status_code == 200 and 'id="agreement-table"' in page.text
    assert passages[0].id in page.text  # a disagreement
    li.post("/adjudicate", data={"csrf": csrf_li, "passage_id": passages[0].id,
                                 "codes": "A02"})
    final = [d for d in store.codings.decisions() if d.coder == "adjudicator:li"]
    assert [(d.passage_id, d.code, d.decision) for d in final] == [
        (passages[0].id, "A02", "adjudicate")]
    qdpx = li.get("/export.qdpx")
    with zipfile.ZipFile(io.BytesIO(qdpx.content)) as zf:
        xml = zf.read("project.qde").decode("utf-8")
    assert 'name="li"' in xml and 'name="chen"' in xml
    xlsx = li.get("/export.xlsx")
    import pandas as pd

    sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None)
    assert len(sheets["codings"]) == 12 and len(sheets["decisions"]) == 13


def test_non_loopback_requires_the_access_token(review_config, tmp_path):
    import shutil

    from pipeline.codebook import load_codebook
    from pipeline.review.app import ReviewSettings, create_app
    from pipeline.review.security import is_loopback
    from pipeline.store import open_store

    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")
    db = tmp_path / "r.db"
    shutil.copy(review_config.output / "groundcode.db", db)
    with open_store(f"sqlite:///{db}") as store:
        app = create_app(store, review_config, load_codebook(review_config.codebook),
                         ReviewSettings(token="s3cret-token", host="0.0.0.0"))
        client = TestClient(app)
        assert client.get("/login").status_code == 403
        assert client.get("/login?token=wrong").status_code == 403
        assert client.get("/login?token=s3cret-token").status_code == 200
        assert client.get("/review").status_code == 200


def test_review_command_needs_a_filled_store(tmp_path, capsys):
    from pipeline.cli import main

    config = tmp_path / "c.yaml"
    config.write_text(f"corpus:\n  path: {tmp_path}\ncodebook: "
                      f"{Path(__file__).parents[2] / 'configs/codebooks/soe-assistance.yaml'}\n"
                      f"output: {tmp_path / 'out'}\n", encoding="utf-8")
    assert main(["review", str(config)]) == 2
    err = capsys.readouterr().err
    assert "no store here yet" in err and "groundcode.db" in err and "Traceback" not in err


def test_review_command_serves_the_config_store(review_config, tmp_path):
    """`groundcode review CONFIG` in a subprocess serves the config's store on loopback."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config_file = tmp_path / "review.yaml"
    config_file.write_text(json.dumps(json.loads(review_config.model_dump_json())),
                           encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "review", str(config_file), "--port", str(port),
         "--coder", "wang", "--retrain-every", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, page = time.time() + 60, None
        while time.time() < deadline and proc.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200, proc.poll()
        assert 'value="wang"' in page.text and "Content-Security-Policy" in page.headers
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert f"open http://127.0.0.1:{port}/" in out, (out, err)


def test_memos_are_kept_per_coder_and_escaped(review_app):
    app, store, _ = review_app
    client = TestClient(app)
    csrf = sign_in(client, "li")
    passage, _ = current(client)
    memo = '备忘 <img src=x onerror=alert(1)> & "quoted"'
    client.post("/memo", data={"csrf": csrf, "passage_id": passage, "text": memo})
    page = client.get(f"/review?pos={passage}").text
    assert "备忘 &lt;img src=x onerror=alert(1)&gt; &amp; &#34;quoted&#34;" in page
    assert "<img src=x" not in page
    assert [m.text for m in store.codings.memos("li", passage)] == [memo]
    other = TestClient(app)
    sign_in(other, "chen")
    assert "onerror" not in other.get(f"/review?pos={passage}").text
