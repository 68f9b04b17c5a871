"""Sessions, CSRF and the access token of the review app (stdlib HMAC, no extra deps).

* A session cookie ``gc_session`` holds ``coder|csrf|signature`` (HMAC-SHA256 with a
  secret made at start-up), ``HttpOnly`` and ``SameSite=Strict``.
* Every state-changing request is a POST carrying the session's CSRF token in the
  form field ``csrf`` or the ``X-CSRF-Token`` header; anything else is refused.
* On an address other than loopback the app requires an access token (printed at
  start-up), given once as ``?token=`` and then kept in a ``SameSite=Strict`` cookie.
* Only requests whose ``Host`` names the address the app is bound to (on loopback
  also ``localhost``, ``127.0.0.1``, ``[::1]``) or a configured name are answered, so
  a DNS-rebinding page cannot reach a loopback server under its own name. On a
  wildcard address (``0.0.0.0``, ``::``) any name is accepted unless names are
  configured; the access token guards it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

SESSION_COOKIE = "gc_session"
ACCESS_COOKIE = "gc_access"
CODER_NAME = re.compile(r"^[\w.@-]{1,64}$", re.UNICODE)
HOST_NAME = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Session:
    coder: str
    csrf: str


class Signer:
    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def _sig(self, payload: str) -> str:
        return hmac.new(self.secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def dump(self, session: Session) -> str:
        payload = f"{session.coder}|{session.csrf}"
        return f"{payload}|{self._sig(payload)}"

    def load(self, value: str | None) -> Session | None:
        if not value or value.count("|") != 2:
            return None
        coder, csrf, sig = value.split("|")
        if not hmac.compare_digest(sig, self._sig(f"{coder}|{csrf}")):
            return None
        if not CODER_NAME.match(coder):
            return None
        return Session(coder, csrf)

    @staticmethod
    def new_session(coder: str) -> Session:
        return Session(coder, secrets.token_urlsafe(24))


def valid_coder_name(name: str) -> bool:
    return bool(CODER_NAME.match(name or ""))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given and expected and hmac.compare_digest(given, expected))


def host_name(name: str) -> str:
    """``name`` as it appears in a Host header: lower case, IPv6 literals in brackets.

    Raises :class:`ValueError` for anything that is neither an IP address nor a DNS
    name (or a ``*.domain`` pattern).
    """
    name = name.strip().lower().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not HOST_NAME.match(name):
            raise ValueError(
                f"{name!r} is not a host name, IP address or *.domain pattern") from None
        return name
    return f"[{address.compressed}]" if address.version == 6 else address.compressed


def allowed_hosts(bind: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Host-header names a server bound to ``bind`` answers (``["*"]``: any)."""
    names = [host_name(n) for n in extra]
    if bind.strip() in WILDCARD_ADDRESSES:
        return [*names, *LOOPBACK_NAMES] if names else ["*"]
    own = [host_name(bind)]
    if is_loopback(bind):
        own += list(LOOPBACK_NAMES)
    return list(dict.fromkeys(own + names))
