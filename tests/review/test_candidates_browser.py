"""The candidates page in headless Chromium: a researcher accepts, merges and rejects candidate
categories; the next `groundcode run` re-classifies only and codes with the new version; two
researchers at once lose nothing; markup in a draft label and in a memo stays text."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
XSS_LABEL = '<img src=x onerror="window.__xss=1">草稿'
XSS_MEMO = "<script>window.__xss=2</script>不是新概念"


@pytest.fixture()
def project(review_config, tmp_path):
    """A copy of the review demo's whole run folder (store, models, cache), its config,
    and the last candidate's draft label replaced by markup."""
    from pipeline.store import open_store
    from pipeline.store.results import CandidateRecord

    out = tmp_path / "out"
    shutil.copytree(review_config.output, out)
    config = review_config.model_copy(update={"output": out, "store": None})
    with open_store(f"sqlite:///{out / 'groundcode.db'}") as store:
        corpus = store.documents.corpora()[0]
        mark = store.results.stage_result(corpus, "cluster")
        records = store.results.candidates(corpus)
        assert len(records) >= 3, "the demo must give at least three candidates"
        last = records[-1]
        data = {**last.data, "label": {"zh": XSS_LABEL, "en": XSS_LABEL}}
        records[-1] = CandidateRecord(last.id, XSS_LABEL, XSS_LABEL, last.novelty,
                                      last.passage_ids, data)
        store.results.save_stage_result(corpus, mark, records)
    return config


@pytest.fixture()
def server(project):
    uvicorn = pytest.importorskip("uvicorn")
    from pipeline.cli.review import build_review_app
    from tests.engines.run_helpers import write_config

    path = write_config(project.model_dump(mode="json"), project.output.parent / "run.yaml")
    app, store = build_review_app(path, None, None, "li", None, 0)
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
    store.close()


@pytest.fixture()
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def sign_in(page, base: str, coder: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#coder-name", coder)
    with page.expect_navigation():
        page.click("form.login button")
    page.goto(f"{base}/candidates")


def candidate_ids(page) -> list[str]:
    return [e.get_attribute("id").removeprefix("cand-")
            for e in page.locator("section.candidate").all()]


def submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)
    assert page.url.split("#")[0].endswith("/candidates"), page.inner_text("body")[:300]


def test_accept_merge_reject_then_run_codes_with_the_new_version(server, project, browser,
                                                                 tmp_path):
    from pipeline.engines.run import run_job

    base, store = server
    corpus = store.documents.corpora()[0]
    versions_before = len(store.codebooks.codebooks())
    page = browser.new_page(viewport={"width": 1300, "height": 1600})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, base, "li")
    first, second, third = candidate_ids(page)[:2] + candidate_ids(page)[-1:]
    card = f"#cand-{first}"
    page.click(f"{card} .act-accept summary")
    page.select_option(f"{card} select[name=parent]", "B03")
    page.fill(f"{card} input[name=name_zh]", "订单农业与冷链（研究者命名）")
    page.fill(f"{card} input[name=code_id]", "A51")
    submit(page, f"{card} .accept-form button")
    page.click(f"#cand-{second} .act-merge summary")
    page.select_option(f"#cand-{second} select[name=code_id]", "A12")
    submit(page, f"#cand-{second} .merge-form button")
    page.click(f"#cand-{third} .act-reject summary")
    page.fill(f"#cand-{third} .reject-form input[name=memo]", XSS_MEMO)
    submit(page, f"#cand-{third} .reject-form button")
    # markup in the draft label and in the memo is shown as text, never run
    body = page.inner_text("body")
    assert XSS_LABEL in body and XSS_MEMO in body
    assert page.evaluate("window.__xss === undefined") and not dialogs
    assert page.locator(f"#cand-{third} img").count() == 0
    page.screenshot(path=str(tmp_path / "candidates.png"), full_page=True)

    decisions = store.candidates.decisions(corpus)
    assert [(d.candidate_id, d.action, d.coder, d.code_id) for d in decisions] == [
        (first, "accept", "li", "A51"), (second, "merge", "li", "A12"), (third, "reject", "li",
                                                                          None)]
    assert decisions[2].details["memo"] == XSS_MEMO
    assert len(store.codebooks.codebooks()) == versions_before + 2
    newest = store.codebooks.latest_descendant(decisions[0].codebook_hash)
    assert newest.hash == decisions[1].new_codebook_hash and newest.author == "li"
    from pipeline.codebook.stored import codebook_from_text

    book = codebook_from_text(newest.content, "newest")
    code = book.get("A51")
    assert (code.parent, code.name.zh) == ("B03", "订单农业与冷链（研究者命名）")
    assert len(code.examples) == len(decisions[0].passage_ids) > 0

    result = run_job(project, progress=False)
    docs = result.counts["documents"]
    assert result.processed["segment"] == [] and result.processed["embed"] == []
    assert len(result.processed["classify"]) == docs
    frame = store.suggestions.corpus_suggestion_frame(corpus, newest.hash)
    a51 = frame[(frame["code_id"] == "A51") & frame["accepted"]]
    assert len(a51) > 0, "the new code is applied after the run"
    with zipfile.ZipFile(result.output / "project.qdpx") as zf:
        qde = zf.read("project.qde").decode("utf-8")
    assert 'name="A51' in qde or ">A51" in qde or "A51 " in qde
    html = (result.output / "report.html").read_text("utf-8")
    assert 'id="accepted-table"' in html and "A51" in html.split('id="accepted-table"')[1]
    # `groundcode export` renders the version the last run coded with, not the file's
    from pipeline.report.export import export_from_store

    before = (result.output / "project.qdpx").read_bytes()
    (result.output / "project.qdpx").unlink()
    export_from_store(project, only=("qdpx",))
    assert (result.output / "project.qdpx").read_bytes() == before


def test_two_researchers_accepting_at_once_lose_nothing(server, browser, tmp_path):
    base, store = server
    corpus = store.documents.corpora()[0]
    pages = []
    for coder in ("li", "wang"):
        page = browser.new_context().new_page()
        sign_in(page, base, coder)  # both load the page before either decides
        pages.append(page)
    ids = candidate_ids(pages[0])
    for page, cid, code in ((pages[0], ids[0], "A51"), (pages[1], ids[1], "A52")):
        page.click(f"#cand-{cid} .act-accept summary")
        page.fill(f"#cand-{cid} input[name=code_id]", code)
        submit(page, f"#cand-{cid} .accept-form button")
    page = pages[1]
    page.click(f"#cand-{ids[2]} .act-rename summary")
    page.fill(f"#cand-{ids[2]} input[name=label_zh]", "重新命名")
    submit(page, f"#cand-{ids[2]} .rename-form button")
    decisions = store.candidates.decisions(corpus)
    assert [(d.coder, d.action) for d in decisions] == [("li", "accept"), ("wang", "accept"),
                                                        ("wang", "rename")]
    from pipeline.codebook.stored import codebook_from_text

    newest = store.codebooks.latest_descendant(decisions[0].codebook_hash)
    book = codebook_from_text(newest.content, "newest")
    assert "A51" in book and "A52" in book  # the second accept applied on the first's version
    assert decisions[1].codebook_hash == decisions[0].new_codebook_hash
    pages[0].reload()
    assert pages[0].locator(f"#cand-{ids[2]} .label-zh").inner_text() == "重新命名"
    assert "[accepted]" in pages[0].locator(f"#cand-{ids[1]} h2").inner_text()
