"""Inbound messages handled many in one unit of work (``handle_many``, the group commit):
the same outcome as one by one, copies counted once, a failing message retried alone, and
every message committed before it is answered. Real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Alert,
    Appointment,
    ChannelKind,
    Checkin,
    Direction,
    InboundEvent,
    Message,
    MessageKind,
    Participant,
    Staff,
)
from bot.models.base import UTCDateTime
from handlers.conversation import Conversation, Handled, Inbound, handle_inbound, handle_many
from handlers.group_commit import GroupCommit, InboundFailed
from tests.factories import add_checkin, add_participant, add_question, add_staff
from tests.factories import ask_about_a_meeting as add_meeting_question
from tests.query_plans import plans_of

CONVERSATION = Conversation(Catalogs.load(), ZoneInfo("Europe/Copenhagen"))
_sids = itertools.count(1)

# Who writes what, in this order: every kind of message the conversation knows, with the
# cases where a message must see what an earlier one in the same batch did.
SCRIPT = [
    ("score", "4"),
    ("low", "1"),
    ("free", "Hej, jeg er på vej"),
    ("worry", "Jeg er blevet smidt ud og er hjemløs"),
    ("meeting", "ja"),
    ("twice", "4"),
    ("stop", "STOP"),
    ("no_question", "ja"),
    ("no_fit", "ja"),
    ("twice", "5"),  # the check-in is answered now: no open question
    ("stop", "hej igen"),  # opted out a moment ago: logged, no reply
    ("help", "hjælp"),
    ("stranger", "hvem er I?"),
    ("mentor", "hej"),
]


@dataclass
class World:
    """One copy of the people in SCRIPT, with its own phone numbers (``prefix``)."""

    prefix: str
    participants: dict[str, int]

    def number(self, who: str) -> str:
        return f"+45{self.prefix}{[name for name, _ in SCRIPT].index(who):04d}"

    def inbound(self, who: str, text: str, clock: FakeClock) -> Inbound:
        return Inbound(
            provider="twilio",
            external_id=f"SM{next(_sids):032x}",
            channel=ChannelKind.SMS,
            address=self.number(who),
            text=text,
            received_at=clock.now(),
        )

    def script(self, clock: FakeClock) -> list[Inbound]:
        return [self.inbound(who, text, clock) for who, text in SCRIPT]


async def build_world(database: Database, clock: FakeClock, prefix: str) -> World:
    world = World(prefix, {})
    now = clock.now()
    async with database.session() as session:
        mentor = await add_staff(
            session, email=f"mentor{prefix}@example.org", phone=world.number("mentor")
        )
        for who in dict.fromkeys(name for name, _ in SCRIPT):
            if who in ("stranger", "mentor"):
                continue
            participant = await add_participant(
                session, now=now, name=who, phone=world.number(who), mentor=mentor
            )
            world.participants[who] = participant.id
            address = world.number(who)
            if who in ("score", "low", "twice", "no_fit"):
                checkin = await add_checkin(session, participant, now=now)
                await add_question(
                    session,
                    participant,
                    kind=MessageKind.CHECKIN,
                    checkin=checkin,
                    now=now,
                    address=address,
                )
                if who == "score":  # its nudge is about the same check-in: closed too
                    await add_question(
                        session,
                        participant,
                        kind=MessageKind.CHECKIN_NUDGE,
                        checkin=checkin,
                        now=now,
                        address=address,
                    )
            elif who == "meeting":
                await add_meeting_question(
                    session, participant, kind=MessageKind.CONFIRMATION_REQUEST, now=now
                )
    return world


async def outcome(database: Database, world: World) -> dict[str, object]:
    """Everything the messages changed, per person, without ids and provider event ids."""
    result: dict[str, object] = {}
    async with database.read() as session:
        messages = list(await session.scalars(select(Message).order_by(Message.id)))
        by_id = {message.id: message for message in messages}
        for who, participant_id in world.participants.items():
            participant = await session.get_one(Participant, participant_id)
            mine = [m for m in messages if m.participant_id == participant_id]
            checkins = await session.scalars(
                select(Checkin).where(Checkin.participant_id == participant_id)
            )
            alerts = await session.scalars(
                select(Alert).where(Alert.participant_id == participant_id).order_by(Alert.id)
            )
            meetings = await session.scalars(
                select(Appointment).where(Appointment.participant_id == participant_id)
            )
            result[who] = {
                "in": [
                    (
                        m.body,
                        m.intent,
                        m.intent_value,
                        m.received_at,
                        by_id[m.in_reply_to_id].kind if m.in_reply_to_id else None,
                    )
                    for m in mine
                    if m.direction == Direction.IN
                ],
                "out": [
                    (
                        m.kind,
                        m.body,
                        m.status,
                        m.channel,
                        (m.address or "").replace(world.prefix, "<world>"),
                        m.language,
                        by_id[m.answered_by_id].body if m.answered_by_id else None,
                        m.answered_at,
                    )
                    for m in mine
                    if m.direction == Direction.OUT
                ],
                "checkins": [(c.score, c.status, c.answered_at) for c in checkins],
                "alerts": [(a.reason, a.detail) for a in alerts],
                "meetings": [a.confirmation for a in meetings],
                "opted_out": participant.opted_out_at is not None,
            }
        strangers = [m for m in messages if m.participant_id is None and m.staff_id is None]
        staff = [m for m in messages if m.staff_id is not None]
        result["others"] = sorted(
            (m.direction, m.kind, m.body)
            for m in strangers + staff
            if world.prefix in (m.address or "")
        )
    return result


async def test_a_batch_does_what_the_same_messages_do_one_by_one(database, clock):
    one_by_one = await build_world(database, clock, "2000")
    in_a_batch = await build_world(database, clock, "2100")
    for inbound in one_by_one.script(clock):
        async with database.session() as session:
            await handle_inbound(session, inbound, conversation=CONVERSATION, now=clock.now())
    async with database.session() as session:
        handled = await handle_many(
            session, in_a_batch.script(clock), conversation=CONVERSATION, now=clock.now()
        )
    assert [h.duplicate for h in handled] == [False] * len(SCRIPT)
    expected = await outcome(database, one_by_one)
    assert await outcome(database, in_a_batch) == expected
    # The script did what it says (so the comparison compares something).
    assert expected["score"]["checkins"][0][0] == 4  # type: ignore[index]
    assert [a for a, _ in expected["low"]["alerts"]] == ["low_score"]  # type: ignore[index]
    assert expected["stop"]["opted_out"] is True  # type: ignore[index]
    assert expected["twice"]["in"][1][4] is None  # type: ignore[index]


async def test_copies_of_one_event_in_a_batch_are_handled_once(database, clock):
    world = await build_world(database, clock, "2200")
    message = world.inbound("free", "Er der nogen?", clock)
    copies = [message, replace(message), world.inbound("score", "4", clock), replace(message)]
    async with database.session() as session:
        handled = await handle_many(session, copies, conversation=CONVERSATION, now=clock.now())
    assert [h.duplicate for h in handled] == [False, True, False, True]
    async with database.read() as session:
        logged = await session.scalar(
            select(func.count()).where(
                Message.direction == Direction.IN,
                Message.participant_id == world.participants["free"],
            )
        )
        replies = await session.scalar(
            select(func.count()).where(Message.dedupe_key == f"reply:twilio:{message.external_id}")
        )
    assert (logged, replies) == (1, 1)


async def break_the_mentors_phone(database: Database) -> None:
    """The mentor's stored phone can no longer be decrypted (a key went missing): loading
    the mentor, as HELP does to name them, raises."""
    async with database.session() as session:
        # In SQL: the column type would encrypt the garbage.
        await session.execute(text("UPDATE staff SET phone = 'not-a-fernet-token'"))


async def test_a_message_that_fails_in_a_batch_is_retried_alone_and_spoils_nothing(database, clock):
    world = await build_world(database, clock, "2300")
    await break_the_mentors_phone(database)
    group = GroupCommit(database, CONVERSATION, clock)
    good = [world.inbound("score", "4", clock), world.inbound("free", "Det går godt", clock)]
    bad = world.inbound("help", "hjælp", clock)
    try:
        results = await asyncio.gather(
            group.receive(good[0]),
            group.receive(bad),
            group.receive(good[1]),
            return_exceptions=True,
        )
    finally:
        await group.close()
    assert isinstance(results[1], InboundFailed)
    assert [type(r) for r in (results[0], results[2])] == [Handled, Handled]
    async with database.read() as session:
        claimed = set(await session.scalars(select(InboundEvent.external_id)))
        logged = {
            m.participant_id: m.body
            for m in await session.scalars(select(Message).where(Message.direction == Direction.IN))
        }
        checkin = await session.scalar(
            select(Checkin).where(Checkin.participant_id == world.participants["score"])
        )
    # The others are handled exactly as without the bad one; of the bad one nothing is kept,
    # not even its claim, so Twilio's redelivery is handled.
    assert claimed == {good[0].external_id, good[1].external_id}
    assert logged == {world.participants["score"]: "4", world.participants["free"]: "Det går godt"}
    assert checkin is not None and checkin.score == 4
    async with database.session() as session:  # the key is back
        await session.execute(update(Staff).values(phone=world.number("mentor")))
    group = GroupCommit(database, CONVERSATION, clock)
    try:
        again = await group.receive(bad)
    finally:
        await group.close()
    assert not again.duplicate and again.reply_id is not None


async def test_each_message_is_committed_before_its_sender_hears_back(database, clock):
    world = await build_world(database, clock, "2400")
    group = GroupCommit(database, CONVERSATION, clock)
    elsewhere = Database(database.url)  # another connection: it sees only what is committed

    async def receive_and_look(inbound: Inbound) -> int:
        await group.receive(inbound)
        async with elsewhere.read() as session:
            return int(
                await session.scalar(
                    select(func.count()).where(InboundEvent.external_id == inbound.external_id)
                )
                or 0
            )

    try:
        seen = await asyncio.gather(*(receive_and_look(inbound) for inbound in world.script(clock)))
    finally:
        await group.close()
        await elsewhere.dispose()
    assert seen == [1] * len(SCRIPT)


@pytest.mark.parametrize("batch", [1, 3])
async def test_a_long_queue_is_handled_in_batches_of_at_most_the_maximum(database, clock, batch):
    world = await build_world(database, clock, "2500")
    group = GroupCommit(database, CONVERSATION, clock, max_batch=batch)
    try:
        handled = await asyncio.gather(*(group.receive(i) for i in world.script(clock)))
    finally:
        await group.close()
    assert [h.duplicate for h in handled] == [False] * len(SCRIPT)
    expected = await outcome(database, world)
    assert expected["stop"]["opted_out"] is True  # type: ignore[index]
    assert expected["twice"]["in"][1][4] is None  # type: ignore[index]


_OTHER_ADDRESSES = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    "INSERT INTO addresses (participant_id, channel, address, address_hash, status, priority, "
    "created_at) SELECT :participant, 'sms', '', 'other' || i, 'active', 0, :at FROM n"
).bindparams(bindparam("at", type_=UTCDateTime()))
_OTHER_QUESTIONS = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    "INSERT INTO messages (direction, kind, body, status, due_at, sent_at, attempts, "
    "escalation_step, expects_reply, urgent, created_at) "
    "SELECT 'out', 'checkin', '', 'sent', :at, :at, 1, 0, true, false, :at FROM n"
).bindparams(bindparam("at", type_=UTCDateTime()))


async def test_a_batch_finds_senders_and_questions_by_index_not_by_scanning(database, clock):
    """SQLite has no statistics in a running service; PostgreSQL gets them, as autovacuum
    gathers them. Neither may read every address or every question for a batch."""
    world = await build_world(database, clock, "2600")
    async with database.session() as session:
        values = {"count": 3_000, "at": clock.now()}
        await session.execute(_OTHER_ADDRESSES, {**values, "participant": 1})
        await session.execute(_OTHER_QUESTIONS, values)
        if not database.is_sqlite:
            await session.execute(text("ANALYZE"))
    batch = [world.inbound("score", "4", clock), world.inbound("free", "Hej", clock)]

    async def handle(session: AsyncSession) -> object:
        return await handle_many(session, batch, conversation=CONVERSATION, now=clock.now())

    [senders] = await plans_of(database, handle, "FROM addresses JOIN participants")
    [questions] = await plans_of(database, handle, "row_number() OVER")
    assert "SCAN addresses" not in senders and "Seq Scan on addresses" not in senders, senders
    assert "ix_messages_questions_sent" not in questions, questions
    assert "SCAN messages" not in questions and "Seq Scan on messages" not in questions, questions
