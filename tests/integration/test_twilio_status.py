"""Twilio status callbacks: signed, forward-only, idempotent under repeats and reordering."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.channels.base import Receipt
from bot.channels.routing import Route
from bot.config import load_settings
from bot.db import Database
from bot.models import ChannelKind, Message, MessageKind, MessageStatus
from bot.services.delivery_status import record_provider_status
from schedules.claims import claim_due
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.outcomes import Backoff, DispatchReport, Outcome, record_outcomes
from schedules.recipients import Ready
from tests.fakes import FakeTwilio
from tests.integration.delivery_people import citizen, due_message, plan_one

PUBLIC_URL = "https://brobygger.example"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
async def app(database: Database, twilio: FakeTwilio, clock) -> AsyncIterator[FastAPI]:
    settings = load_settings(
        {
            "BROBYGGER_DATABASE_URL": database.url,
            "BROBYGGER_PUBLIC_URL": PUBLIC_URL,
            "BROBYGGER_TWILIO_ACCOUNT_SID": twilio.account_sid,
            "BROBYGGER_TWILIO_AUTH_TOKEN": twilio.auth_token,
            "BROBYGGER_TWILIO_FROM": "+4570000000",
            "BROBYGGER_TWILIO_API_URL": twilio.url,
            "BROBYGGER_SECRET_KEY": "test",
            "BROBYGGER_DISPATCH_INTERVAL_SECONDS": "3600",
        }
    )
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


async def sent_sms(app: FastAPI, database: Database, clock) -> Message:
    """A message really sent through the twilio client to the fake, recorded as sent."""
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000010")])
    message_id = await plan_one(database, due_message(person, clock.now(), "checkin:status"))
    runtime = app.state.runtime
    await dispatch_due(database, runtime.channels, clock, DispatchOptions(tz=runtime.settings.tz))
    return await stored(database, message_id)


async def stored(database: Database, message_id: int) -> Message:
    async with database.read() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


async def callback(
    app: FastAPI, twilio: FakeTwilio, message: Message, status: str, *, forged: bool = False
) -> httpx.Response:
    path = f"/twilio/status?message={message.id}"
    form = {"MessageSid": message.provider_id or "", "MessageStatus": status}
    if status in ("failed", "undelivered"):
        form["ErrorCode"] = "30003"
    signature = twilio.sign(PUBLIC_URL + path, form)
    if forged:
        form["MessageStatus"] = "failed"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})


async def test_callbacks_twice_and_out_of_order_end_delivered(app, database, twilio, clock):
    message = await sent_sms(app, database, clock)
    assert message.status is MessageStatus.SENT and message.provider_id == twilio.messages[0]["sid"]

    for status in ("delivered", "sent", "queued", "delivered", "sent"):
        assert (await callback(app, twilio, message, status)).status_code == 204

    after = await stored(database, message.id)
    assert after.status is MessageStatus.DELIVERED and after.delivered_at == clock.now()


async def test_a_failure_report_is_final(app, database, twilio, clock):
    message = await sent_sms(app, database, clock)

    await callback(app, twilio, message, "undelivered")
    await callback(app, twilio, message, "delivered")

    after = await stored(database, message.id)
    assert after.status is MessageStatus.FAILED
    assert after.error == "twilio: undelivered (error 30003)"


async def test_a_forged_callback_gets_403_and_changes_nothing(app, database, twilio, clock):
    message = await sent_sms(app, database, clock)

    response = await callback(app, twilio, message, "delivered", forged=True)

    assert response.status_code == 403
    assert (await stored(database, message.id)).status is MessageStatus.SENT


async def test_a_callback_that_overtakes_the_recording_is_kept(database, clock):
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000011")])
    message_id = await plan_one(
        database,
        due_message(person, clock.now(), "r", kind=MessageKind.REPLY, body="Tak"),
    )
    async with database.session() as session:
        [claimed] = await claim_due(
            session, now=clock.now(), limit=1, lease=timedelta(minutes=2), urgent_only=False
        )
    async with database.session() as session:  # the callback arrives first
        await record_provider_status(
            session,
            provider_id="SM1",
            provider_status="delivered",
            message_id=message_id,
            now=clock.now(),
        )
    async with database.session() as session:  # then the dispatcher records the acceptance
        await record_outcomes(
            session,
            [Outcome(Ready(claimed, Route(ChannelKind.SMS, "+4520000011"), "da"), Receipt("SM1"))],
            now=clock.now(),
            max_attempts=3,
            backoff=Backoff(),
            rng=random.Random(1),
            report=DispatchReport(),
        )

    after = await stored(database, message_id)
    assert (after.status, after.provider_id) == (MessageStatus.DELIVERED, "SM1")


async def test_planning_a_due_message_wakes_the_dispatcher(app, twilio, clock):
    runtime = app.state.runtime
    person = await citizen(runtime.database, addresses=[(ChannelKind.SMS, "+4520000012")])
    await plan_one(
        runtime.database,
        due_message(person, clock.now(), "w", kind=MessageKind.REPLY, body="Tak"),
    )
    # The tick interval is an hour: only the wake-up can send it.
    for _ in range(500):  # at most 10 s
        if twilio.messages:
            break
        await asyncio.sleep(0.02)
    assert [m["To"] for m in twilio.messages] == ["+4520000012"]


async def test_a_delivery_report_settles_a_message_left_unknown(app, database, twilio, clock):
    message = await sent_sms(app, database, clock)
    async with database.session() as session:  # as if the send had timed out
        row = await session.get(Message, message.id)
        assert row is not None
        row.status, row.provider_id = MessageStatus.UNKNOWN, None

    assert (await callback(app, twilio, message, "delivered")).status_code == 204

    after = await stored(database, message.id)
    assert (after.status, after.provider_id) == (MessageStatus.DELIVERED, message.provider_id)
