"""Application logs never hold phone numbers, chat ids or message bodies (at INFO and above)."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from bot.app import create_app
from bot.clock import FakeClock
from bot.db import Database
from bot.errors import DeliveryError
from bot.models import ChannelKind
from bot.outbox import Planned, plan
from bot.services.erasure import erase_participant
from bot.services.subject_export import export_and_record, render_html
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.quiet_hours import QuietHours
from schedules.retention import apply_retention
from tests.conftest import settings_for
from tests.fakes.channel import RecordingChannel
from tests.privacy_scenario import seed_two
from tests.support_logs import LogCollector, assert_no_personal_data


async def test_start_planning_dispatch_export_erasure_and_retention_log_no_personal_data(
    database: Database, clock: FakeClock, all_logs: LogCollector
) -> None:
    app = create_app(settings_for(database.url), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/healthz")).status_code == 200
    # The scenario runs after the app has stopped: with the app running, its own dispatcher,
    # woken by the commit below, could take the message before this test's dispatcher does.
    async with database.session() as session:
        first, second, mentor = await seed_two(session, clock.now())
        await plan(
            session,
            Planned(
                kind="staff_message",
                body="Ring til mig på 20123456, Aksel",
                due_at=clock.now(),
                dedupe_key="staff:1",
                participant_id=first.id,
                author_id=mentor.id,
            ),
        )
    # Through the real dispatcher, with one send failing and one address going dead.
    sms = RecordingChannel(ChannelKind.SMS)
    sms.fail_next(DeliveryError("twilio 400 code 21610", permanent=True, opted_out=True))
    sent = {
        ChannelKind.SMS: sms,
        ChannelKind.TELEGRAM: RecordingChannel(ChannelKind.TELEGRAM, delivered=True),
    }
    options = DispatchOptions(tz=ZoneInfo("Europe/Copenhagen"), quiet=QuietHours.parse("off"))
    await dispatch_due(database, sent, clock, options)
    assert sms.attempts  # the scenario really went through the dispatcher
    async with database.session() as session:
        render_html(
            await export_and_record(session, first.id, clock.now(), staff_id=None, purpose="t")
        )
        await erase_participant(session, first.id, clock.now(), None)
    clock.advance(timedelta(days=800))
    await apply_retention(database, clock, retention_days=30, message_body_retention_days=7)
    logging.getLogger("bot.test").info("a canary line proves the collector is listening")

    assert any("canary" in record.getMessage() for record in all_logs.records)
    assert any(record.name == "bot.app" for record in all_logs.records)  # "stopped cleanly"
    assert_no_personal_data(
        all_logs.records,
        [*first.secrets, *second.secrets, "Ring til mig", "+4540404040", "777000111"],
    )
