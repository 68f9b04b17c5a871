"""The review page in headless Chromium: keyboard-only coding, two coders at once, escaping,
CSRF. Screenshots go to each test's tmp dir."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.review.conftest import XSS

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture()
def server(review_app):
    uvicorn = pytest.importorskip("uvicorn")
    app, store, config = review_app
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    srv.should_exit = True
    thread.join(10)


@pytest.fixture()
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def keyboard_sign_in(page, base: str, coder: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#coder-name").fill("")
    page.keyboard.type(coder)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def current_passage(page) -> str:
    card = page.locator("section.passage-card")
    if card.count() == 0:
        raise AssertionError(f"no passage on {page.url}: {page.inner_text('body')[:500]}")
    return card.get_attribute("data-passage")


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def test_a_coder_reviews_twenty_passages_with_the_keyboard_only(server, browser, tmp_path):
    base, store = server
    page = browser.new_page()
    keyboard_sign_in(page, base, "li")
    page.goto(f"{base}/review?strategy=document")
    seen = []
    for _ in range(20):
        passage = current_passage(page)
        seen.append(passage)
        press_and_wait(page, "1")  # accept the first suggestion
        assert current_passage(page) == passage
        press_and_wait(page, "n")  # next passage
    assert len(set(seen)) == 20
    decisions = store.codings.decisions("li")
    assert [d.passage_id for d in decisions] == seen
    assert all(d.decision == "accept" and d.model for d in decisions)
    page.screenshot(path=str(tmp_path / "review.png"))
    # undo removes the last decision and shows its passage
    press_and_wait(page, "u")
    assert [d.passage_id for d in store.codings.decisions("li")] == seen[:19]
    assert current_passage(page) == seen[19]
    # a reload returns to the same place
    page.reload()
    assert current_passage(page) == seen[19]
    # ? shows the help, 0 records "no code applies" and moves on
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    press_and_wait(page, "0")
    assert store.codings.decisions("li")[-1].decision == "none"
    assert current_passage(page) != seen[19]
    # x rejects, a opens the code picker
    press_and_wait(page, "x")
    assert store.codings.decisions("li")[-1].decision == "reject"
    page.keyboard.press("a")
    page.keyboard.type("A07")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    last = store.codings.decisions("li")[-1]
    assert (last.decision, last.code) == ("add", "A07")
    assert (tmp_path / "review.png").stat().st_size > 10_000


def test_two_coders_at_once_keep_both_sets_of_decisions(server, browser, tmp_path):
    base, store = server
    pages = []
    for coder in ("li", "chen"):
        context = browser.new_context()
        page = context.new_page()
        keyboard_sign_in(page, base, coder)
        page.goto(f"{base}/review?strategy=document")
        pages.append(page)
    start = [current_passage(p) for p in pages]
    assert start[0] == start[1]
    for _ in range(5):
        for page in pages:  # interleaved: same passages, same moment
            press_and_wait(page, "1")
        for page in pages:
            press_and_wait(page, "n")
    li, chen = store.codings.decisions("li"), store.codings.decisions("chen")
    assert len(li) == 5 and len(chen) == 5
    assert [d.passage_id for d in li] == [d.passage_id for d in chen]
    for i, page in enumerate(pages):
        page.screenshot(path=str(tmp_path / f"coder{i}.png"))


def test_markup_in_passages_is_shown_as_text_and_never_runs(server, browser, tmp_path):
    base, store = server
    xss = next(p for p in store.documents.passages(doc_id="99-YQ-XSS") if "<script>" in p.text)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    keyboard_sign_in(page, base, "li")
    page.goto(f"{base}/review?pos={xss.id}")
    text = page.locator("#passage-text").inner_text()
    assert "<script>alert(1)</script>" in text and '"><img src=x onerror=alert(1)>' in text
    assert page.locator("#passage-text img").count() == 0
    assert page.locator("#passage-text script").count() == 0
    page.goto(f"{base}/document/99-YQ-XSS?hl={xss.id}")
    assert XSS.split("：")[1][:20] in page.locator("#hl").inner_text()
    page.wait_for_timeout(300)
    page.screenshot(path=str(tmp_path / "xss.png"))
    assert dialogs == []


def test_a_post_without_a_valid_csrf_token_is_refused(server, browser, tmp_path):
    base, store = server
    page = browser.new_page()
    keyboard_sign_in(page, base, "li")
    page.goto(f"{base}/review?strategy=document")
    passage = current_passage(page)
    form = {"passage_id": passage, "action": "none"}
    assert page.request.post(f"{base}/decide", form=form).status == 403
    assert page.request.post(f"{base}/decide", form={**form, "csrf": "x" * 32}).status == 403
    assert page.request.post(f"{base}/undo", form={}).status == 403
    assert store.codings.decisions() == []
    page.screenshot(path=str(tmp_path / "csrf.png"))
