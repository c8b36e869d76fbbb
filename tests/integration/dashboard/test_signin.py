"""Signing in, sessions, CSRF and the security headers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from bot.clock import FakeClock
from bot.models import Role, Staff
from bot.web.sessions import COOKIE_NAME, IDLE_MINUTES
from tests.integration.dashboard.desk import Desk, csrf_of


async def test_pages_need_a_session_and_send_the_visitor_to_sign_in(desk: Desk) -> None:
    async with desk.client() as client:
        response = await client.get("/participants")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/participants"


async def test_a_right_password_signs_in_and_a_wrong_one_does_not(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    async with desk.client() as client:
        wrong = await desk.sign_in(client, consultant.email, "not the password")
        assert wrong.status_code == 401
        assert (await client.get("/")).status_code == 303
        right = await desk.sign_in(client, consultant.email)
        assert right.status_code == 303
        overview = await client.get("/")
    assert overview.status_code == 200
    assert "Karin Konsulent" in overview.text


async def test_the_password_is_checked_off_the_event_loop(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 costs a tenth of a second of CPU or more: on the event loop, every sign-in would
    stall the webhooks and sends of the whole process meanwhile."""
    checked_on: list[int] = []
    real_verify = PasswordHasher.verify

    def verify(hasher: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        checked_on.append(threading.get_ident())
        return real_verify(hasher, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)  # a spy on the library, the boundary
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    async with desk.client() as client:
        response = await desk.sign_in(client, consultant.email)
    assert response.status_code == 303
    assert checked_on and threading.get_ident() not in checked_on


async def test_the_session_cookie_is_httponly_and_samesite(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    async with desk.client() as client:
        response = await desk.sign_in(client, consultant.email)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE_NAME + "=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # PUBLIC_URL is http here


async def test_a_form_post_without_the_csrf_token_is_rejected(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(consultant) as client:
        without = await client.post(
            "/participants/new", data={"name": "Ole Olsen", "phone": "20304050"}
        )
        forged = await client.post(
            "/participants/new",
            data={"name": "Ole Olsen", "phone": "20304050", "csrf_token": "forged"},
        )
        with_token = await desk.post_form(
            client,
            "/participants/new",
            {"name": "Ole Olsen", "phone": "20304050", "mentor_id": str(mentor.id)},
        )
    assert without.status_code == 403
    assert forged.status_code == 403
    assert with_token.status_code == 303


async def test_the_login_form_itself_needs_its_csrf_token(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    async with desk.client() as client:
        response = await client.post("/login", data={"email": consultant.email, "password": "x"})
    assert response.status_code == 403


async def test_disabling_an_account_ends_its_session_at_once(desk: Desk) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(mentor) as client:
        assert (await client.get("/")).status_code == 200
        async with desk.database.session() as db:
            await db.execute(update(Staff).where(Staff.id == mentor.id).values(active=False))
        response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_an_idle_session_expires(desk: Desk, clock: FakeClock) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(mentor) as client:
        clock.advance(timedelta(minutes=IDLE_MINUTES - 1))
        assert (await client.get("/")).status_code == 200  # use renews the session
        clock.advance(timedelta(minutes=IDLE_MINUTES - 1))
        assert (await client.get("/")).status_code == 200
        clock.advance(timedelta(minutes=IDLE_MINUTES + 1))
        assert (await client.get("/")).status_code == 303


async def test_a_tampered_cookie_is_no_session(desk: Desk) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(mentor) as client:
        value = client.cookies[COOKIE_NAME]
        payload, signature = value.rsplit(".", 1)
        client.cookies.set(COOKIE_NAME, payload + "." + signature[::-1])
        assert (await client.get("/")).status_code == 303


async def test_sign_in_attempts_are_limited_per_account(desk: Desk, clock: FakeClock) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.client() as client:
        for _ in range(5):
            assert (await desk.sign_in(client, mentor.email, "wrong password")).status_code == 401
        blocked = await desk.sign_in(client, mentor.email)  # even the right password now waits
        assert blocked.status_code == 429
        clock.advance(timedelta(minutes=16))
        assert (await desk.sign_in(client, mentor.email)).status_code == 303


async def test_every_page_carries_the_security_headers(desk: Desk) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(mentor) as client:
        for path in ("/login", "/", "/participants", "/nowhere"):
            response = await client.get(path)
            csp = response.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"]


async def test_the_ui_is_danish_by_default_and_english_on_request(desk: Desk) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(mentor) as client:
        danish = await client.get("/")
        switched = await client.post(
            "/language", data={"language": "en", "next": "/", "csrf_token": csrf_of(danish.text)}
        )
        english = await client.get("/")
    assert "Deltagere" in danish.text and 'lang="da"' in danish.text
    assert switched.status_code == 303
    assert "Participants" in english.text and 'lang="en"' in english.text
