"""Meetings: create, move, cancel and record attendance, each with its messages planned at once.

Every change plans (or cancels) the citizen's messages in the caller's unit of work, so the
meeting and what the citizen will be told are committed together (or not at all):

* create: a confirmation request (JA/NEJ, buttons on Telegram) now, reminders at the configured
  offsets before the start, and the optional "did you make it?" question after it;
* move: the pending reminders are cancelled (the rows stay in the log), the version goes up, the
  citizen is told the new time and asked again, and new reminders are planned;
* cancel: pending messages are cancelled and the citizen is told;
* attendance: staff record attended or missed; missed alerts the mentor.

Dedupe keys carry the meeting's version (``appointment:42:v2:reminder:24h``), so planning twice
is harmless and a moved meeting gets fresh keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.errors import BrobyggerError
from bot.i18n import Catalogs, deny_listed_words, format_date, format_time
from bot.models import (
    AlertReason,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Attendance,
    AuditEvent,
    Confirmation,
    EscalationStep,
    Message,
    MessageKind,
    Participant,
    ParticipantStatus,
    ReplyChoices,
)
from bot.outbox import Planned, cancel, plan, plan_many
from bot.services.alerts import raise_alert


class AppointmentError(BrobyggerError):
    """A meeting could not be created or changed as asked; the message says why."""


class MeetingRules(Protocol):
    """The timing rules the service needs; ``schedules.care_rules.CareRules`` provides them."""

    @property
    def tz(self) -> ZoneInfo: ...

    def meeting_reminders(
        self, starts_at: datetime, *, now: datetime
    ) -> list[tuple[str, datetime]]: ...

    def confirmation_deadline(self, asked_at: datetime, starts_at: datetime) -> datetime: ...

    @property
    def attendance_question_after(self) -> timedelta | None: ...


@dataclass(frozen=True, slots=True)
class MeetingContext:
    """What every meeting change needs besides the session: texts, timing rules, the time."""

    catalogs: Catalogs
    rules: MeetingRules
    now: datetime


def missed_meeting_alert_key(appointment: Appointment) -> str:
    """The one dedupe key for "missed this meeting", whoever records it: staff here, or the
    citizen's answer to the attendance question (``handlers.answers`` uses the same form)."""
    return f"missed:appointment:{appointment.id}:v{appointment.version}"


def sensitive_words_in_place(place: str) -> list[str]:
    """Words in a typed place that would tell a lock screen where the citizen has been."""
    return deny_listed_words(place)


async def create_appointment(
    session: AsyncSession,
    context: MeetingContext,
    *,
    participant_id: int,
    kind: AppointmentKind,
    starts_at: datetime,
    place: str,
    staff_note: str | None = None,
    created_by_id: int | None = None,
    allow_sensitive_place: bool = False,
) -> Appointment:
    """Create a meeting and plan its confirmation request and reminders in the same unit of work.

    A place naming a prison, treatment centre or the like is refused unless staff confirm it
    (``allow_sensitive_place``), because the citizen's lock screen will show it.
    """
    participant = await _active_participant(session, participant_id)
    place = _checked_place(place, allow_sensitive_place)
    _require_future(starts_at, context.now)
    appointment = Appointment(
        participant_id=participant.id,
        kind=kind,
        starts_at=starts_at,
        place=place,
        staff_note=(staff_note or "").strip() or None,
        created_by_id=created_by_id,
        status=AppointmentStatus.SCHEDULED,
        version=1,
        confirmation=Confirmation.PENDING,
        attendance=Attendance.UNKNOWN,
    )
    session.add(appointment)
    await session.flush()
    await _plan_version(
        session,
        context,
        participant,
        appointment,
        (MessageKind.CONFIRMATION_REQUEST, texts.MEETING_CONFIRMATION_REQUEST),
    )
    _audit(session, "created", appointment, created_by_id, context.now)
    return appointment


async def move_appointment(
    session: AsyncSession,
    context: MeetingContext,
    *,
    appointment_id: int,
    starts_at: datetime,
    place: str | None = None,
    moved_by_id: int | None = None,
    allow_sensitive_place: bool = False,
) -> Appointment:
    """Move a meeting: cancel its pending messages, tell the citizen, ask again, new reminders."""
    appointment = await _scheduled(session, appointment_id)
    participant = await _active_participant(session, appointment.participant_id)
    if place is not None:
        appointment.place = _checked_place(place, allow_sensitive_place)
    _require_future(starts_at, context.now)
    await _withdraw_pending(session, appointment.id, context.now)
    appointment.starts_at = starts_at
    appointment.version += 1
    appointment.confirmation = Confirmation.PENDING
    appointment.confirmation_at = None
    await session.flush()
    await _plan_version(
        session, context, participant, appointment, (MessageKind.MEETING_MOVED, texts.MEETING_MOVED)
    )
    _audit(session, "changed", appointment, moved_by_id, context.now)
    return appointment


async def cancel_appointment(
    session: AsyncSession,
    context: MeetingContext,
    *,
    appointment_id: int,
    cancelled_by_id: int | None = None,
) -> Appointment:
    """Cancel a meeting: its pending messages are cancelled and the citizen is told once."""
    appointment = await _scheduled(session, appointment_id)
    participant = await session.get(Participant, appointment.participant_id)
    assert participant is not None
    await _withdraw_pending(session, appointment.id, context.now)
    appointment.status = AppointmentStatus.CANCELLED
    if appointment.starts_at > context.now and participant.status is ParticipantStatus.ACTIVE:
        await plan(
            session,
            _message(
                context,
                participant,
                appointment,
                MessageKind.MEETING_CANCELLED,
                texts.MEETING_CANCELLED,
                due_at=context.now,
                key=f"appointment:{appointment.id}:cancelled",
            ),
        )
    _audit(session, "cancelled", appointment, cancelled_by_id, context.now)
    return appointment


async def record_attendance(
    session: AsyncSession,
    *,
    appointment_id: int,
    attendance: Attendance,
    now: datetime,
    recorded_by_id: int | None = None,
) -> Appointment:
    """Record whether the citizen came. A missed meeting alerts the mentor at once (once)."""
    if attendance is Attendance.UNKNOWN:
        raise AppointmentError("record attended or missed")
    appointment = await _scheduled(session, appointment_id)
    if appointment.starts_at > now:
        raise AppointmentError("attendance can be recorded once the meeting has started")
    appointment.attendance = attendance
    appointment.attendance_recorded_at = now
    appointment.attendance_recorded_by_id = recorded_by_id
    await cancel(
        session,
        Message.appointment_id == appointment.id,
        Message.kind == MessageKind.ATTENDANCE_QUESTION,
        now=now,
    )
    if attendance is Attendance.MISSED:
        await raise_alert(
            session,
            participant_id=appointment.participant_id,
            reason=AlertReason.MISSED_MEETING,
            dedupe_key=missed_meeting_alert_key(appointment),
            now=now,
            appointment_id=appointment.id,
        )
    _audit(session, f"attendance_{attendance}", appointment, recorded_by_id, now)
    return appointment


# --- Internals ------------------------------------------------------------------------------


async def _active_participant(session: AsyncSession, participant_id: int) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.erased_at is not None:
        raise AppointmentError(f"no participant with id {participant_id}")
    if participant.status is not ParticipantStatus.ACTIVE:
        raise AppointmentError(f"participant {participant_id} has left the programme")
    return participant


async def _scheduled(session: AsyncSession, appointment_id: int) -> Appointment:
    appointment = await session.scalar(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    )
    if appointment is None:
        raise AppointmentError(f"no meeting with id {appointment_id}")
    if appointment.status is AppointmentStatus.CANCELLED:
        raise AppointmentError(f"meeting {appointment_id} is cancelled")
    return appointment


def _checked_place(place: str, allow_sensitive: bool) -> str:
    place = " ".join(place.split())
    if not place:
        raise AppointmentError("a meeting needs a place")
    if len(place) > 300:
        raise AppointmentError("the place is longer than 300 characters")
    words = sensitive_words_in_place(place)
    if words and not allow_sensitive:
        raise AppointmentError(
            f"the place names {', '.join(words)}, which the citizen's lock screen would show; "
            "give a neutral address, or confirm that it may be shown"
        )
    return place


def _require_future(starts_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None:
        raise AppointmentError("a meeting time needs a time zone")
    if starts_at <= now:
        raise AppointmentError("a meeting must start in the future")


async def _withdraw_pending(session: AsyncSession, appointment_id: int, now: datetime) -> None:
    """Cancel what has not gone yet and stop the ladders of questions about the old time."""
    await cancel(session, Message.appointment_id == appointment_id, now=now)
    await session.execute(
        update(Message)
        .where(
            Message.appointment_id == appointment_id,
            Message.expects_reply.is_(True),
            Message.answered_by_id.is_(None),
        )
        .values(escalation_step=EscalationStep.STOPPED)
        .execution_options(synchronize_session=False)
    )


async def _plan_version(
    session: AsyncSession,
    context: MeetingContext,
    participant: Participant,
    appointment: Appointment,
    question: tuple[MessageKind, str],
) -> None:
    """The question about this version of the meeting, its reminders and the follow-up."""
    prefix = f"appointment:{appointment.id}:v{appointment.version}"
    kind, template = question
    messages = [
        _message(
            context,
            participant,
            appointment,
            kind,
            template,
            due_at=context.now,
            key=f"{prefix}:confirm",
            deadline_at=context.rules.confirmation_deadline(context.now, appointment.starts_at),
        )
    ]
    for label, instant in context.rules.meeting_reminders(appointment.starts_at, now=context.now):
        reminder = {"24h": texts.MEETING_REMINDER_24H, "2h": texts.MEETING_REMINDER_2H}.get(
            label, texts.MEETING_REMINDER
        )
        messages.append(
            _message(
                context,
                participant,
                appointment,
                MessageKind.REMINDER,
                reminder,
                due_at=instant,
                key=f"{prefix}:reminder:{label}",
            )
        )
    after = context.rules.attendance_question_after
    if after is not None:
        messages.append(
            _message(
                context,
                participant,
                appointment,
                MessageKind.ATTENDANCE_QUESTION,
                texts.ATTENDANCE_QUESTION,
                due_at=appointment.starts_at + after,
                key=f"{prefix}:attendance",
            )
        )
    await plan_many(session, messages)


def _message(
    context: MeetingContext,
    participant: Participant,
    appointment: Appointment,
    kind: MessageKind,
    template: str,
    *,
    due_at: datetime,
    key: str,
    deadline_at: datetime | None = None,
) -> Planned:
    lang = participant.language
    local = appointment.starts_at.astimezone(context.rules.tz)
    body = context.catalogs.render(
        lang,
        template,
        kind_label=context.catalogs.render(lang, texts.meeting_kind_label(appointment.kind)),
        date=format_date(lang, local.date()),
        time=format_time(lang, local.time()),
        place=appointment.place,
    )
    choices = texts.QUESTION_CHOICES.get(template)
    return Planned(
        kind=kind,
        body=body,
        due_at=due_at,
        dedupe_key=key,
        participant_id=participant.id,
        language=lang,
        choices=ReplyChoices(choices) if choices else None,
        expects_reply=choices is not None,
        deadline_at=deadline_at,
        appointment_id=appointment.id,
    )


def _audit(
    session: AsyncSession,
    action: str,
    appointment: Appointment,
    staff_id: int | None,
    now: datetime,
) -> None:
    session.add(
        AuditEvent(
            at=now,
            staff_id=staff_id,
            action=f"meeting_{action}"[:40],
            participant_id=appointment.participant_id,
            purpose="appointments",
            detail={"appointment_id": appointment.id, "version": appointment.version},
        )
    )
