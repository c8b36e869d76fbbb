"""What a citizen is told about a meeting, and when: the texts and timing of its messages.

``bot.services.appointments`` plans them when a meeting is created, moved or cancelled. Each
message names the meeting by kind, local date and time, and the place staff typed (never the
prison or a treatment centre unless staff confirmed it; see ``sensitive_words_in_place``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import texts
from bot.i18n import Catalogs, format_date, format_time
from bot.models import Appointment, MessageKind, ReplyChoices
from bot.outbox import Planned


class Recipient(Protocol):
    """Who a meeting's messages go to: a ``Participant``, or the few columns of one."""

    @property
    def id(self) -> int: ...

    @property
    def language(self) -> str: ...


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
    participant: Recipient,
    appointment: Appointment,
    question: tuple[MessageKind, str],
) -> list[Planned]:
    """The question about this version of the meeting, its reminders and the follow-up."""
    prefix = f"appointment:{appointment.id}:v{appointment.version}"
    kind, template = question
    fields = meeting_fields(context, participant.language, appointment)
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
            fields=fields,
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
                fields=fields,
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
                fields=fields,
            )
        )
    return messages


def meeting_fields(
    context: MeetingContext, lang: str | None, appointment: Appointment
) -> dict[str, str]:
    """What a meeting's texts say about it, in ``lang``: its kind, local date and time, place."""
    local = appointment.starts_at.astimezone(context.rules.tz)
    return {
        "kind_label": context.catalogs.render(lang, texts.meeting_kind_label(appointment.kind)),
        "date": format_date(lang, local.date()),
        "time": format_time(lang, local.time()),
        "place": appointment.place,
    }


def meeting_message(
    context: MeetingContext,
    participant: Recipient,
    appointment: Appointment,
    kind: MessageKind,
    template: str,
    *,
    due_at: datetime,
    key: str,
    deadline_at: datetime | None = None,
    fields: Mapping[str, str] | None = None,
) -> Planned:
    """One message about the meeting (``fields``: its ``meeting_fields``, if already known)."""
    lang = participant.language
    if fields is None:
        fields = meeting_fields(context, lang, appointment)
    body = context.catalogs.render(lang, template, **fields)
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
