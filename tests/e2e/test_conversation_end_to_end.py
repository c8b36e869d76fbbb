"""A citizen writes, the bot answers: inbound route -> conversation -> outbox -> dispatcher ->
the real twilio client / python-telegram-bot ``Bot`` -> the fake provider on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot import texts
from bot.app import Runtime, create_app, dispatch_options
from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    ChannelKind,
    Consent,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
)
from bot.outbox import Planned, plan
from handlers.replies import button_data
from handlers.sms import EMPTY_TWIML, SMS_PATH
from handlers.telegram import SECRET_HEADER, TELEGRAM_PATH
from schedules.dispatcher import dispatch_due
from tests.conftest import settings_for
from tests.e2e.telegram_updates import button_update, text_update
from tests.e2e.waiting import eventually
from tests.factories import CITIZEN_PHONE, add_participant, add_question, add_staff
from tests.fakes import FakeTelegram, FakeTwilio
from tests.fakes.telegram import TOKEN

PUBLIC_URL = "https://brobygger.example.org"
OUR_NUMBER = "+4570000000"
SECRET = "webhook-secret-123"
CHAT = 5551
CATALOGS = Catalogs.load()


async def dispatch(app: FastAPI) -> None:
    """One dispatcher tick, run directly (the scheduler may run one too; claims are atomic)."""
    runtime: Runtime = app.state.runtime
    options = dispatch_options(runtime.settings)
    await dispatch_due(runtime.database, runtime.channels, runtime.clock, options)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def bot_api() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def sms_app(
    database: Database, clock: FakeClock, twilio: FakeTwilio
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = settings_for(
        database.url,
        public_url=PUBLIC_URL,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from=OUR_NUMBER,
        twilio_api_url=twilio.url,
        # No periodic tick between a test's planning and its webhook (a due check-in went out
        # before the STOP that should suppress it, 1 run in 5 on a loaded machine): messages go
        # by the test's own dispatch() and the tick a commit wakes.
        dispatch_interval_seconds="3600",
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal") as client:
            yield app, client


async def text_us(client: httpx.AsyncClient, twilio: FakeTwilio, body: str, sid: str, **extra: str):
    form = {"MessageSid": sid, "From": CITIZEN_PHONE, "To": OUR_NUMBER, "Body": body, **extra}
    # Signed by twilio's own RequestValidator, for the public URL Twilio calls.
    signature = twilio.sign(PUBLIC_URL + SMS_PATH, form)
    return await client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": signature})


async def test_a_consent_reply_by_sms_is_answered_through_twilio(sms_app, twilio, database, clock):
    app, client = sms_app
    async with database.session() as session:
        mentor = await add_staff(session)
        participant = await add_participant(
            session, now=clock.now(), mentor=mentor, consented=False
        )
        await add_question(session, participant, kind=MessageKind.CONSENT_REQUEST, now=clock.now())
    response = await text_us(client, twilio, "ja tak 👍", "SM" + "a" * 32)
    assert response.status_code == 200 and response.text == EMPTY_TWIML
    await dispatch(app)
    [sent] = await eventually(lambda: twilio.messages)
    assert (sent["To"], sent["From"]) == (CITIZEN_PHONE, OUR_NUMBER)
    assert sent["Body"] == CATALOGS.render("da", texts.CONSENT_THANKS)

    async def recorded() -> Message | None:
        # The scheduler's own tick may be the one that sent it: wait for its outcome to commit.
        async with database.read() as session:
            reply: Message | None = await session.scalar(
                select(Message).where(
                    Message.kind == MessageKind.CONSENT_REPLY,
                    Message.status == MessageStatus.SENT,
                )
            )
            return reply

    reply = await eventually(recorded)
    assert reply.provider_id == sent["sid"]
    async with database.read() as session:
        consents = list(await session.scalars(select(Consent)))
    assert len(consents) == 3


async def test_stop_by_sms_suppresses_the_plan_and_only_the_confirmation_goes(
    sms_app, twilio, database, clock
):
    app, client = sms_app
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        checkin = await plan(
            session,
            Planned(
                kind=MessageKind.CHECKIN,
                body="Hej Jonas. Hvordan går det?",
                due_at=clock.now(),
                dedupe_key="checkin:e2e",
                participant_id=participant.id,
            ),
        )
    response = await text_us(client, twilio, "STOP", "SM" + "b" * 32)
    assert response.status_code == 200
    await dispatch(app)
    [sent] = await eventually(lambda: twilio.messages)
    assert sent["Body"] == CATALOGS.render("da", texts.STOP_CONFIRMATION)
    async with database.read() as session:
        stopped = await session.get_one(Participant, participant.id)
        suppressed = await session.get_one(Message, checkin)
    assert stopped.opted_out_at == clock.now()
    assert suppressed.status is MessageStatus.SUPPRESSED


async def test_an_unknown_number_gets_one_polite_answer_through_twilio(sms_app, twilio, database):
    app, client = sms_app
    await text_us(client, twilio, "hvem er det?", "SM" + "c" * 32)
    await text_us(client, twilio, "hallo?", "SM" + "d" * 32)
    await dispatch(app)
    [sent] = await eventually(lambda: twilio.messages)
    assert sent["To"] == CITIZEN_PHONE
    assert sent["Body"] == CATALOGS.render("da", texts.UNKNOWN_SENDER)


def telegram_settings(database: Database, bot_api: FakeTelegram, mode: str) -> Any:
    return settings_for(
        database.url,
        public_url=PUBLIC_URL,
        telegram_token=TOKEN,
        telegram_api_url=bot_api.base_url,
        telegram_mode=mode,
        telegram_webhook_secret=SECRET,
    )


async def test_a_button_press_by_webhook_is_answered_through_the_real_bot(database, clock, bot_api):
    async with database.session() as session:
        participant = await add_participant(
            session, now=clock.now(), phone=None, telegram_chat_id=str(CHAT), consented=False
        )
        question = await add_question(
            session,
            participant,
            kind=MessageKind.CONSENT_REQUEST,
            channel=ChannelKind.TELEGRAM,
            address=str(CHAT),
            now=clock.now(),
        )
    app = create_app(telegram_settings(database, bot_api, "webhook"), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal") as client:
            update = button_update(70, CHAT, button_data(question.id, "yes"))
            response = await client.post(
                TELEGRAM_PATH, json=update, headers={SECRET_HEADER: SECRET}
            )
            assert response.status_code == 200

            async def consented() -> bool:
                async with database.read() as session:
                    return bool(await session.scalar(select(Consent.id).limit(1)))

            await eventually(consented)
            await dispatch(app)
            [sent] = await eventually(lambda: bot_api.sent)
    assert int(sent["chat_id"]) == CHAT
    assert sent["text"] == CATALOGS.render("da", texts.CONSENT_THANKS)
    methods = [r.path.rsplit("/", 1)[-1] for r in bot_api.requests]
    assert "answerCallbackQuery" in methods
    assert "editMessageReplyMarkup" in methods  # the answered question loses its buttons


async def test_a_message_by_polling_is_answered_through_the_real_bot(database, clock, bot_api):
    async with database.session() as session:
        mentor = await add_staff(session)
        await add_participant(
            session, now=clock.now(), phone=None, telegram_chat_id=str(CHAT), mentor=mentor
        )
    app = create_app(telegram_settings(database, bot_api, "polling"), clock=clock)
    async with app.router.lifespan_context(app):
        bot_api.push_update(text_update(80, CHAT, "/help"))

        async def replied() -> bool:
            async with database.read() as session:
                return bool(
                    await session.scalar(
                        select(Message.id).where(Message.kind == MessageKind.REPLY)
                    )
                )

        await eventually(replied)
        await dispatch(app)
        [sent] = await eventually(lambda: bot_api.sent)
    assert int(sent["chat_id"]) == CHAT
    assert sent["text"] == CATALOGS.render("da", texts.HELP, mentor_name="Mette Mentorsen")


async def test_an_sms_reply_goes_out_at_once_not_at_the_dispatchers_next_tick(
    database, clock, twilio
):
    settings = settings_for(
        database.url,
        public_url=PUBLIC_URL,
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from=OUR_NUMBER,
        twilio_api_url=twilio.url,
        dispatch_interval_seconds="3600",  # no tick will come: only the wake after the commit
    )
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal") as client:
            response = await text_us(client, twilio, "Hej, jeg er på vej", "SM" + "c" * 32)
            assert response.status_code == 200
            [sent] = await eventually(lambda: twilio.messages)
    assert sent["Body"] == CATALOGS.render("da", texts.FREE_TEXT_ACK)
