"""Enrolment: SMS by phone number, Telegram by a single-use, expiring, hashed deep-link code."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import texts
from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Address,
    ChannelKind,
    EnrolmentCode,
    Message,
    MessageKind,
    MessageStatus,
    ReplyChoices,
)
from bot.phones import PhoneNumberError
from bot.services.enrolment import (
    Enrolment,
    EnrolmentError,
    enrol_participant,
    issue_telegram_code,
    redeem_telegram_code,
)
from tests.factories import add_staff

CATALOGS = Catalogs.load()


async def enrol(database: Database, clock: FakeClock, **overrides: Any) -> Enrolment:
    arguments: dict[str, Any] = {
        "name": "Jonas Testesen",
        "phone": "+45 20 30 40 50",
        "telegram": False,
        "language": "da",
        "mentor_email": "mette.mentor@example.org",
    }
    arguments.update(overrides)
    async with database.session() as session:
        return await enrol_participant(session, catalogs=CATALOGS, now=clock.now(), **arguments)


@pytest.fixture
async def mentor(database):
    async with database.session() as session:
        return await add_staff(session)


async def test_enrolment_by_phone_asks_for_consent_by_sms(database, clock, mentor):
    enrolment = await enrol(database, clock, phone="0045 20304050")
    async with database.read() as session:
        address = await session.scalar(select(Address))
        question = await session.get_one(Message, enrolment.consent_request_id)
    assert address is not None and (address.channel, address.address) == (
        ChannelKind.SMS,
        "+4520304050",
    )
    assert question.kind == MessageKind.CONSENT_REQUEST
    assert question.status is MessageStatus.PLANNED and question.due_at == clock.now()
    assert question.expects_reply and question.choices is ReplyChoices.YES_NO
    assert (question.channel, question.address) == (ChannelKind.SMS, "+4520304050")
    assert question.body == CATALOGS.render(
        "da", texts.CONSENT_REQUEST, name="Jonas", mentor_name="Mette Mentorsen"
    )
    assert enrolment.telegram_code is None


async def test_a_phone_number_belongs_to_one_participant(database, clock, mentor):
    await enrol(database, clock, phone="20304050")
    with pytest.raises(EnrolmentError, match="another participant"):
        await enrol(database, clock, name="Ali Prøvesen", phone="+4520304050")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"phone": "123"}, PhoneNumberError),
        ({"phone": None}, EnrolmentError),
        ({"language": "sv"}, EnrolmentError),
        ({"name": "  "}, EnrolmentError),
        ({"mentor_email": "nobody@example.org"}, EnrolmentError),
    ],
)
async def test_bad_enrolments_are_refused_and_write_nothing(
    database, clock, mentor, overrides, error
):
    with pytest.raises(error):
        await enrol(database, clock, **overrides)
    async with database.read() as session:
        assert await session.scalar(select(Address.id)) is None
        assert await session.scalar(select(Message.id)) is None


async def test_telegram_code_is_single_use_hashed_and_asks_for_consent_there(
    database, clock, mentor
):
    enrolment = await enrol(database, clock, phone=None, telegram=True)
    code = enrolment.telegram_code
    assert code is not None and len(code) >= 22 and enrolment.consent_request_id is None
    async with database.read() as session:
        stored = await session.scalar(select(EnrolmentCode))
    assert stored is not None and code not in stored.code_hash
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest()
    async with database.session() as session:
        link = await redeem_telegram_code(
            session, code, chat_id="5551", catalogs=CATALOGS, now=clock.now()
        )
        again = await redeem_telegram_code(
            session, code, chat_id="5552", catalogs=CATALOGS, now=clock.now()
        )
    assert link is not None and link.participant.id == enrolment.participant_id
    assert again is None
    async with database.read() as session:
        addresses = [(a.channel, a.address) for a in await session.scalars(select(Address))]
        question = await session.get_one(Message, link.consent_request_id)
    assert addresses == [(ChannelKind.TELEGRAM, "5551")]
    assert (question.kind, question.channel, question.address) == (
        MessageKind.CONSENT_REQUEST,
        ChannelKind.TELEGRAM,
        "5551",
    )


async def test_an_expired_or_replaced_code_does_not_link(database, clock, mentor):
    enrolment = await enrol(database, clock, phone=None, telegram=True)
    async with database.session() as session:
        newer = await issue_telegram_code(session, enrolment.participant_id, now=clock.now())
    async with database.session() as session:
        replaced = await redeem_telegram_code(
            session, enrolment.telegram_code or "", chat_id="1", catalogs=CATALOGS, now=clock.now()
        )
    clock.advance(timedelta(days=8))
    async with database.session() as session:
        expired = await redeem_telegram_code(
            session, newer, chat_id="1", catalogs=CATALOGS, now=clock.now()
        )
        guessed = await redeem_telegram_code(
            session, "x" * 22, chat_id="1", catalogs=CATALOGS, now=clock.now()
        )
    assert (replaced, expired, guessed) == (None, None, None)
