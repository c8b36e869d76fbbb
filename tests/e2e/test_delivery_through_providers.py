"""The whole path: outbox row -> dispatcher -> real PTB Bot / twilio client -> fake servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.app import create_app
from bot.config import load_settings
from bot.db import Database
from bot.models import Address, AddressStatus, ChannelKind, Message, MessageStatus, ReplyChoices
from bot.outbox import Planned
from schedules.dispatcher import DispatchOptions, dispatch_due
from tests.fakes import FakeTelegram, FakeTwilio
from tests.integration.delivery_people import citizen, plan_one


@pytest.fixture
def providers() -> Iterator[tuple[FakeTwilio, FakeTelegram]]:
    with FakeTwilio() as twilio, FakeTelegram() as telegram:
        yield twilio, telegram


@pytest.fixture
async def app(database: Database, providers, clock) -> AsyncIterator[FastAPI]:
    twilio, telegram = providers
    settings = load_settings(
        {
            "BROBYGGER_DATABASE_URL": database.url,
            "BROBYGGER_SECRET_KEY": "test",
            "BROBYGGER_DISPATCH_INTERVAL_SECONDS": "3600",
            "BROBYGGER_TWILIO_ACCOUNT_SID": twilio.account_sid,
            "BROBYGGER_TWILIO_AUTH_TOKEN": twilio.auth_token,
            "BROBYGGER_TWILIO_FROM": "+4570000000",
            "BROBYGGER_TWILIO_API_URL": twilio.url,
            "BROBYGGER_TELEGRAM_TOKEN": telegram.token,
            "BROBYGGER_TELEGRAM_API_URL": telegram.base_url,
        }
    )
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


async def dispatch(app: FastAPI, clock) -> None:
    runtime = app.state.runtime
    await dispatch_due(
        runtime.database, runtime.channels, clock, DispatchOptions(tz=runtime.settings.tz)
    )


async def test_a_blocked_telegram_user_gets_the_question_by_sms_instead(
    app, database, providers, clock
):
    twilio, telegram = providers
    runtime = app.state.runtime
    assert runtime.live_channels == ["sms (twilio)", "telegram"]
    assert await runtime.telegram_bot.get_me() is not None
    person = await citizen(
        database, addresses=[(ChannelKind.TELEGRAM, "4242"), (ChannelKind.SMS, "+4520000040")]
    )
    question = Planned(
        kind="checkin",
        body="Hej Mikkel. Hvordan går det?",
        due_at=clock.now(),
        dedupe_key="checkin:providers",
        participant_id=person,
        choices=ReplyChoices.SCORE,
        expects_reply=True,
    )
    first = await plan_one(database, question)
    # Only the send fails: the running app also polls getUpdates on the same fake server.
    telegram.fail_next(
        FakeTelegram.error(403, "Forbidden: bot was blocked by the user"),
        when=lambda request: request.path.endswith("/sendMessage"),
    )

    await dispatch(app, clock)

    assert telegram.sent == []
    [sms] = twilio.messages
    assert sms["To"] == "+4520000040"
    assert sms["Body"] == "Hej Mikkel. Hvordan går det? Svar 1-5."
    async with database.read() as session:
        message = await session.get(Message, first)
        statuses = dict((await session.execute(select(Address.channel, Address.status))).all())
    assert message is not None and message.status is MessageStatus.SENT
    assert message.provider_id == sms["sid"] and message.channel is ChannelKind.SMS
    assert statuses[ChannelKind.TELEGRAM] is AddressStatus.OPTED_OUT


async def test_a_telegram_question_has_score_buttons_and_counts_as_delivered(
    app, database, providers, clock
):
    _, telegram = providers
    person = await citizen(database, addresses=[(ChannelKind.TELEGRAM, "4343")])
    message_id = await plan_one(
        database,
        Planned(
            kind="checkin",
            body="Hvordan går det?",
            due_at=clock.now(),
            dedupe_key="checkin:buttons",
            participant_id=person,
            choices=ReplyChoices.SCORE,
        ),
    )

    await dispatch(app, clock)

    [sent] = telegram.sent
    for score in range(1, 6):
        assert f'"callback_data": "a:{message_id}:{score}"' in sent["reply_markup"]
    async with database.read() as session:
        message = await session.get(Message, message_id)
    assert message is not None and message.status is MessageStatus.DELIVERED
    assert message.provider_id == f"4343:{sent['message_id']}"
