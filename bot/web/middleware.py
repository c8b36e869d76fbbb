"""What every web response gets: the session cookie and the security headers.

- The session (:mod:`bot.web.sessions`) is decoded before the route and written back after it,
  ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when ``PUBLIC_URL`` is https. Machines (the API,
  health checks, Twilio and Telegram webhooks) and static files get no session cookie.
- A Content-Security-Policy without inline scripts or styles and with ``frame-ancestors 'none'``;
  nothing may load from another host.
- ``Cache-Control: no-store`` on everything but the static files: pages and API answers carry
  personal data.

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: that one runs each request
in an extra task with memory streams between it and the app, a cost every webhook paid.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.sessions import COOKIE_NAME, SessionData, decode_session, encode_session

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Paths without a browser session: machines (API, health, webhooks) and static files.
_SESSIONLESS = ("/api", "/static", "/healthz", "/webhooks", "/telegram", "/twilio", "/sms")


class WebMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        runtime = request.app.state.runtime
        now = runtime.clock.now()
        path: str = scope["path"]
        session = decode_session(runtime.secret_key, request.cookies.get(COOKIE_NAME), now=now)
        request.state.session = session  # in the scope: the route's Request sees it

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if path.startswith("/static/"):
                    headers["Cache-Control"] = "public, max-age=3600"
                else:
                    headers["Cache-Control"] = "no-store"
                if not path.startswith(_SESSIONLESS):
                    if session.staff_id is not None:
                        session.seen = now.timestamp()
                    secure = runtime.settings.public_url.startswith("https://")
                    cookie = _session_cookie(runtime.secret_key, session, secure=secure)
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _session_cookie(secret_key: str, session: SessionData, *, secure: bool) -> str:
    """The ``Set-Cookie`` value for ``session``, written by Starlette's own ``set_cookie``."""
    carrier = Response()
    carrier.set_cookie(
        COOKIE_NAME,
        encode_session(secret_key, session),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return carrier.headers["set-cookie"]
