"""Telegram in, with the real python-telegram-bot against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot import texts
from bot.app import create_app
from bot.clock import FakeClock
from bot.config import load_settings
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Address,
    AddressStatus,
    ChannelKind,
    Direction,
    Message,
    MessageKind,
)
from bot.services.enrolment import enrol_participant
from handlers.telegram import SECRET_HEADER, TELEGRAM_PATH
from tests.e2e.telegram_updates import blocked_update, button_update, text_update
from tests.e2e.waiting import eventually
from tests.factories import add_participant, add_staff
from tests.fakes import FakeTelegram
from tests.fakes.telegram import TOKEN

PUBLIC_URL = "https://brobygger.example.org"
SECRET = "webhook-secret-123"
CHAT = 5551


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def telegram_app(database: Database, clock: FakeClock, fake: FakeTelegram, mode: str) -> FastAPI:
    settings = load_settings(
        {},
        database_url=database.url,
        public_url=PUBLIC_URL,
        telegram_token=TOKEN,
        telegram_api_url=fake.base_url,
        telegram_mode=mode,
        telegram_webhook_secret=SECRET,
    )
    return create_app(settings, clock=clock)


@pytest.fixture
async def webhook(
    database: Database, clock: FakeClock, fake: FakeTelegram
) -> AsyncIterator[httpx.AsyncClient]:
    app = telegram_app(database, clock, fake, "webhook")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal") as client:
            yield client


async def post_update(
    client: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET
) -> httpx.Response:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    return await client.post(TELEGRAM_PATH, json=update, headers=headers)


async def inbound_rows(database: Database) -> list[Message]:
    async with database.read() as session:
        rows = await session.scalars(select(Message).where(Message.direction == Direction.IN))
        return list(rows)


async def enrol_by_telegram(database: Database, clock: FakeClock) -> tuple[int, str]:
    async with database.session() as session:
        await add_staff(session)
        enrolment = await enrol_participant(
            session,
            name="Jonas Testesen",
            phone=None,
            telegram=True,
            language="da",
            mentor_email="mette.mentor@example.org",
            catalogs=Catalogs.load(),
            now=clock.now(),
        )
    assert enrolment.telegram_code is not None
    return enrolment.participant_id, enrolment.telegram_code


async def test_webhook_mode_registers_itself_with_the_secret(webhook, fake):
    assert fake.webhook["url"] == PUBLIC_URL + TELEGRAM_PATH
    assert fake.webhook["secret_token"] == SECRET


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
async def test_a_wrong_secret_token_gets_403_and_nothing_happens(webhook, database, secret):
    response = await post_update(webhook, text_update(1, CHAT, "hej"), secret)
    assert response.status_code == 403
    assert await inbound_rows(database) == []


@pytest.mark.parametrize(
    "body", [b"not json", b"\xff\xfe", b"[]", b'{"message": {}}', b"{}"], ids=str
)
async def test_a_body_that_is_not_an_update_gets_400(webhook, database, body):
    response = await webhook.post(TELEGRAM_PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    assert await inbound_rows(database) == []


async def test_start_with_the_deep_link_code_links_the_chat_and_asks_for_consent(
    webhook, database, clock
):
    participant_id, code = await enrol_by_telegram(database, clock)
    response = await post_update(webhook, text_update(10, CHAT, f"/start {code}"))
    assert response.status_code == 200

    async def consent_question() -> Message | None:
        async with database.read() as session:
            found: Message | None = await session.scalar(
                select(Message).where(Message.kind == MessageKind.CONSENT_REQUEST)
            )
            return found

    question = await eventually(consent_question)
    assert (question.participant_id, question.channel, question.address) == (
        participant_id,
        ChannelKind.TELEGRAM,
        str(CHAT),
    )
    async with database.read() as session:
        address = await session.scalar(select(Address))
    assert address is not None and address.participant_id == participant_id


async def test_a_wrong_code_gets_a_polite_answer_and_links_nothing(webhook, database):
    await post_update(webhook, text_update(11, CHAT, "/start notavalidcode"))

    async def reply() -> Message | None:
        async with database.read() as session:
            found: Message | None = await session.scalar(
                select(Message).where(Message.kind == MessageKind.UNKNOWN_SENDER_REPLY)
            )
            return found

    answer = await eventually(reply)
    assert answer.body == Catalogs.load().render("da", texts.TELEGRAM_LINK_INVALID)
    assert (answer.channel, answer.address, answer.participant_id) == (
        ChannelKind.TELEGRAM,
        str(CHAT),
        None,
    )
    async with database.read() as session:
        assert await session.scalar(select(Address)) is None


async def test_the_same_update_twice_is_handled_once(webhook, database, clock):
    async with database.session() as session:
        await add_participant(session, now=clock.now(), phone=None, telegram_chat_id=str(CHAT))
    update = text_update(20, CHAT, "hvem er det?")
    first = await post_update(webhook, update)
    second = await post_update(webhook, update)
    after = await post_update(webhook, text_update(21, CHAT, "sidste"))
    assert [first.status_code, second.status_code, after.status_code] == [200, 200, 200]

    async def two_rows() -> list[Message] | None:
        rows = await inbound_rows(database)
        return rows if len(rows) >= 2 else None

    rows = await eventually(two_rows)  # updates are processed in order: 20 (once), then 21
    assert [r.body for r in rows] == ["hvem er det?", "sidste"]


async def test_a_button_press_is_answered_and_logged(webhook, database, clock, fake):
    async with database.session() as session:
        await add_participant(session, now=clock.now(), phone=None, telegram_chat_id=str(CHAT))
    response = await post_update(webhook, button_update(30, CHAT, "a:999:yes"))
    assert response.status_code == 200

    async def answered() -> bool:
        return any(r.path.endswith("/answerCallbackQuery") for r in fake.requests)

    await eventually(answered)
    [row] = await eventually(lambda: inbound_rows(database))
    assert (row.body, row.intent, row.intent_value) == ("a:999:yes", "yes", "999")


async def test_blocking_the_bot_marks_the_chat_opted_out(webhook, database, clock):
    async with database.session() as session:
        await add_participant(session, now=clock.now(), telegram_chat_id=str(CHAT))
    await post_update(webhook, blocked_update(40, CHAT))

    async def opted_out() -> bool:
        async with database.read() as session:
            status = await session.scalar(
                select(Address.status).where(Address.channel == ChannelKind.TELEGRAM)
            )
        return status is AddressStatus.OPTED_OUT

    await eventually(opted_out)


async def test_polling_receives_updates_from_the_bot_api(database, clock, fake):
    async with database.session() as session:
        participant = await add_participant(
            session, now=clock.now(), phone=None, telegram_chat_id=str(CHAT)
        )
    app = telegram_app(database, clock, fake, "polling")
    async with app.router.lifespan_context(app):
        fake.push_update(text_update(50, CHAT, "/stop"))
        [row] = await eventually(lambda: inbound_rows(database))
    assert (row.participant_id, row.intent) == (participant.id, "stop")
    assert fake.webhook == {}  # polling deleted any webhook first
    methods = {r.path.rsplit("/", 1)[-1] for r in fake.requests}
    assert {"getMe", "deleteWebhook", "getUpdates"} <= methods


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("x" * 5000, "x" * 5000),
        ("ok 👍🏽 tak ❤️", "ok 👍🏽 tak ❤️"),
        ("مرحبا، نعم سأحضر", "مرحبا، نعم سأحضر"),
        ("<script>alert('x')</script>", "<script>alert('x')</script>"),
        ("'; DROP TABLE messages; --", "'; DROP TABLE messages; --"),
        ("half a pair: \ud83d!", "half a pair: \ufffd!"),  # a lone surrogate in the JSON
        ("nul\x00byte", "nul\ufffdbyte"),
    ],
    ids=["5000-chars", "emoji", "rtl", "html", "sql", "lone-surrogate", "nul"],
)
async def test_odd_texts_are_stored_as_received(webhook, database, clock, text, stored):
    async with database.session() as session:
        await add_participant(session, now=clock.now(), phone=None, telegram_chat_id=str(CHAT))
    body = json.dumps(text_update(60, CHAT, text))  # ensure_ascii: "\\ud83d" stays escaped
    response = await webhook.post(
        TELEGRAM_PATH,
        content=body,
        headers={SECRET_HEADER: SECRET, "content-type": "application/json"},
    )
    assert response.status_code == 200
    [row] = await eventually(lambda: inbound_rows(database))
    assert row.body == stored
