"""The dispatcher on SQLite and PostgreSQL, with recording channels at the boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import DeliveryError
from bot.models import (
    Address,
    AddressStatus,
    Appointment,
    AppointmentKind,
    ChannelKind,
    Confirmation,
    ConsentPurpose,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    ReplyChoices,
)
from bot.outbox import Planned, cancel
from schedules.claims import claim_due
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.quiet_hours import QuietHours
from tests.fakes.channel import RecordingChannel
from tests.integration.delivery_people import citizen, mentor, plan_again, plan_one

CPH = ZoneInfo("Europe/Copenhagen")
OPTIONS = DispatchOptions(tz=CPH, quiet=QuietHours.parse("21:00-08:00"), max_attempts=3)


def channels() -> dict[ChannelKind, RecordingChannel]:
    return {
        ChannelKind.SMS: RecordingChannel(ChannelKind.SMS),
        ChannelKind.TELEGRAM: RecordingChannel(ChannelKind.TELEGRAM, delivered=True),
        ChannelKind.SIMULATOR: RecordingChannel(ChannelKind.SIMULATOR, delivered=True),
    }


def checkin(participant_id: int, due_at: datetime, key: str = "checkin:1", **extra) -> Planned:
    return Planned(
        kind=MessageKind.CHECKIN,
        body="Hej Mikkel. Hvordan går det?",
        due_at=due_at,
        dedupe_key=key,
        participant_id=participant_id,
        choices=ReplyChoices.SCORE,
        expects_reply=True,
        **extra,
    )


async def row(database: Database, message_id: int) -> Message:
    async with database.read() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


async def test_a_due_message_goes_once_to_the_citizens_address(database, clock):
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000001")])
    message_id = await plan_one(database, checkin(person, clock.now()))
    assert await plan_again(database, checkin(person, clock.now())) is None  # planning twice
    sent = channels()

    first = await dispatch_due(database, sent, clock, OPTIONS)
    again = await dispatch_due(database, sent, clock, OPTIONS)

    assert [(m.message_id, m.address, m.choices) for m in sent[ChannelKind.SMS].sent] == [
        (message_id, "+4520000001", ReplyChoices.SCORE)
    ]
    assert first[MessageStatus.SENT] == 1 and again.total == 0
    stored = await row(database, message_id)
    assert stored.status is MessageStatus.SENT
    assert (stored.channel, stored.address) == (ChannelKind.SMS, "+4520000001")
    assert stored.provider_id == f"sms-{message_id}" and stored.sent_at == clock.now()
    assert stored.attempts == 1 and stored.lease_until is None


async def test_a_future_message_waits_for_its_time(database, clock):
    person = await citizen(database)
    message_id = await plan_one(database, checkin(person, clock.now() + timedelta(hours=2)))
    sent = channels()

    assert (await dispatch_due(database, sent, clock, OPTIONS)).total == 0
    clock.advance(timedelta(hours=2))
    await dispatch_due(database, sent, clock, OPTIONS)

    assert [m.message_id for m in sent[ChannelKind.SIMULATOR].sent] == [message_id]
    assert (await row(database, message_id)).status is MessageStatus.DELIVERED


async def test_opted_out_or_unconsented_messages_are_suppressed_with_the_reason(database, clock):
    stopped = await citizen(database, opted_out_at=clock.now())
    unconsented = await citizen(database, consents=[])
    first = await plan_one(database, checkin(stopped, clock.now(), "a"))
    second = await plan_one(database, checkin(unconsented, clock.now(), "b"))
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)

    assert sent[ChannelKind.SIMULATOR].attempts == []
    assert (await row(database, first)).status is MessageStatus.SUPPRESSED
    assert (await row(database, first)).error == "opted out"
    assert (await row(database, second)).error == "no consent for checkins"


async def test_a_cancelled_message_stays_in_the_log_and_is_not_sent(database, clock):
    person = await citizen(database)
    message_id = await plan_one(database, checkin(person, clock.now()))
    async with database.session() as session:
        assert await cancel(session, Message.id == message_id, now=clock.now()) == 1
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)

    assert sent[ChannelKind.SIMULATOR].attempts == []
    assert (await row(database, message_id)).status is MessageStatus.CANCELLED


async def test_transient_errors_back_off_then_fail_visibly(database, clock):
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000002")])
    message_id = await plan_one(database, checkin(person, clock.now()))
    sent = channels()
    sent[ChannelKind.SMS].fail_next(DeliveryError("twilio 503", permanent=False), times=3)

    waits = []
    for _ in range(3):
        report = await dispatch_due(database, sent, clock, OPTIONS)
        stored = await row(database, message_id)
        if stored.status is MessageStatus.PLANNED:
            assert stored.send_after is not None and stored.send_after > clock.now()
            waits.append(stored.send_after - clock.now())
            clock.set(stored.send_after)

    assert report[MessageStatus.FAILED] == 1
    assert stored.status is MessageStatus.FAILED and stored.attempts == 3
    assert stored.error == "gave up after 3 attempts: sms: twilio 503"
    # Exponential with jitter: 15-30 s, then 30-60 s.
    assert timedelta(seconds=15) <= waits[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= waits[1] <= timedelta(seconds=60)


async def test_retry_after_from_the_provider_is_honoured(database, clock):
    person = await citizen(database, addresses=[(ChannelKind.TELEGRAM, "4242")])
    message_id = await plan_one(database, checkin(person, clock.now()))
    sent = channels()
    sent[ChannelKind.TELEGRAM].fail_next(
        DeliveryError("flood control", permanent=False, retry_after=600)
    )

    await dispatch_due(database, sent, clock, OPTIONS)

    stored = await row(database, message_id)
    assert stored.status is MessageStatus.PLANNED
    assert stored.send_after is not None
    assert timedelta(seconds=600) <= stored.send_after - clock.now() <= timedelta(seconds=720)


async def test_an_opted_out_address_hands_over_to_the_other_consented_channel(database, clock):
    person = await citizen(
        database, addresses=[(ChannelKind.SMS, "+4520000003"), (ChannelKind.TELEGRAM, "777")]
    )
    message_id = await plan_one(database, checkin(person, clock.now()))
    sent = channels()
    sent[ChannelKind.SMS].fail_next(
        DeliveryError("twilio 400 code 21610", permanent=True, opted_out=True)
    )

    report = await dispatch_due(database, sent, clock, OPTIONS)

    assert report["rerouted"] == 1 and report[MessageStatus.DELIVERED] == 1
    assert [m.address for m in sent[ChannelKind.TELEGRAM].sent] == ["777"]
    stored = await row(database, message_id)
    assert stored.status is MessageStatus.DELIVERED and stored.channel is ChannelKind.TELEGRAM
    async with database.read() as session:
        statuses = dict((await session.execute(select(Address.channel, Address.status))).all())
    assert statuses == {
        ChannelKind.SMS: AddressStatus.OPTED_OUT,
        ChannelKind.TELEGRAM: AddressStatus.ACTIVE,
    }


async def test_without_another_address_the_message_is_suppressed_as_unreachable(database, clock):
    person = await citizen(
        database,
        addresses=[(ChannelKind.SMS, "+4520000004"), (ChannelKind.TELEGRAM, "778")],
        consents=[(purpose, ChannelKind.SMS) for purpose in ConsentPurpose],
    )
    message_id = await plan_one(database, checkin(person, clock.now()))
    sent = channels()
    sent[ChannelKind.SMS].fail_next(
        DeliveryError("twilio 400 code 21211", permanent=True, unreachable=True)
    )

    await dispatch_due(database, sent, clock, OPTIONS)

    # Telegram is not a consented channel, so it does not take over.
    assert sent[ChannelKind.TELEGRAM].attempts == []
    stored = await row(database, message_id)
    assert (stored.status, stored.error) == (MessageStatus.SUPPRESSED, "no reachable address")


async def test_a_send_that_may_have_gone_out_is_unknown_and_never_resent(database, clock):
    person = await citizen(database)
    message_id = await plan_one(database, checkin(person, clock.now()))
    sent = channels()
    sent[ChannelKind.SIMULATOR].fail_next(
        DeliveryError("no answer within 15 s", permanent=False, may_have_sent=True)
    )

    await dispatch_due(database, sent, clock, OPTIONS)
    clock.advance(timedelta(hours=1))
    await dispatch_due(database, sent, clock, OPTIONS)

    assert len(sent[ChannelKind.SIMULATOR].attempts) == 1
    assert (await row(database, message_id)).status is MessageStatus.UNKNOWN


async def test_a_dead_workers_lease_expires_into_unknown(database, clock):
    person = await citizen(database)
    message_id = await plan_one(database, checkin(person, clock.now()))
    async with database.session() as session:  # a worker claims, then dies
        claimed = await claim_due(
            session, now=clock.now(), limit=10, lease=OPTIONS.lease, urgent_only=False
        )
    assert [c.id for c in claimed] == [message_id]
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)  # the lease still holds
    assert (await row(database, message_id)).status is MessageStatus.SENDING
    clock.advance(OPTIONS.lease + timedelta(seconds=1))
    await dispatch_due(database, sent, clock, OPTIONS)

    assert sent[ChannelKind.SIMULATOR].attempts == []
    stored = await row(database, message_id)
    assert stored.status is MessageStatus.UNKNOWN and "may have gone out" in (stored.error or "")


async def test_a_claim_takes_no_more_than_its_limit(database, clock):
    # PostgreSQL once rescanned the locking subquery of "id IN (...)": 30 rows for a limit of 10.
    person = await citizen(database)
    for n in range(30):
        await plan_one(database, checkin(person, clock.now(), key=f"checkin:{n}"))

    async with database.session() as session:
        first = await claim_due(
            session, now=clock.now(), limit=10, lease=OPTIONS.lease, urgent_only=False
        )
    async with database.session() as session:
        second = await claim_due(
            session, now=clock.now(), limit=10, lease=OPTIONS.lease, urgent_only=False
        )

    assert len(first) == len(second) == 10
    assert not {c.id for c in first} & {c.id for c in second}
    async with database.read() as session:
        sending = await session.scalar(
            select(func.count()).where(Message.status == MessageStatus.SENDING)
        )
    assert sending == 20


async def planned_reminder(
    database, starts_at, *, confirmation: Confirmation = Confirmation.PENDING
) -> int:
    """A jobcentre meeting at ``starts_at`` and its 2-hour reminder, due now; the reminder id."""
    person = await citizen(database)
    async with database.session() as session:
        meeting = Appointment(
            participant_id=person,
            kind=AppointmentKind.JOBCENTRE,
            starts_at=starts_at,
            place="Søndergade 3",
            confirmation=confirmation,
        )
        session.add(meeting)
        await session.flush()
        meeting_id = meeting.id
    return await plan_one(
        database,
        Planned(
            kind=MessageKind.REMINDER,
            body="Husk dit møde",
            due_at=starts_at - timedelta(hours=2),
            dedupe_key=f"appointment:{meeting_id}:reminder:2h",
            participant_id=person,
            appointment_id=meeting_id,
        ),
    )


async def test_a_reminder_held_past_its_meeting_is_cancelled(database, clock):
    message_id = await planned_reminder(database, clock.now() - timedelta(minutes=5))
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)

    assert sent[ChannelKind.SIMULATOR].attempts == []
    stored = await row(database, message_id)
    assert (stored.status, stored.error) == (
        MessageStatus.CANCELLED,
        "the meeting has already started",
    )


async def test_a_reminder_of_a_declined_meeting_is_not_sent(database, clock):
    message_id = await planned_reminder(
        database, clock.now() + timedelta(hours=2), confirmation=Confirmation.DECLINED
    )
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)

    assert sent[ChannelKind.SIMULATOR].attempts == []
    stored = await row(database, message_id)
    assert (stored.status, stored.error) == (
        MessageStatus.CANCELLED,
        "the citizen declined the meeting",
    )


async def test_an_alert_goes_to_the_mentors_telegram_chat_with_the_alert_id(database, clock):
    staff_id = await mentor(database, telegram_chat_id="9001", phone="+4520000099")
    message_id = await plan_one(
        database,
        Planned(
            kind=MessageKind.ALERT,
            body="Mikkel har ikke svaret.",
            due_at=clock.now(),
            dedupe_key="alert:1:mentor",
            staff_id=staff_id,
            choices=ReplyChoices.ACK,
            urgent=True,
        ),
    )
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)

    [outgoing] = sent[ChannelKind.TELEGRAM].sent
    assert (outgoing.message_id, outgoing.address, outgoing.choices) == (
        message_id,
        "9001",
        ReplyChoices.ACK,
    )


@pytest.mark.parametrize(
    ("due_local", "first_allowed_local"),
    [
        # An ordinary winter night.
        (datetime(2026, 1, 12, 23, 30), datetime(2026, 1, 13, 8, 0)),
        # The night the clocks go forward (29 March 2026): 08:00 CEST is 06:00Z.
        (datetime(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 8, 0)),
        # The night the clocks go back (25 October 2026): 08:00 CET is 07:00Z.
        (datetime(2026, 10, 24, 23, 30), datetime(2026, 10, 25, 8, 0)),
    ],
)
async def test_a_message_due_in_quiet_hours_goes_when_they_end(
    database, due_local, first_allowed_local
):
    clock = FakeClock(due_local.replace(tzinfo=CPH))
    person = await citizen(database)
    message_id = await plan_one(database, checkin(person, clock.now()))
    urgent_id = await plan_one(database, checkin(person, clock.now(), "urgent", urgent=True))
    sent = channels()
    morning = first_allowed_local.replace(tzinfo=CPH).astimezone(UTC)

    await dispatch_due(database, sent, clock, OPTIONS)
    assert [m.message_id for m in sent[ChannelKind.SIMULATOR].sent] == [urgent_id]
    clock.set(morning - timedelta(minutes=1))
    await dispatch_due(database, sent, clock, OPTIONS)
    assert (await row(database, message_id)).status is MessageStatus.PLANNED
    clock.set(morning)
    await dispatch_due(database, sent, clock, OPTIONS)

    assert [m.message_id for m in sent[ChannelKind.SIMULATOR].sent] == [urgent_id, message_id]
    assert (await row(database, message_id)).sent_at == morning


async def test_a_reply_to_an_unknown_sender_goes_only_to_that_address(database, clock):
    async with database.session() as session:
        message = Message(
            direction=Direction.OUT,
            status=MessageStatus.PLANNED,
            kind=MessageKind.UNKNOWN_SENDER_REPLY,
            body="Vi kender ikke dit nummer.",
            channel=ChannelKind.SMS,
            address="+4520000077",
            due_at=clock.now(),
            send_after=clock.now(),
            dedupe_key="unknown:1",
        )
        session.add(message)
        await session.flush()
        message_id = message.id
    sent = channels()

    await dispatch_due(database, sent, clock, OPTIONS)

    assert [(m.message_id, m.address) for m in sent[ChannelKind.SMS].sent] == [
        (message_id, "+4520000077")
    ]
