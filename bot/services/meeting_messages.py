"""What a citizen is told about a meeting, and when: the texts and timing of its messages.

``bot.services.appointments`` plans them when a meeting is created, moved or cancelled. Each
message names the meeting by kind, local date and time, and the place staff typed (never the
prison or a treatment centre unless staff confirmed it; see ``sensitive_words_in_place``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import texts
from bot.i18n import Catalogs, format_date, format_time
from bot.models import Appointment, MessageKind, Participant, ReplyChoices
from bot.outbox import Planned


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


def version_messages(
    context: MeetingContext,
    participant: Participant,
    appointment: Appointment,
    question: tuple[MessageKind, str],
) -> list[Planned]:
    """The question about this version of the meeting, its reminders and the follow-up."""
    prefix = f"appointment:{appointment.id}:v{appointment.version}"
    kind, template = question
    messages = [
        meeting_message(
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
            meeting_message(
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
            meeting_message(
                context,
                participant,
                appointment,
                MessageKind.ATTENDANCE_QUESTION,
                texts.ATTENDANCE_QUESTION,
                due_at=appointment.starts_at + after,
                key=f"{prefix}:attendance",
            )
        )
    return messages


def meeting_message(
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
