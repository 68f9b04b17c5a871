"""The candidates pages of the review app: candidate categories and the researchers'
decisions on them (:mod:`pipeline.review.candidates` does the work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.errors import GroundcodeError
from pipeline.review import candidates as cand
from pipeline.store.candidates import VersionConflict

CONTEXT_CHARS = 120


@dataclass(frozen=True)
class Helpers:
    """What the app shares with these routes."""

    store: Any
    root_hash: str  # the codebook version the app was started with
    render: Any  # (request, template, session, **context) -> response
    check_csrf: Any  # (request, token) -> session | Response
    session_of: Any  # (request) -> session | None


def _refused(exc: GroundcodeError) -> Response:
    status = 409 if isinstance(exc, cand.DecisionConflict | VersionConflict) else 400
    return Response(str(exc), status_code=status, media_type="text/plain")


def _done(candidate_id: str) -> RedirectResponse:
    return RedirectResponse(f"/candidates#cand-{candidate_id}", status_code=303)


def _in_context(store, passage_ids) -> list[dict]:
    passages = store.documents.passages(ids=list(passage_ids))
    docs = {d: store.documents.get_document(d) for d in {p.doc_id for p in passages}}
    order = {pid: i for i, pid in enumerate(passage_ids)}
    rows = []
    for p in sorted(passages, key=lambda p: order[p.id]):
        text = docs[p.doc_id].text
        rows.append({"p": p, "title": docs[p.doc_id].meta.get("title", ""),
                     "before": text[max(0, p.start - CONTEXT_CHARS):p.start],
                     "after": text[p.end:p.end + CONTEXT_CHARS]})
    return rows


def add_candidate_routes(app, h: Helpers) -> None:
    """GET /candidates, GET /candidates/{id}, POST /candidates/{id}/{action}."""

    @app.get("/candidates", response_class=HTMLResponse)
    def candidates_page(request: Request):
        session = h.session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        board = cand.load_board(h.store, h.root_hash)
        context = {"board": board}
        if board is not None:
            book = board.book
            context |= {"mains": [c for c in book.codes if c.level == "main"],
                        "codable": [c for c in book.codes if c.codable],
                        "next_id": cand.next_code_id(book), "book": book}
        return h.render(request, "candidates.html.j2", session, **context)

    @app.get("/candidates/{candidate_id}", response_class=HTMLResponse)
    def candidate_page(request: Request, candidate_id: str):
        session = h.session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        board = cand.load_board(h.store, h.root_hash)
        view = next((v for v in (board.views if board else ()) if v.candidate.id == candidate_id),
                    None)
        if view is None:
            return Response(f"no candidate {candidate_id!r}", status_code=404)
        return h.render(request, "candidate.html.j2", session, view=view,
                        members=_in_context(h.store, view.members))

    _add_actions(app, h)


def _add_actions(app, h: Helpers) -> None:
    """POST /candidates/{id}/accept | merge | rename | move_out | reject."""

    def act(request: Request, csrf: str, candidate_id: str, do) -> Response:
        session = h.check_csrf(request, csrf)
        if isinstance(session, Response):
            return session
        try:
            do(session.coder)
        except GroundcodeError as exc:
            return _refused(exc)
        return _done(candidate_id)

    @app.post("/candidates/{candidate_id}/accept")
    def accept(request: Request, candidate_id: str, csrf: str = Form(""),
               code_id: str = Form(...), parent: str = Form(...), name_zh: str = Form(""),
               name_en: str = Form(""), definition_zh: str = Form(""),
               definition_en: str = Form(""), include_zh: str = Form(""),
               include_en: str = Form(""), exclude_zh: str = Form(""),
               exclude_en: str = Form(""), memo: str = Form("")):
        form = cand.AcceptForm(code_id, parent, name_zh, name_en, definition_zh, definition_en,
                               include_zh, include_en, exclude_zh, exclude_en, memo)
        return act(request, csrf, candidate_id,
                   lambda coder: cand.accept(h.store, h.root_hash, candidate_id, coder, form))

    @app.post("/candidates/{candidate_id}/merge")
    def merge(request: Request, candidate_id: str, csrf: str = Form(""),
              code_id: str = Form(...), memo: str = Form("")):
        return act(request, csrf, candidate_id, lambda coder: cand.merge(
            h.store, h.root_hash, candidate_id, coder, code_id.strip(), memo))

    @app.post("/candidates/{candidate_id}/rename")
    def rename(request: Request, candidate_id: str, csrf: str = Form(""),
               label_zh: str = Form(""), label_en: str = Form("")):
        return act(request, csrf, candidate_id, lambda coder: cand.rename(
            h.store, h.root_hash, candidate_id, coder, label_zh, label_en))

    @app.post("/candidates/{candidate_id}/move_out")
    async def move_out(request: Request, candidate_id: str):
        form = await request.form()
        chosen = [str(v) for v in form.getlist("passage")]
        return act(request, str(form.get("csrf", "")), candidate_id, lambda coder: cand.move_out(
            h.store, h.root_hash, candidate_id, coder, chosen, str(form.get("memo", ""))))

    @app.post("/candidates/{candidate_id}/reject")
    def reject(request: Request, candidate_id: str, csrf: str = Form(""),
               memo: str = Form("")):
        return act(request, csrf, candidate_id, lambda coder: cand.reject(
            h.store, h.root_hash, candidate_id, coder, memo))
