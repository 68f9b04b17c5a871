"""Hardening of the review app over HTTP: the body is cut at the limit as it streams (and
not read at all without the access token), a foreign Host is refused, a queue made stale
by a re-run reloads or shows the store's message (never a 500), memos only on passages
that exist and of bounded length, security headers on every response, errors included.
"""

from __future__ import annotations

import asyncio
import json
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.review.guards import SECURITY_HEADERS
from pipeline.review.security import allowed_hosts, is_loopback
from tests.review.test_review_api import current, sign_in

pytestmark = pytest.mark.slow
MiB = 1024 * 1024
LIMIT = 64 * 1024  # ReviewSettings.max_body_bytes
RESEGMENTED = "13-YQ-HXDW"
REVISED_OPENING = "A new opening sentence, added in the second edition, moves every passage.\n\n"


@pytest.fixture()
def make_app(review_config, tmp_path):
    """``make_app(**settings)`` -> (app, store) on a fresh copy of the demo store."""
    from pipeline.codebook import load_codebook
    from pipeline.review.app import ReviewSettings, create_app
    from pipeline.store import open_store

    opened = []

    def build(**settings):
        db = tmp_path / f"hardening{len(opened)}.db"
        shutil.copy(review_config.output / "groundcode.db", db)
        store = open_store(f"sqlite:///{db}")
        opened.append(store)
        config = review_config.model_copy(update={"store": f"sqlite:///{db}"})
        settings = {"default_coder": "li", "retrain_every": 0, "seed": config.seed,
                    "allowed_hosts": ("testserver",), **settings}
        return create_app(store, config, load_codebook(config.codebook),
                          ReviewSettings(**settings)), store

    yield build
    for store in opened:
        store.close()


def assert_secured(response) -> None:
    missing = {k: v for k, v in SECURITY_HEADERS.items() if response.headers.get(k) != v}
    assert not missing, (response.status_code, missing)


# -- the body: streamed and cut at the limit, and not read at all without the token -------

def call_asgi(app, method: str, path: str, headers: dict[str, str], chunks) -> dict:
    """Run one request through the ASGI app; ``chunks`` is pulled lazily. Returns the
    status, the response headers, and how many body bytes the app pulled."""
    pulled = {"bytes": 0, "calls": 0}

    async def receive():
        pulled["calls"] += 1
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": method, "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                         for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return {"status": start["status"], **pulled,
            "headers": {k.decode(): v.decode() for k, v in start["headers"]}}


def endless_form(total: int = 512 * MiB, size: int = 64 * 1024):
    """A 512 MiB urlencoded body in 64 KiB chunks, made only as far as it is read."""
    yield b"text="
    for _ in range(total // size):
        yield b"a" * size


def test_a_chunked_body_is_cut_at_the_limit_without_reading_the_rest(make_app):
    app, store = make_app(host="127.0.0.1")
    form = {"host": "127.0.0.1:8765", "content-type": "application/x-www-form-urlencoded",
            "transfer-encoding": "chunked"}
    for path in ("/memo", "/decide", "/login", "/adjudicate"):
        got = call_asgi(app, "POST", path, form, endless_form())
        assert got["status"] == 413, (path, got)
        assert got["bytes"] <= LIMIT + 64 * 1024, (path, got["bytes"])  # one chunk past it
        assert got["headers"]["content-security-policy"] == SECURITY_HEADERS[
            "Content-Security-Policy"]
    # a declared length over the limit is refused before a single byte is read
    got = call_asgi(app, "POST", "/memo", {**form, "content-length": str(512 * MiB)},
                    endless_form())
    assert got["status"] == 413 and got["bytes"] == 0
    got = call_asgi(app, "GET", "/login", {**form, "content-length": str(512 * MiB)},
                    endless_form())  # a route that never reads a body
    assert got["status"] == 413 and got["bytes"] == 0
    assert got["headers"]["x-content-type-options"] == "nosniff"
    assert store.codings.memos() == [] and store.codings.decisions() == []


def test_the_access_token_is_checked_before_any_body_byte_is_read(make_app):
    app, store = make_app(host="0.0.0.0", token="s3cret-token", allowed_hosts=())
    form = {"host": "192.0.2.7:8765", "content-type": "application/x-www-form-urlencoded",
            "transfer-encoding": "chunked"}
    for headers in (form, {**form, "cookie": "gc_access=wrong"}):
        got = call_asgi(app, "POST", "/memo", headers, endless_form())
        assert got["status"] == 403 and got["calls"] == 0 and got["bytes"] == 0
        assert got["headers"]["x-frame-options"] == "DENY"
    got = call_asgi(app, "POST", "/memo?token=wrong", form, endless_form())
    assert got["status"] == 403 and got["calls"] == 0
    got = call_asgi(app, "GET", "//evil.example?token=s3cret-token", form, iter(()))
    assert got["status"] == 303 and got["headers"]["location"] == "/evil.example"
    # with the token, the body is read, and cut at the limit
    got = call_asgi(app, "POST", "/memo", {**form, "cookie": "gc_access=s3cret-token"},
                    endless_form())
    assert got["status"] == 413 and LIMIT < got["bytes"] <= LIMIT + 64 * 1024


# -- a live server: `groundcode review` in a subprocess, raw sockets -----------------------

def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} in /proc/{pid}/status")


@pytest.fixture(scope="module")
def live_server(review_config, tmp_path_factory):
    """``groundcode review`` on loopback over a copy of the demo store: (port, pid, url)."""
    import httpx

    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's memory")
    folder = tmp_path_factory.mktemp("live")
    shutil.copy(review_config.output / "groundcode.db", folder / "live.db")
    url = f"sqlite:///{folder / 'live.db'}"
    config = json.loads(review_config.model_dump_json()) | {"store": url}
    (folder / "review.json").write_text(json.dumps(config), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "review", str(folder / "review.json"),
         "--port", str(port), "--retrain-every", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        yield port, proc.pid, url
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + body)
        return read_response(sock)


def read_response(sock) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers = {k.lower(): v for k, v in headers.items()}
    while len(body) < int(headers.get("content-length", 0)):
        more = sock.recv(65536)
        if not more:
            break
        body += more
    return int(lines[0].split()[1]), headers, body


def test_a_chunked_512_mib_post_leaves_the_server_memory_flat(live_server):
    """Before: the whole body was read first (512 MiB sent, the server's peak grew by
    about 1 GB, the 413 had no security headers). Now the 413 comes after the limit,
    while the client is still sending, and the server's memory does not move."""
    port, pid, _ = live_server
    rss_before = _status_kb(pid, "VmRSS")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall((f"POST /memo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n").encode())
    chunk = 64 * 1024
    piece = b"%x\r\n" % chunk + b"a" * chunk + b"\r\n"
    sent = 0
    while sent < 512 * MiB and not select.select([sock], [], [], 0)[0]:
        sock.sendall(piece)
        sent += chunk
    status, headers, body = read_response(sock)
    sock.close()
    grown_mb = (_status_kb(pid, "VmHWM") - rss_before) / 1024
    assert status == 413 and b"request body too large" in body
    assert headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert sent < 32 * MiB, sent / MiB  # answered while the client was still sending
    assert grown_mb < 64, grown_mb  # peak resident memory, not just the current one


def test_a_foreign_host_is_refused_by_the_loopback_server(live_server):
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: nothing is answered."""
    from pipeline.store import open_store

    port, _, url = live_server
    ok, _, page = raw_request(port, f"GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                    "Connection: close\r\n\r\n")
    assert ok == 200 and b'name="csrf"' in page
    assert raw_request(port, f"GET /login HTTP/1.1\r\nHost: localhost:{port}\r\n"
                             "Connection: close\r\n\r\n")[0] == 200
    for host in (f"rebind.attacker.example:{port}", "attacker.example", f"127.0.0.2:{port}"):
        status, headers, body = raw_request(
            port, f"GET /login HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        assert status == 400 and b"Invalid host header" in body and b"csrf" not in body
        assert headers["x-frame-options"] == "DENY"
    form = b"coder=mallory&csrf=x"
    status, _, _ = raw_request(
        port, f"POST /login HTTP/1.1\r\nHost: rebind.attacker.example:{port}\r\n"
              "Content-Type: application/x-www-form-urlencoded\r\n"
              f"Cookie: gc_login=x\r\nContent-Length: {len(form)}\r\n"
              "Connection: close\r\n\r\n", form)
    assert status == 400
    with open_store(url) as store:
        assert store.codings.coders() == [] and store.codings.decisions() == []


def test_host_policy_names_the_bound_address_and_the_configured_names(make_app):
    assert allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "[::1]"]
    assert allowed_hosts("::1") == ["[::1]", "localhost", "127.0.0.1"]
    assert allowed_hosts("192.168.1.5", ("Review.Lab.example",)) == [
        "192.168.1.5", "review.lab.example"]
    assert allowed_hosts("0.0.0.0") == ["*"]  # any name; the access token guards it
    assert allowed_hosts("") == ["*"] and not is_loopback("")  # "" binds every address
    assert allowed_hosts("::", ("*.lab.example",)) == [
        "*.lab.example", "localhost", "127.0.0.1", "[::1]"]
    for bad in ("evil.example/x", "a b", "*evil.example", "http://x"):
        with pytest.raises(ValueError, match="not a host name"):
            allowed_hosts("127.0.0.1", (bad,))
    app, store = make_app(host="127.0.0.1", allowed_hosts=("review.lab.example",))
    assert TestClient(app, base_url="http://review.lab.example").get("/login").status_code == 200
    assert TestClient(app, base_url="http://[::1]:8765").get("/login").status_code == 200
    refused = TestClient(app, base_url="http://testserver").get("/login")
    assert refused.status_code == 400
    assert_secured(refused)


def test_review_command_refuses_a_bad_allowed_host(review_config, tmp_path, capsys):
    from pipeline.cli import main

    config_file = tmp_path / "review.json"
    config_file.write_text(review_config.model_dump_json(), encoding="utf-8")
    assert main(["review", str(config_file), "--allowed-host", "evil.example/x"]) == 2
    err = capsys.readouterr().err
    assert "--allowed-host" in err and "evil.example/x" in err and "Traceback" not in err


# -- a re-run while the app is up ----------------------------------------------------------

def rerun_with_a_revised_document(config, store_url: str, folder: Path) -> None:
    """``groundcode run`` on the app's store after one case gained an opening sentence:
    every passage of that case moves, so all its passage ids change."""
    from pipeline.engines.run import run_job

    corpus = shutil.copytree(config.corpus.path, folder / "corpus")
    case = corpus / "cases" / f"{RESEGMENTED}.txt"
    case.write_text(REVISED_OPENING + case.read_text(encoding="utf-8"), encoding="utf-8")
    run_job(config.model_copy(update={
        "store": store_url, "output": folder / "out",
        "corpus": config.corpus.model_copy(update={"path": corpus}),
        "embed": config.embed.model_copy(update={"cache_dir": config.output / "cache"}),
    }), progress=False)


def resegment_in_place(store, doc_id: str) -> None:
    """What the run's segment stage does for the revised case: the document and its
    passages replaced in one transaction, then marked segmented."""
    import dataclasses

    from pipeline.store import StageHashes

    doc = store.documents.get_document(doc_id)
    shift = len(REVISED_OPENING)
    moved = [dataclasses.replace(p, id=f"{doc_id}:{p.start + shift}-{p.end + shift}",
                                 start=p.start + shift, end=p.end + shift)
             for p in store.documents.passages(doc_id=doc_id)]
    revised = dataclasses.replace(doc, text=REVISED_OPENING + doc.text)
    store.replace_document(revised, moved, corpus=store.documents.corpora()[0])
    store.mark_stage(doc_id, "segmented", StageHashes(revised.sha256 or ""))


def check_old_position(client, csrf, old, store, expect_post):
    page = client.get(f"/review?strategy=document&pos={old[0]}")
    assert page.status_code == 200, page.text[-500:]
    shown = re.search(r'data-passage="([^"]+)"', page.text).group(1)
    assert shown != old[0] and store.documents.passages(ids=[shown]), shown


def check_document_filter(client, csrf, old, store, expect_post):
    page = client.get(f"/review?strategy=document&doc={RESEGMENTED}")
    assert page.status_code == 200, page.text[-500:]
    shown = re.search(r'data-passage="([^"]+)"', page.text).group(1)
    assert shown.startswith(RESEGMENTED + ":") and shown not in old
    assert store.documents.passages(ids=[shown])
    # the new passages are there to be coded
    assert client.post("/decide", data={"csrf": csrf, "passage_id": shown, "action": "add",
                                        "code": "A01"}).status_code == 200
    assert [d.passage_id for d in store.codings.decisions("li")] == [shown]


def _check_post(path: str, form: dict):
    def check(client, csrf, old, store, expect_post):
        answer = client.post(path, data={"csrf": csrf, "passage_id": old[1], **form})
        assert answer.status_code == expect_post, (path, answer.status_code, answer.text[-300:])
        assert "reload the review page" in answer.text and "re-run" in answer.text
        assert_secured(answer)
        assert not [d for d in store.codings.decisions() if d.passage_id in old]
        assert not [m for m in store.codings.memos() if m.passage_id in old]
        assert client.get("/review").status_code == 200
        assert client.app.state.queue.entry(old[1]) is None  # the queue has caught up

    check.__name__ = f"check_post_{path.strip('/')}"
    return check


def check_agreement(client, csrf, old, store, expect_post):
    assert client.get("/agreement").status_code == 200


STALE_CHECKS = (check_old_position, check_document_filter,
                _check_post("/decide", {"action": "accept", "code": "A01"}),
                _check_post("/adjudicate", {"codes": "A01"}),
                _check_post("/memo", {"text": "备忘"}), check_agreement)


def test_a_rerun_while_the_app_is_up_reloads_the_queue(make_app, review_config, tmp_path):
    """A real ``groundcode run`` on the app's store; the queue looks at the store on each
    request (store_check_seconds=0) and rebuilds: the old ids are simply not in the queue
    any more (404 with the hint), the page shows passages that exist."""
    app, store = make_app(store_check_seconds=0)
    client = TestClient(app)
    csrf = sign_in(client, "li")
    old = [p.id for p in store.documents.passages(doc_id=RESEGMENTED) if p.codable]
    assert current(client, f"strategy=document&doc={RESEGMENTED}")[0] == old[0]
    rerun_with_a_revised_document(review_config, str(store.engine.url), tmp_path)
    assert not store.documents.passages(ids=old)  # every old id is gone
    for check in STALE_CHECKS:
        check(client, csrf, old, store, 404)


@pytest.mark.parametrize("check", STALE_CHECKS, ids=lambda c: c.__name__)
def test_a_queue_that_has_not_seen_the_rerun_never_answers_500(make_app, check):
    """Between two looks at the store (store_check_seconds) the queue still holds the old
    ids: a page reloads itself, a POST shows the store's message (409) and the queue
    rebuilds on the next request."""
    app, store = make_app(store_check_seconds=3600)
    client = TestClient(app)
    csrf = sign_in(client, "li")
    old = [p.id for p in store.documents.passages(doc_id=RESEGMENTED) if p.codable]
    resegment_in_place(store, RESEGMENTED)
    assert not store.documents.passages(ids=old)
    assert all(app.state.queue.entry(pid) is not None for pid in old)  # stale
    check(client, csrf, old, store, 409)


def test_the_queue_rebuilds_only_when_the_store_changed_and_never_makes_others_wait(make_app):
    import threading

    app, store = make_app()
    queue = app.state.queue
    assert queue.refresh() is False  # nothing changed since it was built
    old = [p.id for p in store.documents.passages(doc_id=RESEGMENTED) if p.codable]
    resegment_in_place(store, RESEGMENTED)
    assert queue.refresh() is True  # changed: rebuilt
    assert all(queue.entry(pid) is None for pid in old)
    resegment_in_place(store, RESEGMENTED)
    assert queue.refresh(every=3600) is False  # looked a moment ago
    release, started = threading.Event(), threading.Event()
    real = queue.rebuild

    def slow_rebuild():
        started.set()
        release.wait(30)
        real()

    queue.rebuild = slow_rebuild
    rebuilding = threading.Thread(target=queue.refresh)
    rebuilding.start()
    assert started.wait(30)
    t0 = time.perf_counter()
    assert queue.refresh() is False  # another request is rebuilding: go on, do not wait
    assert time.perf_counter() - t0 < 1
    release.set()
    rebuilding.join(30)
    moved = [p.id for p in store.documents.passages(doc_id=RESEGMENTED) if p.codable]
    assert all(queue.entry(pid) is not None for pid in moved)


# -- memos ---------------------------------------------------------------------------------

def test_memos_only_on_passages_that_exist_and_of_bounded_length(make_app):
    from pipeline.errors import StoreError

    app, store = make_app(max_memo_chars=4000)
    client = TestClient(app)
    csrf = sign_in(client, "li")
    passage, _ = current(client)
    too_long = client.post("/memo", data={"csrf": csrf, "passage_id": passage,
                                          "text": "m" * 4001})
    assert too_long.status_code == 422 and "4000" in too_long.text
    assert_secured(too_long)
    assert client.post("/memo", data={"csrf": csrf, "passage_id": passage,
                                      "text": "m" * 4000}).status_code == 200
    assert [len(m.text) for m in store.codings.memos("li")] == [4000]
    missing = client.post("/memo", data={"csrf": csrf, "passage_id": "gone:0-1", "text": "x"})
    assert missing.status_code == 404
    with pytest.raises(StoreError, match="not in the store"):
        store.codings.add_memo("li", "on a passage that was never there", "gone:0-1")
    assert len(store.codings.memos()) == 1
    store.codings.add_memo("li", "a memo on the project, no passage")
    assert len(store.codings.memos()) == 2


# -- security headers on every response ----------------------------------------------------

def test_security_headers_on_every_response_errors_included(make_app):
    app, store = make_app(max_memo_chars=10)

    def boom():
        raise RuntimeError("a bug in a route added later")

    async def late_form(request):  # a route added after create_app, reading a body
        return {"fields": len(await request.form())}

    app.add_api_route("/boom", boom)
    app.add_api_route("/late", late_form, methods=["POST"])
    client = TestClient(app, raise_server_exceptions=False)
    csrf = sign_in(client, "li")
    passage, _ = current(client)
    seen = {}
    for name, response in {
        "login": client.get("/login"),
        "static": client.get("/static/app.css"),
        "redirect": client.get("/", follow_redirects=False),
        "400 code": client.post("/decide", data={"csrf": csrf, "passage_id": passage,
                                                 "action": "add", "code": "Z99"}),
        "400 host": client.get("/login", headers={"host": "attacker.example"}),
        "403 csrf": client.post("/decide", data={"passage_id": passage, "action": "none"}),
        "404 route": client.get("/nope"),
        "404 passage": client.post("/decide", data={"csrf": csrf, "passage_id": "<b>x</b>:0-1",
                                                    "action": "none"}),
        "405": client.put("/decide"),
        "413": client.post("/memo", data={"csrf": csrf, "passage_id": passage,
                                          "text": "m" * (LIMIT + 1)}),
        "413 late route": client.post("/late", data={"text": "m" * (LIMIT + 1)}),
        "422": client.post("/memo", data={"csrf": csrf, "passage_id": passage,
                                          "text": "eleven chars"}),
        "500": client.get("/boom"),
    }.items():
        seen[name] = response.status_code
        assert_secured(response)
    assert seen == {"login": 200, "static": 200, "redirect": 303, "400 code": 400,
                    "400 host": 400, "403 csrf": 403, "404 route": 404, "404 passage": 404,
                    "405": 405, "413": 413, "413 late route": 413, "422": 422, "500": 500}
    page = client.post("/decide", data={"csrf": csrf, "passage_id": "<b>x</b>:0-1",
                                        "action": "none"})
    assert "&lt;b&gt;x&lt;/b&gt;" in page.text and "<b>x</b>" not in page.text
    crash = client.get("/boom")
    assert "a bug in a route" not in crash.text and "Traceback" not in crash.text
    token_app, _ = make_app(host="0.0.0.0", token="s3cret-token")
    refused = TestClient(token_app).get("/review")
    assert refused.status_code == 403
    assert_secured(refused)
    assert store.codings.decisions() == [] and store.codings.memos() == []
