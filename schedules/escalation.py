"""The escalation tick: the ladder on unanswered questions.

A question is an outgoing message with ``expects_reply`` and a ``deadline_at`` (check-ins and
meeting confirmations; nudges, attendance questions and consent questions have no deadline, so
no ladder of their own). ``Message.escalation_step`` records how far its ladder got:

0. waiting. Once the question has gone out and its deadline passed unanswered, one gentle nudge
   is planned (``CHECKIN_NUDGE`` / ``CONFIRMATION_NUDGE``, due at the deadline moved out of
   quiet hours) -> step 1.
1. nudged. Still unanswered ``MENTOR_ALERT_AFTER`` after the nudge -> a ``no_reply`` alert
   (``bot.services.alerts.raise_alert``; ``schedules.alerting`` tells the mentor and, if nobody
   acknowledges it, the consultant) -> step 2.
2. alerted: done. 3. stopped: answered, or about a moved/cancelled meeting or a cancelled
   check-in.

Each step is taken with a conditional UPDATE on the step, and nudges and alerts carry dedupe
keys, so two workers or a restart can never run a ladder twice. A question counts as answered
when it or its nudge has an answer, or when the domain says so (the check-in has a score, the
meeting is confirmed or declined).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.clock import Clock
from bot.db import Database
from bot.i18n import Catalogs, format_date, format_time
from bot.models import (
    AlertReason,
    Appointment,
    AppointmentStatus,
    Checkin,
    CheckinStatus,
    Confirmation,
    EscalationStep,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ParticipantStatus,
    ReplyChoices,
)
from bot.outbox import Planned, plan
from bot.services.alerts import raise_alert
from schedules.batches import BATCH, in_batches
from schedules.care_rules import CareRules
from schedules.plans import escalation_steps

logger = logging.getLogger(__name__)

WAITING, NUDGED, ALERTED, STOPPED = (
    EscalationStep.WAITING,
    EscalationStep.NUDGED,
    EscalationStep.ALERTED,
    EscalationStep.STOPPED,
)
# Outgoing states in which the question reached (or may have reached) the citizen.
ASKED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNKNOWN)
QUESTION_KINDS = (
    MessageKind.CHECKIN,
    MessageKind.CONFIRMATION_REQUEST,
    MessageKind.MEETING_MOVED,
)
NUDGES = {
    MessageKind.CHECKIN: (MessageKind.CHECKIN_NUDGE, texts.CHECKIN_NUDGE),
    MessageKind.CONFIRMATION_REQUEST: (MessageKind.CONFIRMATION_NUDGE, texts.CONFIRMATION_NUDGE),
    MessageKind.MEETING_MOVED: (MessageKind.CONFIRMATION_NUDGE, texts.CONFIRMATION_NUDGE),
}


@dataclass(frozen=True, slots=True)
class EscalationRun:
    nudged: int = 0
    alerted: int = 0
    stopped: int = 0


def nudge_key(question_id: int) -> str:
    return f"message:{question_id}:nudge"


def no_reply_alert_key(question_id: int) -> str:
    return f"no_reply:message:{question_id}"


def _overdue(now: datetime, after_id: int, limit: int) -> Select[Message]:
    """The next ``limit`` questions after ``after_id`` whose deadline has passed unanswered."""
    return (
        select(Message)
        .where(
            Message.expects_reply.is_(True),
            Message.kind.in_(QUESTION_KINDS),
            Message.deadline_at.is_not(None),
            Message.deadline_at <= now,
            Message.status.in_(ASKED),
            Message.escalation_step.in_((WAITING, NUDGED)),
            Message.id > after_id,
        )
        .order_by(Message.id)
        .limit(limit)
    )


async def escalate_unanswered(
    database: Database,
    clock: Clock,
    rules: CareRules,
    catalogs: Catalogs,
    *,
    batch: int = BATCH,
) -> EscalationRun:
    """Take the next step on every question whose deadline has passed, ``batch`` questions per
    unit of work (``schedules.batches``: a backlog after an outage must not hold SQLite's write
    lock for minutes)."""
    now = clock.now()
    async with database.session() as session:
        await _mark_asked_checkins(session)
    counts = {"nudged": 0, "alerted": 0, "stopped": 0}

    async def take_steps(session: AsyncSession, questions: list[Message]) -> None:
        for question in questions:
            step = await _next_step(session, question, now, rules, catalogs)
            if step is not None:
                counts[step] += 1

    await in_batches(
        database, lambda after_id, limit: _overdue(now, after_id, limit), take_steps, size=batch
    )
    run = EscalationRun(**counts)
    if run != EscalationRun():
        logger.info(
            "escalation: %(nudged)d nudged, %(alerted)d alerted, %(stopped)d stopped", counts
        )
    return run


async def _next_step(
    session: AsyncSession, question: Message, now: datetime, rules: CareRules, catalogs: Catalogs
) -> str | None:
    """One question's next step, if one is due and nobody took it first: the name of the
    step taken ("stopped", "nudged", "alerted"), else None."""
    if await _answered_or_moot(session, question, now):
        return "stopped" if await _advance(session, question, STOPPED) else None
    assert question.deadline_at is not None
    steps = escalation_steps(
        question.deadline_at,
        mentor_after=rules.mentor_alert_after,
        consultant_after=rules.consultant_alert_after,
        quiet=rules.quiet,
        tz=rules.tz,
    )
    if question.escalation_step == WAITING and await _advance(session, question, NUDGED):
        await plan(session, await _nudge(session, question, steps.nudge_at, rules, catalogs))
        return "nudged"
    if (
        question.escalation_step == NUDGED
        and await _mentor_alert_due(session, question, steps.mentor_alert_at, rules, now)
        and await _advance(session, question, ALERTED)
    ):
        await _raise_no_reply(session, question, now)
        return "alerted"
    return None


async def _advance(session: AsyncSession, question: Message, step: int) -> int:
    """Move the ladder one step if nobody else has (a conditional UPDATE); 1 if we did."""
    result = await session.execute(
        update(Message)
        .where(Message.id == question.id, Message.escalation_step == question.escalation_step)
        .values(escalation_step=step)
        .execution_options(synchronize_session=False)
    )
    done = int(getattr(result, "rowcount", 0) or 0)
    if done:
        question.escalation_step = step
    return done


async def _mentor_alert_due(
    session: AsyncSession,
    question: Message,
    planned_at: datetime,
    rules: CareRules,
    now: datetime,
) -> bool:
    """The citizen gets the full period after the nudge actually went out (say, after a restart
    or a quiet-hours hold); a nudge that could not go (suppressed, failed) does not hold it up."""
    nudge = await session.scalar(
        select(Message).where(Message.dedupe_key == nudge_key(question.id))
    )
    if nudge is not None and nudge.status in (MessageStatus.PLANNED, MessageStatus.SENDING):
        return False
    due = planned_at
    if nudge is not None and nudge.sent_at is not None:
        due = max(due, nudge.sent_at + rules.mentor_alert_after)
    return now >= due


async def _answered_or_moot(session: AsyncSession, question: Message, now: datetime) -> bool:
    """Answered (the question, its nudge, or in the domain), or no longer worth a ladder: the
    citizen said STOP or left the programme, the check-in was cancelled, the meeting was
    cancelled, moved (see ``EscalationStep.STOPPED``) or has already begun."""
    participant = await session.get(Participant, question.participant_id)
    if (
        participant is None
        or participant.opted_out_at is not None
        or participant.status is not ParticipantStatus.ACTIVE
    ):
        return True
    answered_nudge = await session.scalar(
        select(Message.id).where(
            Message.dedupe_key == nudge_key(question.id), Message.answered_by_id.is_not(None)
        )
    )
    if question.answered_by_id is not None or answered_nudge is not None:
        return True
    if question.checkin_id is not None:
        checkin = await session.get(Checkin, question.checkin_id)
        return checkin is None or checkin.status in (
            CheckinStatus.ANSWERED,
            CheckinStatus.CANCELLED,
        )
    if question.appointment_id is not None:
        appointment = await session.get(Appointment, question.appointment_id)
        return (
            appointment is None
            or appointment.status is AppointmentStatus.CANCELLED
            or appointment.confirmation is not Confirmation.PENDING
            or appointment.starts_at <= now
        )
    return False


async def _nudge(
    session: AsyncSession,
    question: Message,
    due_at: datetime,
    rules: CareRules,
    catalogs: Catalogs,
) -> Planned:
    kind, template = NUDGES[MessageKind(question.kind)]
    participant = await session.get(Participant, question.participant_id)
    assert participant is not None
    lang = participant.language
    fields: dict[str, str] = {"name": participant.name.split()[0] if participant.name else ""}
    if question.appointment_id is not None:
        appointment = await session.get(Appointment, question.appointment_id)
        assert appointment is not None
        local = appointment.starts_at.astimezone(rules.tz)
        fields |= {"date": format_date(lang, local.date()), "time": format_time(lang, local.time())}
    choices = texts.QUESTION_CHOICES[template]
    return Planned(
        kind=kind,
        body=catalogs.render(lang, template, **fields),
        due_at=due_at,
        dedupe_key=nudge_key(question.id),
        participant_id=participant.id,
        language=lang,
        choices=ReplyChoices(choices),
        # Answerable, but without a deadline of its own: the ladder belongs to the question.
        expects_reply=True,
        appointment_id=question.appointment_id,
        checkin_id=question.checkin_id,
    )


async def _raise_no_reply(session: AsyncSession, question: Message, now: datetime) -> None:
    await raise_alert(
        session,
        participant_id=question.participant_id,
        reason=AlertReason.NO_REPLY,
        dedupe_key=no_reply_alert_key(question.id),
        now=now,
        question_id=question.id,
        appointment_id=question.appointment_id,
    )
    if question.checkin_id is not None:
        await session.execute(
            update(Checkin)
            .where(Checkin.id == question.checkin_id, Checkin.status == CheckinStatus.ASKED)
            .values(status=CheckinStatus.UNANSWERED)
            .execution_options(synchronize_session=False)
        )


async def _mark_asked_checkins(session: AsyncSession) -> None:
    """Planned check-ins whose question has gone out are ``asked`` (for the dashboard)."""
    sent = select(Message.checkin_id).where(
        Message.kind == MessageKind.CHECKIN,
        Message.checkin_id.is_not(None),
        or_(*(Message.status == status for status in ASKED)),
    )
    await session.execute(
        update(Checkin)
        .where(Checkin.status == CheckinStatus.PLANNED, Checkin.id.in_(sent))
        .values(status=CheckinStatus.ASKED)
        .execution_options(synchronize_session=False)
    )
