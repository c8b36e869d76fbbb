"""Staff sessions in a signed cookie, with an idle expiry and a CSRF token.

The cookie holds ``{"staff": id, "gen": n, "seen": unix-seconds, "csrf": token, "lang": "da"}``,
signed with HMAC-SHA256 under the runtime's secret key. It is not encrypted: it carries no
personal data. Every request:

1. verifies the signature (a forged or edited cookie is an anonymous visitor);
2. drops the staff id when the last request is older than the idle limit;
3. (in :mod:`bot.web.access`) loads the staff row and refuses a disabled account at once, and a
   session signed in under an older ``session_generation`` (the password changed since);
4. re-issues the cookie with a fresh ``seen`` time, so the idle limit counts from the last use.

A visitor without a session still gets one (anonymous, with a CSRF token), so the login form is
protected by the same double check as every other form: the token in the form must equal the
token in the signed cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

COOKIE_NAME = "brobygger_session"
CSRF_FIELD = "csrf_token"
IDLE_MINUTES = 30


@dataclass
class SessionData:
    """What one browser's session says; ``changed`` asks for the cookie to be written."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    staff_id: int | None = None
    # The account's ``Staff.session_generation`` when this session signed in.
    generation: int = 0
    seen: float = 0.0
    language: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "csrf": self.csrf,
            "staff": self.staff_id,
            "gen": self.generation,
            "seen": self.seen,
            "lang": self.language,
        }


def _sign(secret_key: str, payload: bytes) -> str:
    digest = hmac.new(secret_key.encode(), b"session:" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_session(secret_key: str, data: SessionData) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(data.to_json()).encode()).decode().rstrip("=")
    return f"{payload}.{_sign(secret_key, payload.encode())}"


def decode_session(secret_key: str, cookie: str | None, *, now: datetime) -> SessionData:
    """The session in ``cookie``; a fresh anonymous one if it is missing, forged or malformed.

    A signed-in session idle for longer than :data:`IDLE_MINUTES` comes back signed out (its
    CSRF token and language are kept).
    """
    if not cookie or "." not in cookie:
        return SessionData()
    payload, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(secret_key, payload.encode())):
        return SessionData()
    try:
        raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        data = SessionData(
            csrf=str(raw["csrf"]),
            staff_id=int(raw["staff"]) if raw.get("staff") is not None else None,
            generation=int(raw.get("gen") or 0),
            seen=float(raw.get("seen") or 0.0),
            language=str(raw["lang"]) if raw.get("lang") else None,
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        return SessionData()
    if data.staff_id is not None and now.timestamp() - data.seen > IDLE_MINUTES * 60:
        data.staff_id = None
    return data


def csrf_matches(session: SessionData, submitted: object) -> bool:
    return isinstance(submitted, str) and hmac.compare_digest(submitted, session.csrf)
