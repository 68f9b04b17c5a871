"""The candidates pages over HTTP and the candidate decisions underneath: CSRF, every action,
errors that name the problem, concurrent versions, moving passages out."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pipeline.review import candidates as cand
from pipeline.store.candidates import VersionConflict

pytestmark = pytest.mark.slow
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(client: TestClient, coder: str) -> str:
    page = client.get("/login")
    token = CSRF.search(page.text).group(1)
    assert client.post("/login", data={"coder": coder, "csrf": token}).status_code == 200
    return CSRF.search(client.get("/candidates").text).group(1)


def ids(client: TestClient) -> list[str]:
    return re.findall(r'<section class="candidate status-\w+" id="cand-([^"]+)"',
                      client.get("/candidates").text)


def test_candidates_page_shows_each_candidate_and_gets_never_write(review_app):
    app, store, config = review_app
    client = TestClient(app)
    assert "/login" in str(client.get("/candidates").url)
    sign_in(client, "li")
    page = client.get("/candidates").text
    board = cand.load_board(store, cand.newest_version(store, _root(store, config))[0].hash)
    assert board.views and ids(client) == [v.candidate.id for v in board.views]
    view = board.views[0]
    for shown in (view.label.zh, view.candidate.keywords[0], str(view.documents),
                  view.candidate.nearest_codes[0].code_id, cand.next_code_id(board.book)):
        assert shown in page
    detail = client.get(f"/candidates/{view.candidate.id}").text
    assert detail.count('name="passage"') == len(view.members)
    assert client.get("/candidates/NOPE").status_code == 404
    assert store.candidates.decisions() == []


def _root(store, config) -> str:
    from pipeline.codebook import load_codebook

    return load_codebook(config.codebook).hash


def test_every_action_needs_the_csrf_token_and_is_attributed(review_app):
    app, store, config = review_app
    client = TestClient(app)
    csrf = sign_in(client, "li")
    first, second = ids(client)[:2]
    form = {"code_id": "A51", "parent": "B01", "name_zh": "新", "name_en": "new",
            "definition_zh": "定义", "definition_en": "definition"}
    assert client.post(f"/candidates/{first}/accept", data=form).status_code == 403
    assert client.post(f"/candidates/{first}/accept",
                       data={**form, "csrf": "forged"}).status_code == 403
    assert store.candidates.decisions() == []
    bad = client.post(f"/candidates/{first}/accept", data={**form, "code_id": "A01",
                                                            "csrf": csrf})
    assert bad.status_code == 400 and "A01" in bad.text  # an id the codebook has
    ok = client.post(f"/candidates/{first}/accept", data={**form, "csrf": csrf})
    assert ok.status_code == 200 and "[accepted]" in ok.text
    again = client.post(f"/candidates/{first}/reject", data={"csrf": csrf, "memo": "x"})
    assert again.status_code == 409 and "already accepted" in again.text
    members = cand.load_board(store, _root(store, config)).views[1].members
    moved = client.post(f"/candidates/{second}/move_out",
                        data={"csrf": csrf, "passage": [members[0]], "memo": "off topic"})
    assert moved.status_code == 200
    view = cand.load_board(store, _root(store, config)).views[1]
    assert view.members == members[1:] and view.status == "open"
    decisions = store.candidates.decisions()
    assert [(d.action, d.coder) for d in decisions] == [("accept", "li"), ("move_out", "li")]
    assert decisions[1].passage_ids == (members[0],)
    assert decisions[0].codebook_hash == _root(store, config)
    assert decisions[0].new_codebook_hash == store.codebooks.latest_descendant(
        _root(store, config)).hash


def test_a_concurrent_version_makes_the_decision_apply_to_the_newer_one(review_app, monkeypatch):
    from pipeline.codebook.stored import codebook_from_text, codebook_text

    _, store, config = review_app
    root = _root(store, config)
    board = cand.load_board(store, root)
    first, second = board.views[0].candidate.id, board.views[1].candidate.id
    real = store.candidates.decide
    calls = []

    def racing(*args, **kwargs):
        calls.append(kwargs["base_hash"])
        if len(calls) == 1:  # another researcher merges C02 just before this accept lands
            cand.merge(store, root, second, "wang", "A12")
        return real(*args, **kwargs)

    monkeypatch.setattr(store.candidates, "decide", racing)
    form = cand.AcceptForm("A51", "B01", "新范畴", "new", "定义", "definition")
    cand.accept(store, root, first, "li", form)
    monkeypatch.undo()
    assert calls[0] == root and calls[-1] != root  # retried on the newer version
    newest = store.codebooks.latest_descendant(root)
    book = codebook_from_text(newest.content, "newest")
    assert "A51" in book and len(book.get("A12").examples) > 0
    assert [d.action for d in store.candidates.decisions()] == ["merge", "accept"]
    with pytest.raises(VersionConflict):  # a stale base is never written over
        store.candidates.decide(board.corpus, first, "accept", "li", base_hash=root,
                                new_version=_version(codebook_text, book))


def _version(codebook_text, book):
    from pipeline.store.candidates import NewVersion

    return NewVersion(book.id, "f" * 64, codebook_text(book))
