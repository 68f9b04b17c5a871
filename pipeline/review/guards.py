"""App-wide defences of the review app: ASGI layers and error pages that cover every
route, routes added later included (nothing here is per route).

Layers, outermost first:

* :class:`SecurityHeaders` — CSP, nosniff, framing and caching headers on every
  response, errors (400/403/404/409/413/422) included;
* Starlette's ``TrustedHostMiddleware`` — a request whose ``Host`` is not a name the
  server answers (see :func:`pipeline.review.security.allowed_hosts`) gets a 400, so a
  DNS-rebinding page cannot use a loopback server under its own name;
* :class:`AccessToken` — beyond loopback, the token from the cookie or ``?token=``,
  decided on the headers alone: no byte of the body is read before it;
* Starlette's ``RequestBodyLimitMiddleware`` — counts the body as the route streams it
  and answers 413 at the limit (at once when ``Content-Length`` is over it), so a
  chunked upload is cut after ``max_body_bytes``, never read whole.

A 500 is sent by Starlette's ``ServerErrorMiddleware``, outside these layers, so its
handler adds the same headers itself. The project's errors become a page with their
message and hint (409 for the store, e.g. a passage gone after a re-run), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.errors import GroundcodeError, StoreError
from pipeline.review.security import ACCESS_COOKIE, allowed_hosts, same_token

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
TOKEN_REQUIRED = "access token required (printed when the server started)"


class SecurityHeaders:
    """Sets :data:`SECURITY_HEADERS` on every HTTP response that passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_secured)


class AccessToken:
    """Beyond loopback: a request needs the access cookie, or ``?token=`` to set it.

    Decided on the request line and headers only; the body is never touched.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.token:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response: Response
        if same_token(request.query_params.get("token"), self.token):
            # the same path without the token ("//host" would leave the site)
            response = RedirectResponse("/" + request.url.path.lstrip("/"), status_code=303)
            response.set_cookie(ACCESS_COOKIE, self.token, httponly=True, samesite="strict")
        elif same_token(request.cookies.get(ACCESS_COOKIE), self.token):
            await self.app(scope, receive, send)
            return
        else:
            response = PlainTextResponse(TOKEN_REQUIRED, status_code=403)
        await response(scope, receive, send)


def install_guards(app: FastAPI, *, token: str | None, bind: str, hosts: tuple[str, ...],
                   max_body_bytes: int) -> None:
    """Add the layers (``add_middleware`` puts each new one outside the previous)."""
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=max_body_bytes)
    app.add_middleware(AccessToken, token=token)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(bind, hosts),
                       www_redirect=False)
    app.add_middleware(SecurityHeaders)


def install_error_pages(app: FastAPI, page: Callable[..., Response],
                        on_store_error: Callable[[], None], max_body_bytes: int) -> None:
    """Errors as pages with a message (``page(request, status, message, hint)``)."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = (f"request body too large (the limit is {max_body_bytes:,} bytes)"
                   if exc.status_code == 413 else str(exc.detail))
        return page(request, exc.status_code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{' '.join(map(str, e['loc'][1:])) or 'request'}: {e['msg']}"
                             for e in exc.errors())
        return page(request, 422, problems)

    @app.exception_handler(GroundcodeError)
    async def project_error(request: Request, exc: GroundcodeError) -> Response:
        if isinstance(exc, StoreError):
            on_store_error()
        message, _, hint = str(exc).partition(" Hint: ")
        return page(request, 409 if isinstance(exc, StoreError) else 400, message, hint)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("internal error; the server log has the details",
                                 status_code=500, headers=SECURITY_HEADERS)
