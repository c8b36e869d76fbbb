"""What every web response gets: the session cookie and the security headers.

- The session (:mod:`bot.web.sessions`) is decoded before the route and written back after it,
  ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when ``PUBLIC_URL`` is https.
- A Content-Security-Policy without inline scripts or styles and with ``frame-ancestors 'none'``;
  nothing may load from another host.
- ``Cache-Control: no-store`` on everything but the static files: pages and API answers carry
  personal data.
"""

from __future__ import annotations

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from bot.web.sessions import COOKIE_NAME, decode_session, encode_session

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
_SESSIONLESS = ("/api", "/static", "/healthz", "/webhooks", "/telegram", "/sms")


class WebMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        runtime = request.app.state.runtime
        now = runtime.clock.now()
        session = decode_session(runtime.secret_key, request.cookies.get(COOKIE_NAME), now=now)
        request.state.session = session
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"
        else:
            response.headers["Cache-Control"] = "no-store"
        if not request.url.path.startswith(_SESSIONLESS):
            if session.staff_id is not None:
                session.seen = now.timestamp()
            response.set_cookie(
                COOKIE_NAME,
                encode_session(runtime.secret_key, session),
                httponly=True,
                samesite="lax",
                secure=runtime.settings.public_url.startswith("https://"),
                path="/",
            )
        return response
