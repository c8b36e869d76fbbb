"""Signing in and out, and the language switch."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.models import Staff
from bot.services.staff import record_sign_in, verify_password
from bot.web.access import checked_form, runtime_of, session_of
from bot.web.login_limits import LoginLimiter
from bot.web.templating import pages_of
from bot.web.ui_text import UI_LANGUAGES

router = APIRouter(include_in_schema=False)


def safe_next(target: object) -> str:
    """A local path to go back to; anything else (another host, ``//x``) goes to the overview."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def limiter_of(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    return pages_of(request).render(
        request, "login.html", viewer=None, next=safe_next(next), error=None, email=""
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    email = str(form.get("email", "")).strip().lower()[:254]
    password = str(form.get("password", ""))
    target = safe_next(form.get("next"))
    runtime = runtime_of(request)
    now = runtime.clock.now()
    address = request.client.host if request.client else "unknown"
    limiter = limiter_of(request)
    error = None
    if limiter.blocked(email=email, address=address, now=now):
        error = "Too many attempts. Wait a quarter of an hour and try again."
        status = 429
    else:
        async with runtime.database.read() as db:
            staff = await db.scalar(select(Staff).where(Staff.email == email))
        if (
            staff is not None
            and staff.active
            and await verify_password(staff.password_hash, password)
        ):
            limiter.succeeded(email=email)
            async with runtime.database.session() as db:
                generation = await record_sign_in(db, staff.id, now=now)
            session = session_of(request)
            session.staff_id = staff.id
            session.generation = generation
            session.csrf = secrets.token_urlsafe(24)  # a new token for the signed-in session
            return RedirectResponse(target, status_code=303)
        limiter.failed(email=email, address=address, now=now)
        error = "Wrong e-mail or password."
        status = 401
    return pages_of(request).render(
        request,
        "login.html",
        viewer=None,
        next=target,
        error=error,
        email=email,
        status_code=status,
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    session = session_of(request)
    session.staff_id = None
    session.csrf = secrets.token_urlsafe(24)
    return RedirectResponse("/login", status_code=303)


@router.post("/language")
async def switch_language(request: Request) -> Response:
    form = await checked_form(request)
    language = form.get("language")
    if language in UI_LANGUAGES:
        session_of(request).language = str(language)
    return RedirectResponse(safe_next(form.get("next")), status_code=303)
