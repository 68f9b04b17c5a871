"""Sessions, CSRF and the access token of the review app (stdlib HMAC, no extra deps).

* A session cookie ``gc_session`` holds ``coder|csrf|signature`` (HMAC-SHA256 with a
  secret made at start-up), ``HttpOnly`` and ``SameSite=Strict``.
* Every state-changing request is a POST carrying the session's CSRF token in the
  form field ``csrf`` or the ``X-CSRF-Token`` header; anything else is refused.
* On an address other than loopback the app requires an access token (printed at
  start-up), given once as ``?token=`` and then kept in a ``SameSite=Strict`` cookie.
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
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given and expected and hmac.compare_digest(given, expected))
