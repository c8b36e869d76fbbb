"""The ladder on unanswered questions: one nudge, then the mentor; once, and never if answered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, select, update

from bot.clock import FakeClock
from bot.config import load_settings
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Alert,
    AlertReason,
    Appointment,
    AppointmentKind,
    Checkin,
    CheckinStatus,
    Confirmation,
    Direction,
    EscalationStep,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ReplyChoices,
)
from bot.services.appointments import MeetingContext, create_appointment
from schedules.care_rules import CareRules
from schedules.escalation import EscalationRun, escalate_unanswered
from schedules.planner import plan_checkins
from tests.integration.careplans.people import enrol, mark_sent, messages

RELEASE = date(2026, 2, 2)
ASKED = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # Monday 10:00 local: the first check-in


async def _asked_checkin(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> Message:
    """A participant whose first check-in went out at ``ASKED``; returns that question."""
    await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    clock.set(ASKED)
    await mark_sent(database, clock.now())
    [question, *_] = await messages(database, kind=MessageKind.CHECKIN)
    assert question.status is MessageStatus.SENT
    return question


async def _answer(database: Database, question_id: int, at: datetime) -> None:
    """What the conversation service records for a reply: the inbound row and the link."""
    async with database.session() as session:
        question = await session.get(Message, question_id)
        assert question is not None
        reply = Message(
            direction=Direction.IN,
            participant_id=question.participant_id,
            kind=MessageKind.INBOUND,
            body="4",
            status=MessageStatus.RECEIVED,
            received_at=at,
            intent="score",
            intent_value="4",
            in_reply_to_id=question.id,
        )
        session.add(reply)
        await session.flush()
        question.answered_by_id, question.answered_at = reply.id, reply.received_at


async def test_an_unanswered_check_in_gets_one_nudge_then_one_mentor_alert(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    question = await _asked_checkin(database, catalogs, rules, clock)

    clock.set(ASKED + timedelta(hours=24) - timedelta(seconds=1))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun()
    clock.set(ASKED + timedelta(hours=24))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(nudged=1)
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun()

    [nudge] = await messages(database, kind=MessageKind.CHECKIN_NUDGE)
    assert (nudge.due_at, nudge.dedupe_key, nudge.choices, nudge.checkin_id) == (
        ASKED + timedelta(hours=24),
        f"message:{question.id}:nudge",
        ReplyChoices.SCORE,
        question.checkin_id,
    )
    assert nudge.body.startswith("Hej Jonas, vi vil gerne høre fra dig.")
    await mark_sent(database, clock.now())

    # The mentor is alerted 12 hours after the nudge went out, once.
    clock.advance(timedelta(hours=12) - timedelta(seconds=1))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun()
    clock.advance(timedelta(seconds=1))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(alerted=1)
    clock.advance(timedelta(days=3))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun()

    async with database.read() as session:
        alerts = list(await session.scalars(select(Alert)))
        checkin = await session.get(Checkin, question.checkin_id)
        step = await session.scalar(
            select(Message.escalation_step).where(Message.id == question.id)
        )
    assert [(a.reason, a.question_id, a.dedupe_key) for a in alerts] == [
        (AlertReason.NO_REPLY, question.id, f"no_reply:message:{question.id}")
    ]
    assert checkin is not None and checkin.status is CheckinStatus.UNANSWERED
    assert step == EscalationStep.ALERTED


async def test_an_answered_check_in_has_no_ladder(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    question = await _asked_checkin(database, catalogs, rules, clock)
    await _answer(database, question.id, ASKED + timedelta(hours=1))
    clock.set(ASKED + timedelta(days=3))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(stopped=1)
    assert await messages(database, kind=MessageKind.CHECKIN_NUDGE) == []


async def test_an_answer_to_the_nudge_stops_the_ladder_before_the_mentor(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    await _asked_checkin(database, catalogs, rules, clock)
    clock.set(ASKED + timedelta(hours=24))
    await escalate_unanswered(database, clock, rules, catalogs)
    await mark_sent(database, clock.now())
    [nudge] = await messages(database, kind=MessageKind.CHECKIN_NUDGE)
    await _answer(database, nudge.id, clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=13))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(stopped=1)
    async with database.read() as session:
        assert list(await session.scalars(select(Alert))) == []


async def test_a_question_not_yet_sent_has_no_ladder(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    clock.set(ASKED + timedelta(days=2))  # the dispatcher never ran
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun()


async def test_a_nudge_due_at_night_waits_for_the_morning(
    database: Database, catalogs: Catalogs, clock: FakeClock
) -> None:
    # A 14 h reply window ends at midnight local; quiet hours run 21:00-08:00.
    rules = CareRules.from_settings(load_settings({"BROBYGGER_CHECKIN_REPLY_WINDOW": "14h"}))
    question = await _asked_checkin(database, catalogs, rules, clock)
    clock.set(ASKED + timedelta(hours=14))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(nudged=1)
    [nudge] = await messages(database, kind=MessageKind.CHECKIN_NUDGE)
    assert nudge.due_at == datetime(2026, 1, 13, 7, 0, tzinfo=UTC)  # 08:00 local
    assert question.id


async def test_an_unconfirmed_meeting_is_nudged_and_a_confirmed_one_is_not(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    starts = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
    context = MeetingContext(catalogs, rules, clock.now())
    ids = []
    for _ in range(2):
        async with database.session() as session:
            appointment = await create_appointment(
                session,
                context,
                participant_id=participant_id,
                kind=AppointmentKind.JOBCENTRE,
                starts_at=starts,
                place="Jobcenter Aarhus",
            )
            ids.append(appointment.id)
    await mark_sent(database, clock.now())
    async with database.session() as session:
        await session.execute(
            update(Appointment)
            .where(Appointment.id == ids[1])
            .values(confirmation=Confirmation.CONFIRMED, confirmation_at=clock.now())
        )
    clock.advance(timedelta(hours=24))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(
        nudged=1, stopped=1
    )
    [nudge] = await messages(database, kind=MessageKind.CONFIRMATION_NUDGE)
    assert nudge.appointment_id == ids[0]
    assert nudge.body == (
        "Vi mangler dit svar: Kan du komme til dit møde tirsdag den 20. januar kl. 10.00?"
    )


async def test_no_ladder_for_a_citizen_who_said_stop(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    question = await _asked_checkin(database, catalogs, rules, clock)
    async with database.session() as session:
        participant = await session.get(Participant, question.participant_id)
        assert participant is not None
        participant.opted_out_at = ASKED + timedelta(hours=2)
    clock.set(ASKED + timedelta(days=2))
    assert await escalate_unanswered(database, clock, rules, catalogs) == EscalationRun(stopped=1)
    assert await messages(database, kind=MessageKind.CHECKIN_NUDGE) == []


async def test_a_backlog_is_worked_in_batches_each_its_own_unit_of_work(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    """After an outage the ladder may owe hundreds of thousands of steps: one unit of work per
    batch keeps SQLite's write lock short, and every question is still taken exactly once."""
    for name in ("Jonas Kragh", "Mette Lund", "Ole Brask", "Sara Holm", "Anders Vig"):
        await enrol(database, now=clock.now(), release_date=RELEASE, name=name)
    await plan_checkins(database, clock, rules, catalogs)
    clock.set(ASKED)
    await mark_sent(database, clock.now())
    questions = await messages(database, kind=MessageKind.CHECKIN, status=MessageStatus.SENT)
    assert len(questions) == 5
    commits: list[object] = []
    event.listen(database.engine.sync_engine, "commit", commits.append)

    clock.set(ASKED + timedelta(hours=24))
    run = await escalate_unanswered(database, clock, rules, catalogs, batch=2)

    # The sent check-ins marked asked, then three batches of questions: 2, 2 and 1.
    assert (run, len(commits)) == (EscalationRun(nudged=5), 4)
    nudges = await messages(database, kind=MessageKind.CHECKIN_NUDGE)
    assert sorted(str(nudge.dedupe_key) for nudge in nudges) == sorted(
        f"message:{question.id}:nudge" for question in questions
    )
    assert await escalate_unanswered(database, clock, rules, catalogs, batch=2) == EscalationRun()
