"""The admin's staff pages: create, edit, disable and re-enable, new passwords, the admin guards."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.models import AuditEvent, Role, SiteKind, Staff
from bot.services.staff import StaffError, StaffIn, disable_account, update_account
from tests.integration.dashboard.desk import PASSWORD, Desk, csrf_of

_SHOWN_PASSWORD = re.compile(r'id="one-time-password">([^<]+)<')


def shown_password(page: httpx.Response) -> str:
    match = _SHOWN_PASSWORD.search(page.text)
    assert match, "the page shows no password"
    return match.group(1)


async def account(desk: Desk, email: str) -> Staff | None:
    async with desk.database.read() as db:
        return await db.scalar(select(Staff).where(Staff.email == email))


async def staff_audit(desk: Desk, staff_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The audit rows about one staff account: (action, detail), oldest first."""
    async with desk.database.read() as db:
        rows = await db.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [
            (row.action, row.detail)
            for row in rows
            if row.detail and row.detail.get("staff_id") == staff_id
        ]


async def signs_in(desk: Desk, email: str, password: str) -> bool:
    async with desk.client() as client:
        return (await desk.sign_in(client, email, password)).status_code == 303


NEW_MENTOR = {
    "name": "Mette Lund",
    "email": " Mette.Lund@Brobygger.test ",
    "role": "mentor",
    "language": "en",
    "phone": "20 30 40 50",
    "telegram_chat_id": "7001",
}


async def test_an_admin_creates_a_mentor_who_signs_in_with_the_password_shown_once(
    desk: Desk,
) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        created = await desk.post_form(client, "/staff/new", NEW_MENTOR)
        listed = await client.get("/staff")
    assert created.status_code == 200
    password = shown_password(created)
    assert password not in listed.text  # shown once, never again
    mentor = await account(desk, "mette.lund@brobygger.test")
    assert mentor is not None
    assert (mentor.name, mentor.role, mentor.language) == ("Mette Lund", Role.MENTOR, "en")
    assert (mentor.phone, mentor.telegram_chat_id, mentor.active) == ("+4520304050", "7001", True)
    assert password not in (mentor.password_hash or "")
    assert "Mette Lund" in listed.text and "mette.lund@brobygger.test" in listed.text
    assert await staff_audit(desk, mentor.id) == [
        ("created", {"staff_id": mentor.id, "role": "mentor"})
    ]
    assert await signs_in(desk, mentor.email, password)


async def test_an_admin_may_type_the_password_under_the_clis_rules(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    typed = {**NEW_MENTOR, "password": "en lang nok kode", "password_repeat": "en lang nok kode"}
    async with desk.signed_in(admin) as client:
        short = await desk.post_form(
            client, "/staff/new", {**typed, "password": "kort", "password_repeat": "kort"}
        )
        differ = await desk.post_form(client, "/staff/new", {**typed, "password_repeat": "x"})
        assert await account(desk, "mette.lund@brobygger.test") is None
        created = await desk.post_form(client, "/staff/new", typed)
    assert short.status_code == 422
    assert "adgangskoden skal være mindst 10 tegn" in short.text
    assert differ.status_code == 422 and "adgangskoderne er forskellige" in differ.text
    assert created.status_code == 303 and created.headers["location"] == "/staff?done=created"
    assert await signs_in(desk, "mette.lund@brobygger.test", "en lang nok kode")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "karin@brobygger.test"}, "email", "en anden medarbejder har denne e-mail"),
        ({"email": "ikke-en-adresse"}, "email", "ikke en e-mailadresse"),
        ({"phone": "12"}, "phone", "ikke et gyldigt telefonnummer"),
        ({"telegram_chat_id": "@mette"}, "telegram_chat_id", "et Telegram-chat-id er et tal"),
        ({"phone": "+45 20 30 40 60"}, "phone", "en anden medarbejder har denne kontakt"),
        ({"site_ids": "{prison}"}, "site_ids", "kun konsulenter dækker steder"),
        ({"role": "consultant", "site_ids": "99999"}, "site_ids", "stedet findes ikke"),
        ({"name": ""}, "name", "skal udfyldes"),
    ],
)
async def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_created(
    desk: Desk, change: dict[str, str], field: str, message: str
) -> None:
    prison = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    async with desk.database.session() as db:
        (await db.get_one(Staff, consultant.id)).phone = "+4520304060"
    form = {**NEW_MENTOR, **{k: v.format(prison=prison.id) for k, v in change.items()}}
    async with desk.database.read() as db:
        before = await db.scalar(select(func.count(Staff.id)))
    async with desk.signed_in(admin) as client:
        page = await desk.post_form(client, "/staff/new", form)
    async with desk.database.read() as db:
        after = await db.scalar(select(func.count(Staff.id)))
    assert page.status_code == 422, page.text
    assert f'id="error-{field}">{message}<' in page.text, re.findall(
        r'class="error"[^<]*<', page.text
    )
    assert after == before


async def test_an_admin_edits_an_account_and_the_change_is_audited(desk: Desk) -> None:
    north = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    south = await desk.site(SiteKind.PRISON, "Statsfængslet Syd")
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    karin = await desk.staff(Role.CONSULTANT, "Karin Konsulent", [north])
    form = {
        "name": "Karin Konsulent-Hansen",
        "email": karin.email,
        "role": "consultant",
        "language": "da",
        "phone": "",
        "telegram_chat_id": "",
    }
    async with desk.signed_in(admin) as client:
        edit_page = await client.get(f"/staff/{karin.id}/edit")
        response = await client.post(
            f"/staff/{karin.id}/edit",
            data={
                **form,
                "site_ids": [str(north.id), str(south.id)],
                "csrf_token": csrf_of(edit_page.text),
            },
        )
        missing = await client.get("/staff/99999/edit")
    assert 'value="Karin Konsulent"' in edit_page.text
    assert response.status_code == 303
    assert missing.status_code == 404
    async with desk.database.read() as db:
        changed = await db.get_one(Staff, karin.id)
        assert changed.name == "Karin Konsulent-Hansen"
        assert sorted(site.name for site in changed.sites) == [north.name, south.name]
    assert await staff_audit(desk, karin.id) == [
        ("changed", {"staff_id": karin.id, "fields": ["name", "sites"], "role": "consultant"})
    ]
    async with desk.signed_in(karin) as client:  # the consultant now sees the new prison's people
        assert (await client.get("/")).status_code == 200


async def test_disabling_ends_sessions_and_api_tokens_at_once_and_re_enabling_revives_neither(
    desk: Desk,
) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    token = {"Authorization": f"Bearer {await desk.token(mentor)}"}
    async with desk.signed_in(mentor) as busy, desk.signed_in(mentor) as idle:
        assert (await busy.get("/")).status_code == 200
        assert (await busy.get("/api/me", headers=token)).status_code == 200
        async with desk.signed_in(admin) as admin_client:
            disabled = await desk.post_form(admin_client, f"/staff/{mentor.id}/disable")
            listed = await admin_client.get("/staff")
            ended = await busy.get("/")
            assert (await busy.get("/api/me", headers=token)).status_code == 401
            assert not await signs_in(desk, mentor.email, PASSWORD)
            enabled = await desk.post_form(admin_client, f"/staff/{mentor.id}/enable")
        # The idle session made no request while the account was disabled; it stays ended.
        assert (await idle.get("/")).status_code == 303
        assert (await busy.get("/api/me", headers=token)).status_code == 401
    assert disabled.status_code == 303 and enabled.status_code == 303
    assert ended.status_code == 303 and ended.headers["location"] == "/login"
    assert f'id="staff-{mentor.id}" class="disabled"' in listed.text
    assert await signs_in(desk, mentor.email, PASSWORD)
    assert [detail.get("change") for _, detail in await staff_audit(desk, mentor.id)] == [
        "disabled",
        "enabled",
    ]


async def test_a_new_password_signs_in_and_ends_the_old_sessions(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    typed = {"password": "helt ny kode 2026", "password_repeat": "helt ny kode 2026"}
    async with desk.signed_in(mentor) as old_session, desk.signed_in(admin) as client:
        assert (await old_session.get("/")).status_code == 200
        set_typed = await desk.post_form(client, f"/staff/{mentor.id}/password", typed)
        assert (await old_session.get("/")).status_code == 303
        assert not await signs_in(desk, mentor.email, PASSWORD)
        assert await signs_in(desk, mentor.email, "helt ny kode 2026")
        generated = await desk.post_form(client, f"/staff/{mentor.id}/password", {})
        own = await desk.post_form(client, f"/staff/{admin.id}/password", typed)
        assert (await client.get("/")).status_code == 200  # the admin's own session goes on
    assert set_typed.status_code == 303
    assert generated.status_code == 200 and own.status_code == 303
    assert not await signs_in(desk, mentor.email, "helt ny kode 2026")
    assert await signs_in(desk, mentor.email, shown_password(generated))
    assert [d.get("generated") for _, d in await staff_audit(desk, mentor.id)] == [False, True]


async def test_an_admin_cannot_disable_themselves_or_change_their_own_role(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    form = {"name": admin.name, "email": admin.email, "role": "consultant", "language": "da"}
    async with desk.signed_in(admin) as client:
        disabled = await desk.post_form(client, f"/staff/{admin.id}/disable")
        demoted = await desk.post_form(client, f"/staff/{admin.id}/edit", form)
        still_in = await client.get("/staff")
    assert disabled.status_code == 409
    assert "Du kan ikke deaktivere din egen konto." in disabled.text
    assert demoted.status_code == 422
    assert "du kan ikke ændre din egen rolle; spørg en anden administrator" in demoted.text
    assert still_in.status_code == 200
    assert await staff_audit(desk, admin.id) == []


async def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    demote = StaffIn(name=admin.name, email=admin.email, role=Role.CONSULTANT)
    now = desk.clock.now()
    async with desk.database.session() as db:
        only = await db.get_one(Staff, admin.id)
        with pytest.raises(StaffError, match="last active admin"):
            await disable_account(db, only, by=consultant.id, now=now)
        with pytest.raises(StaffError, match="last active admin"):
            await update_account(db, only, demote, by=consultant.id, now=now)
    second = await desk.staff(Role.ADMIN, "Bo Admin")
    async with desk.signed_in(admin) as client:
        response = await desk.post_form(client, f"/staff/{second.id}/disable")
    assert response.status_code == 303  # with another admin left, it is allowed


async def test_two_admins_disabling_each_other_at_once_leave_one_admin(desk: Desk) -> None:
    first = await desk.staff(Role.ADMIN, "Anna Admin")
    second = await desk.staff(Role.ADMIN, "Bo Admin")

    async def disable(target: Staff, by: Staff) -> None:
        async with desk.database.session() as db:
            row = await db.get_one(Staff, target.id)
            await disable_account(db, row, by=by.id, now=desk.clock.now() + timedelta(seconds=1))

    outcomes = await asyncio.gather(
        disable(first, second), disable(second, first), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "StaffError"]
    async with desk.database.read() as db:
        active = await db.scalar(
            select(func.count(Staff.id)).where(Staff.role == Role.ADMIN, Staff.active.is_(True))
        )
    assert active == 1


async def test_a_mentor_with_active_mentees_keeps_the_mentor_role(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    await desk.participant("Ole Olsen", mentor=mentor)
    form = {"name": mentor.name, "email": mentor.email, "role": "consultant", "language": "da"}
    async with desk.signed_in(admin) as client:
        page = await desk.post_form(client, f"/staff/{mentor.id}/edit", form)
    assert page.status_code == 422
    assert "aktive deltagere har dem stadig" in page.text
    unchanged = await account(desk, mentor.email)
    assert unchanged is not None and unchanged.role is Role.MENTOR


async def test_staff_forms_need_their_csrf_token(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(admin) as client:
        created = await client.post("/staff/new", data=NEW_MENTOR)
        disabled = await client.post(f"/staff/{mentor.id}/disable", data={})
        password = await client.post(f"/staff/{mentor.id}/password", data={"csrf_token": "x"})
    assert (created.status_code, disabled.status_code, password.status_code) == (403, 403, 403)
    assert await account(desk, "mette.lund@brobygger.test") is None
    assert await signs_in(desk, mentor.email, PASSWORD)
