"""The review web app: FastAPI + Jinja2 pages, a little hand-written JavaScript.

Everything is served by the app (no CDN). Pages are rendered on the server with
autoescaping, so passage text, memos and code names are always text, never markup;
a Content-Security-Policy forbids inline scripts as a second line of defence.
State changes only through POST with the session's CSRF token; GET never writes.
Host check, access token, body limit, security headers and error pages are app-wide
layers (:mod:`pipeline.review.guards`); every request first brings the queue up to date
with the store (:meth:`ReviewQueue.refresh`), so a re-run while the app is up never
leaves it pointing at passages that are gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from pipeline.review.guards import install_error_pages, install_guards
from pipeline.review.learn import Trainer
from pipeline.review.queue import STRATEGIES, Filters, ReviewQueue
from pipeline.review.security import SESSION_COOKIE, Signer, same_token, valid_coder_name

HERE = Path(__file__).parent
ACTIONS = {"accept", "reject", "add", "none"}


@dataclass
class ReviewSettings:
    default_coder: str = ""
    token: str | None = None  # required when serving on a non-loopback address
    host: str = "127.0.0.1"  # the address served on: Host headers must name it
    allowed_hosts: tuple[str, ...] = ()  # further names for the Host header
    retrain_every: int = 25
    max_body_bytes: int = 64 * 1024
    max_memo_chars: int = 4000
    store_check_seconds: float = 1.0  # how often the queue looks for a re-run's changes
    seed: int = 0
    n_boot: int = 200
    secret: bytes | None = field(default=None, repr=False)


def create_app(store, config, book, settings: ReviewSettings | None = None):
    """The ASGI app for ``store`` coded with ``book`` under run ``config``."""
    settings = settings or ReviewSettings(seed=config.seed)
    signer = Signer(settings.secret)
    queue = ReviewQueue(store, book.hash, settings.seed)
    trainer = Trainer(store, config, book, every=settings.retrain_every, on_done=queue.rebuild)
    import jinja2

    templates = Jinja2Templates(env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every template, whatever its extension
    ))
    codable = {c.id: c for c in book.codes if c.codable}

    def fresh_queue() -> None:
        queue.refresh(settings.store_check_seconds)

    app = FastAPI(title="groundcode review", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(fresh_queue)])
    app.state.queue, app.state.trainer, app.state.store = queue, trainer, store
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    install_guards(app, token=settings.token, bind=settings.host, hosts=settings.allowed_hosts,
                   max_body_bytes=settings.max_body_bytes)

    def error_page(request: Request, status: int, message: str, hint: str = "",
                   headers: dict | None = None) -> Response:
        return templates.TemplateResponse(
            request, "error.html.j2", {"session": None, "status": status, "message": message,
                                       "hint": hint}, status_code=status, headers=headers)

    install_error_pages(app, error_page, queue.invalidate, settings.max_body_bytes)

    def session_of(request: Request):
        return signer.load(request.cookies.get(SESSION_COOKIE))

    def check_csrf(request: Request, token: str) -> object | Response:
        session = session_of(request)
        if session is None:
            return Response("not signed in", status_code=403)
        header = request.headers.get("x-csrf-token")
        if not (same_token(token, session.csrf) or same_token(header, session.csrf)):
            return Response("invalid or missing CSRF token", status_code=403)
        return session

    def render(request: Request, name: str, session, **context):
        base = {"session": session, "csrf": session.csrf if session else "",
                "trainer": trainer.status, "queue_size": len(queue)}
        return templates.TemplateResponse(request, name, {**base, **context})

    def filters_of(params) -> tuple[str, Filters]:
        strategy = params.get("strategy", "uncertain")
        strategy = strategy if strategy in STRATEGIES else "uncertain"
        return strategy, Filters(params.get("doc", ""), params.get("edition", ""),
                                 params.get("arena", ""), params.get("code", ""),
                                 "1" if params.get("todo") else "")

    def review_url(strategy: str, filters: Filters, pos: str | None = None) -> str:
        query = {"strategy": strategy, **filters.query()}
        if pos:
            query["pos"] = pos
        return "/review?" + urlencode(query)

    def my_decided(coder: str) -> set[str]:
        return store.codings.decided_passages(coder)

    def not_queued(request: Request, passage_id: str) -> Response:
        return error_page(request, 404, f"passage {passage_id!r} is not in the review queue",
                          "reload the review page; the corpus may have been re-run.")

    # -- sign in ----------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request):
        import secrets

        login_csrf = secrets.token_urlsafe(16)
        response = render(request, "login.html.j2", None, default=settings.default_coder,
                          login_csrf=login_csrf)
        response.set_cookie("gc_login", login_csrf, httponly=True, samesite="strict")
        return response

    @app.post("/login")
    def login(request: Request, coder: str = Form(...), csrf: str = Form("")):
        if not same_token(csrf, request.cookies.get("gc_login")):
            return Response("invalid or missing CSRF token", status_code=403)
        coder = coder.strip()
        if not valid_coder_name(coder):
            return Response("coder names are 1-64 letters, digits, '.', '_', '@' or '-'",
                            status_code=400)
        response = RedirectResponse("/review", status_code=303)
        response.set_cookie(SESSION_COOKIE, signer.dump(Signer.new_session(coder)),
                            httponly=True, samesite="strict")
        response.delete_cookie("gc_login")
        return response

    @app.get("/")
    def home(request: Request):
        return RedirectResponse("/review" if session_of(request) else "/login", status_code=303)

    # -- the review page --------------------------------------------------------------------
    @app.get("/review", response_class=HTMLResponse)
    def review(request: Request):
        session = session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        strategy, filters = filters_of(request.query_params)
        pos = request.query_params.get("pos")
        decided = my_decided(session.coder)
        if not pos or queue.entry(pos) is None:
            pos = queue.next_undecided(strategy, filters, decided)
        context = {"strategy": strategy, "filters": filters, "strategies": STRATEGIES,
                   "facets": queue.facets(), "codes": list(codable.values()),
                   "filter_query": urlencode(filters.query())}
        if pos is None:
            return render(request, "review.html.j2", session, passage=None, **context)
        found = store.documents.passages(ids=[pos])
        if not found:  # gone since the queue was read (a run is re-segmenting): reload
            queue.rebuild()
            return RedirectResponse(review_url(strategy, filters), status_code=303)
        passage = found[0]
        document = store.documents.get_document(passage.doc_id)
        siblings = [p for p in store.documents.passages(doc_id=passage.doc_id) if p.codable]
        index = next((i for i, p in enumerate(siblings) if p.id == passage.id), 0)
        before = siblings[index - 1].text if index > 0 else ""
        after = siblings[index + 1].text if index + 1 < len(siblings) else ""
        rows = store.suggestions.suggestions_for([pos], book.hash, "initial").get(pos, [])
        suggestions = [
            {"s": s, "code": codable[s.code_id],
             "path": " › ".join(f"{c.id} {c.name.zh}" for c in book.path(s.code_id))}
            for s in rows if s.code_id in codable
        ][:5]
        mine = [d for d in store.codings.decisions(session.coder, passage_ids=[pos])]
        order = queue.order(strategy, filters)
        memos = store.codings.memos(session.coder, pos)
        context |= {
            "passage": passage, "document": document, "before": before, "after": after,
            "suggestions": suggestions, "mine": mine, "memos": memos,
            "decided_codes": {d.code: d.decision for d in mine},
            "next_url": review_url(strategy, filters,
                                   queue.neighbour(strategy, filters, pos, 1, decided)),
            "prev_url": review_url(strategy, filters,
                                   queue.neighbour(strategy, filters, pos, -1, decided)),
            "here": review_url(strategy, filters, pos),
            "model": rows[0].model if rows else "",
            "position": order.index(pos) + 1 if pos in order else 0,
            "total": len(order),
            "done": len(decided),
        }
        return render(request, "review.html.j2", session, **context)

    @app.post("/decide")
    def decide(request: Request, csrf: str = Form(""), passage_id: str = Form(...),
               action: str = Form(...), code: str = Form(""), back: str = Form("")):
        session = check_csrf(request, csrf)
        if isinstance(session, Response):
            return session
        if action not in ACTIONS:
            return Response(f"unknown action {action!r}", status_code=400)
        if queue.entry(passage_id) is None:
            return not_queued(request, passage_id)
        code_id = code.strip().split(" ", 1)[0] if code else ""
        if action != "none" and code_id not in codable:
            return Response(f"unknown code {code_id!r}", status_code=400)
        shown = store.suggestions.suggestions_for([passage_id], book.hash, "initial")
        scores = {s.code_id: s for s in shown.get(passage_id, [])}
        hit = scores.get(code_id)
        store.codings.record_decision(
            session.coder, passage_id, code_id or None, action,
            shown=code_id if hit else None, score=hit.score if hit else None,
            model=hit.model if hit else None, codebook_hash=book.hash,
        )
        trainer.note_decision()
        strategy, filters = filters_of(_params(back))
        target = passage_id
        if action == "none":
            target = queue.next_undecided(strategy, filters, my_decided(session.coder))
        return RedirectResponse(review_url(strategy, filters, target), status_code=303)

    @app.post("/undo")
    def undo(request: Request, csrf: str = Form(""), back: str = Form("")):
        session = check_csrf(request, csrf)
        if isinstance(session, Response):
            return session
        undone = store.codings.undo_decision(session.coder)
        strategy, filters = filters_of(_params(back))
        return RedirectResponse(review_url(strategy, filters, undone), status_code=303)

    @app.post("/memo")
    def memo(request: Request, csrf: str = Form(""), passage_id: str = Form(...),
             text: str = Form(..., max_length=settings.max_memo_chars), back: str = Form("")):
        session = check_csrf(request, csrf)
        if isinstance(session, Response):
            return session
        if queue.entry(passage_id) is None:
            return not_queued(request, passage_id)
        if text.strip():
            store.codings.add_memo(session.coder, text.strip(), passage_id)
        strategy, filters = filters_of(_params(back))
        return RedirectResponse(review_url(strategy, filters, passage_id), status_code=303)

    @app.post("/retrain")
    def retrain(request: Request, csrf: str = Form(""), back: str = Form("")):
        session = check_csrf(request, csrf)
        if isinstance(session, Response):
            return session
        trainer.start()
        strategy, filters = filters_of(_params(back))
        return RedirectResponse(review_url(strategy, filters, _params(back).get("pos")),
                                status_code=303)

    @app.get("/status")
    def status(request: Request):
        if session_of(request) is None:
            return Response("not signed in", status_code=403)
        s = trainer.status
        return {"model": s.model, "decisions": s.decisions, "passages": s.passages,
                "cv": s.cv, "training": s.training, "error": s.error}

    # -- the whole document ---------------------------------------------------------------
    @app.get("/document/{doc_id}", response_class=HTMLResponse)
    def document(request: Request, doc_id: str):
        session = session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        doc = store.documents.get_document(doc_id)
        if doc is None:
            return Response(f"document {doc_id!r} is not in the store", status_code=404)
        hl = request.query_params.get("hl", "")
        pieces, cursor = [], 0
        for p in store.documents.passages(doc_id=doc_id):
            if p.start < cursor:
                continue
            pieces.append({"text": doc.text[cursor:p.start], "id": ""})
            pieces.append({"text": doc.text[p.start:p.end], "id": p.id})
            cursor = p.end
        pieces.append({"text": doc.text[cursor:], "id": ""})
        return render(request, "document.html.j2", session, doc=doc, pieces=pieces, hl=hl)

    # -- agreement and adjudication ---------------------------------------------------------
    @app.get("/agreement", response_class=HTMLResponse)
    def agreement(request: Request):
        from pipeline.review.audit import decisions_report

        session = session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        report, finals = decisions_report(store, book, settings.n_boot, settings.seed)
        return render(request, "agreement.html.j2", session, report=report, finals=finals)

    @app.post("/adjudicate")
    def adjudicate(request: Request, csrf: str = Form(""), passage_id: str = Form(...),
                   codes: str = Form("")):
        session = check_csrf(request, csrf)
        if isinstance(session, Response):
            return session
        if queue.entry(passage_id) is None:
            return not_queued(request, passage_id)
        chosen = [c for c in (x.strip().split(" ", 1)[0] for x in codes.split(",")) if c]
        unknown = [c for c in chosen if c not in codable]
        if unknown:
            return Response(f"unknown code(s) {', '.join(unknown)}", status_code=400)
        adjudicator = f"adjudicator:{session.coder}"
        for code in chosen or [None]:
            store.codings.record_decision(adjudicator, passage_id, code, "adjudicate",
                                          codebook_hash=book.hash)
        return RedirectResponse("/agreement#" + passage_id, status_code=303)

    from pipeline.review.candidate_routes import Helpers, add_candidate_routes

    add_candidate_routes(app, Helpers(store, book.hash, render, check_csrf, session_of))

    # -- exports (read-only) ----------------------------------------------------------------
    @app.get("/export.xlsx")
    def export_xlsx(request: Request):
        from pipeline.review.exports import decisions_workbook

        if session_of(request) is None:
            return Response("not signed in", status_code=403)
        data = decisions_workbook(store, book)
        return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="codings.xlsx"'})

    @app.get("/export.qdpx")
    def export_qdpx(request: Request):
        from pipeline.review.exports import decisions_qdpx

        if session_of(request) is None:
            return Response("not signed in", status_code=403)
        data = decisions_qdpx(store, book)
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="codings.qdpx"'})

    return app


def _params(back: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(back or "").query))
