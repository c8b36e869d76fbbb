"""The admin's check-in plan page and the read-only deployment settings page (issue #6)."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db import Database
from bot.models import AuditEvent, CheckinPlanRecord, Participant, Role
from bot.services.care_plans import PlanError, set_default_plan
from schedules.care_rules import CareRules
from tests.conftest import TEST_DATA_KEY, TEST_LOOKUP_KEY
from tests.integration.dashboard.desk import Desk, running_desk

NEW_PLAN = "-14..0 weekly, 0..14 daily, 14..56 weekly"
BUILT_IN = "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly"


async def test_an_admin_changes_the_default_plan_and_it_is_audited(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        before = await client.get("/plans")
        saved = await desk.post_form(client, "/plans/default", {"plan": NEW_PLAN})
        after = await client.get(saved.headers["location"])
    assert f'<code data-plan="current">{BUILT_IN}</code>' in before.text
    assert "Den indbyggede plan." in before.text
    assert saved.status_code == 303
    assert f'<code data-plan="current">{NEW_PLAN}</code>' in after.text
    assert "Standardplanen er gemt." in after.text
    async with desk.database.read() as db:
        record = await db.scalar(select(CheckinPlanRecord))
        [change] = await db.scalars(select(AuditEvent).where(AuditEvent.action == "plan_changed"))
    assert record is not None and record.is_default
    assert record.definition["phases"][1] == {"from_day": 0, "to_day": 14, "every_days": [1]}
    assert (change.staff_id, change.detail) == (admin.id, {"plan": NEW_PLAN})


async def test_a_bad_plan_is_refused_with_the_same_message_as_the_cli(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    bad = "-28..0 weekly, 0..7 monthly"
    # What `brobygger plan set` says: the same service, the same rules.
    with pytest.raises(PlanError) as from_the_cli:
        async with desk.database.session() as db:
            await set_default_plan(db, desk.app.state.runtime.rules, text=bad, now=desk.clock.now())
    cli_message = str(from_the_cli.value)
    async with desk.signed_in(admin) as client:
        refused = await desk.post_form(client, "/plans/default", {"plan": bad})
    assert refused.status_code == 422
    problem = html.unescape(refused.text.split('role="alert">')[1].split("</p>")[0])
    assert problem == f"Planen blev ikke gemt: {cli_message}"
    assert "unknown cadence 'monthly'" in cli_message
    assert f'value="{html.escape(bad)}"' in refused.text  # the admin's typing is kept
    async with desk.database.read() as db:
        assert await db.scalar(select(CheckinPlanRecord)) is None


async def test_the_plan_page_lists_participants_with_their_own_settings(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    paused = await desk.participant("Per Pause", release_date=date(2026, 2, 1))
    await desk.participant("Ulla Uden", release_date=date(2026, 2, 1))
    rules: CareRules = desk.app.state.runtime.rules
    async with desk.database.session() as db:
        person = await db.get_one(Participant, paused.id)
        person.plan_override = rules.normalise_override({"paused_until": "2026-03-01"})
    async with desk.signed_in(admin) as client:
        page = await client.get("/plans")
    own = html.unescape(page.text.split('id="own-plans"')[1])
    assert "Per Pause" in own and '"paused_until": "2026-03-01"' in own
    assert "Ulla Uden" not in own


async def test_the_settings_page_shows_retention_and_where_each_value_comes_from(
    database: Database, clock: FakeClock
) -> None:
    async with running_desk(
        database, clock, retention_days="400", quiet_hours="22:00-07:30"
    ) as desk:
        admin = await desk.staff(Role.ADMIN, "Anna Admin")
        async with desk.signed_in(admin) as client:
            page = await client.get("/settings")
    assert page.status_code == 200
    rows = {row.split('"')[0]: row.split("</tr>")[0] for row in page.text.split('<tr id="')[1:]}
    assert "<td>400</td>" in rows["BROBYGGER_RETENTION_DAYS"]
    assert "sat i miljøet" in rows["BROBYGGER_RETENTION_DAYS"]
    assert "<td>365</td>" in rows["BROBYGGER_MESSAGE_BODY_RETENTION_DAYS"]
    assert "standard" in rows["BROBYGGER_MESSAGE_BODY_RETENTION_DAYS"]
    assert "<td>22:00-07:30</td>" in rows["BROBYGGER_QUIET_HOURS"]
    assert "<td>14</td>" in rows["BROBYGGER_PLANNING_HORIZON_DAYS"]
    assert "slettes (anonymiseres)" in rows["BROBYGGER_RETENTION_DAYS"]  # what it means
    assert "ændring af driften" in page.text  # why it is read-only
    assert "<form" not in page.text.split("<main>")[1].split("</main>")[0]


async def test_the_settings_page_never_shows_a_secret(database: Database, clock: FakeClock) -> None:
    async with running_desk(database, clock, telegram_webhook_secret="webhook-secret-xyz") as desk:
        admin = await desk.staff(Role.ADMIN, "Anna Admin")
        async with desk.signed_in(admin) as client:
            page = await client.get("/settings")
    for secret in (
        "test-secret-key-for-sessions-only",  # SECRET_KEY of the running desk
        TEST_DATA_KEY,
        TEST_LOOKUP_KEY,
        "webhook-secret-xyz",
    ):
        assert secret not in page.text
    assert "sat i miljøet" in page.text.split('id="BROBYGGER_DATA_KEY"')[1].split("</tr>")[0]


async def test_admins_see_links_to_the_admin_pages_and_others_do_not(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    links = ('href="/texts"', 'href="/plans"', 'href="/settings"')
    async with desk.signed_in(admin) as client:
        admin_nav = (await client.get("/")).text.split("</nav>")[0]
    async with desk.signed_in(consultant) as client:
        consultant_nav = (await client.get("/")).text.split("</nav>")[0]
    assert all(link in admin_nav for link in links)
    assert not any(link in consultant_nav for link in links)
    assert "Beskedtekster" in admin_nav and "Indstillinger" in admin_nav


async def test_a_plan_form_without_its_csrf_token_is_refused(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        refused = await client.post("/plans/default", data={"plan": NEW_PLAN})
    assert refused.status_code == 403
    async with desk.database.read() as db:
        assert await db.scalar(select(CheckinPlanRecord)) is None
