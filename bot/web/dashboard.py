"""Mounting the dashboard on the app: middleware, static files, routers, error pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.web import (
    api,
    api_meetings,
    pages_inbox,
    pages_meetings,
    pages_overview,
    pages_participants,
    pages_phone,
    pages_plans,
    pages_privacy,
    pages_reports,
    pages_settings,
    pages_signin,
    pages_sites,
    pages_staff,
    pages_texts,
)
from bot.web.access import SignInRequired
from bot.web.login_limits import LoginLimiter
from bot.web.middleware import WebMiddleware
from bot.web.templating import TEMPLATES, Pages, pages_of

STATIC = TEMPLATES.parent / "static"


async def _sign_in(request: Request, _error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={target}" if target != "/" else "/login", status_code=303)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if request.url.path.startswith("/api") or not hasattr(request.state, "session"):
        return await http_exception_handler(request, error)
    return pages_of(request).render(
        request,
        "error.html",
        viewer=None,
        status=error.status_code,
        detail=str(error.detail),
        status_code=error.status_code,
    )


def mount_dashboard(app: FastAPI, tz: ZoneInfo) -> None:
    app.state.pages = Pages(tz)
    app.state.login_limiter = LoginLimiter()
    app.add_middleware(WebMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(api.router)
    app.include_router(api_meetings.router)
    for router in (
        pages_signin.router,
        pages_overview.router,
        pages_participants.router,
        pages_reports.router,
        pages_inbox.router,
        pages_meetings.router,
        pages_phone.router,
        pages_privacy.router,
        pages_staff.router,
        pages_sites.router,
        pages_texts.router,
        pages_plans.router,
        pages_settings.router,
    ):
        app.include_router(router)
