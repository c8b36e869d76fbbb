"""One participant's timeline: every message out and in, meetings, alerts, consents, events.

Assembled from the tables the other services write (messages, appointments, alerts, consents,
the participant row itself); nothing is stored twice. Newest first.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Alert,
    Appointment,
    Consent,
    Direction,
    Message,
    MessageStatus,
    Participant,
    Staff,
)
from bot.services.audit import record


class EntryType(enum.StrEnum):
    MESSAGE_OUT = "message_out"
    MESSAGE_IN = "message_in"
    MEETING = "meeting"
    ALERT = "alert"
    CONSENT = "consent"
    ENROLLED = "enrolled"
    OPTED_OUT = "opted_out"
    CLOSED = "closed"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: EntryType
    message: Message | None = None
    appointment: Appointment | None = None
    alert: Alert | None = None
    consent: Consent | None = None
    # Names of the staff involved (author of a message, who acknowledged an alert).
    staff_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as the API returns it (and the CSV export flattens it)."""
        data: dict[str, Any] = {"at": self.at.isoformat(), "type": str(self.type)}
        if self.message is not None:
            m = self.message
            data |= {
                "message_id": m.id,
                "kind": m.kind,
                "channel": m.channel and str(m.channel),
                "status": str(m.status),
                "body": m.body,
                "intent": m.intent,
                "intent_value": m.intent_value,
                "author": self.staff_name,
                "due_at": m.due_at.isoformat() if m.due_at else None,
                "error": m.error,
            }
        if self.appointment is not None:
            a = self.appointment
            data |= {
                "appointment_id": a.id,
                "kind": str(a.kind),
                "starts_at": a.starts_at.isoformat(),
                "place": a.place,
                "status": str(a.status),
                "confirmation": str(a.confirmation),
                "attendance": str(a.attendance),
            }
        if self.alert is not None:
            al = self.alert
            data |= {
                "alert_id": al.id,
                "reason": str(al.reason),
                "detail": al.detail,
                "acknowledged_at": al.acknowledged_at.isoformat() if al.acknowledged_at else None,
                "acknowledged_by": self.staff_name,
                "resolved_at": al.resolved_at.isoformat() if al.resolved_at else None,
            }
        if self.consent is not None:
            c = self.consent
            data |= {
                "purpose": str(c.purpose),
                "method": str(c.method),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
        return data


def _message_time(message: Message) -> datetime:
    if message.direction is Direction.IN:
        return message.received_at or message.created_at
    return message.sent_at or message.due_at or message.created_at


async def staff_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the staff members ``ids`` names (None and repeats are fine)."""
    wanted = {staff_id for staff_id in ids if staff_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted)))
    return {row.id: row.name for row in rows}


async def timeline(session: AsyncSession, participant: Participant) -> list[TimelineEntry]:
    """Everything that happened with ``participant``, newest first."""
    pid = participant.id
    messages = list(await session.scalars(select(Message).where(Message.participant_id == pid)))
    appointments = await session.scalars(
        select(Appointment).where(Appointment.participant_id == pid)
    )
    alerts = list(await session.scalars(select(Alert).where(Alert.participant_id == pid)))
    # Only the staff this timeline names (authors, who acknowledged), not the whole staff table.
    names = await staff_names(
        session,
        [m.author_id for m in messages] + [a.acknowledged_by_id for a in alerts],
    )
    entries: list[TimelineEntry] = [TimelineEntry(participant.enrolled_at, EntryType.ENROLLED)]
    for message in messages:
        entry_type = (
            EntryType.MESSAGE_IN if message.direction is Direction.IN else EntryType.MESSAGE_OUT
        )
        entries.append(
            TimelineEntry(
                _message_time(message),
                entry_type,
                message=message,
                staff_name=names.get(message.author_id) if message.author_id else None,
            )
        )
    for appointment in appointments:
        entries.append(
            TimelineEntry(appointment.starts_at, EntryType.MEETING, appointment=appointment)
        )
    for alert in alerts:
        entries.append(
            TimelineEntry(
                alert.created_at,
                EntryType.ALERT,
                alert=alert,
                staff_name=names.get(alert.acknowledged_by_id)
                if alert.acknowledged_by_id
                else None,
            )
        )
    for consent in await session.scalars(select(Consent).where(Consent.participant_id == pid)):
        entries.append(TimelineEntry(consent.given_at, EntryType.CONSENT, consent=consent))
    if participant.opted_out_at is not None:
        entries.append(TimelineEntry(participant.opted_out_at, EntryType.OPTED_OUT))
    if participant.closed_at is not None:
        entries.append(TimelineEntry(participant.closed_at, EntryType.CLOSED))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


async def read_timeline(
    session: AsyncSession,
    participant: Participant,
    *,
    staff_id: int,
    action: str,
    purpose: str,
    now: datetime,
) -> list[TimelineEntry]:
    """The timeline, for a staff member to view or export; the audit trail records it."""
    entries = await timeline(session, participant)
    await record(
        session,
        staff_id=staff_id,
        action=action,
        participant_id=participant.id,
        purpose=purpose,
        at=now,
    )
    return entries


def planned_messages(entries: list[TimelineEntry]) -> list[Message]:
    """Messages still waiting to go (cancellable from the timeline), soonest first."""
    planned = [
        e.message
        for e in entries
        if e.message is not None and e.message.status is MessageStatus.PLANNED
    ]
    return sorted(planned, key=lambda m: m.send_after or m.created_at)
