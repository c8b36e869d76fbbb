"""The overview: what needs a human today, within one viewer's scope.

Open alerts first (unacknowledged before acknowledged), then the meetings of the next days
with their confirmation, the participants who have gone quiet, and messages that failed.
The page shows names, times and reasons only, so participants' addresses are not loaded
(``raiseload``: a template that starts using them fails loudly instead of going slow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, raiseload

from bot.models import (
    Alert,
    Appointment,
    AppointmentStatus,
    Direction,
    Message,
    MessageStatus,
    Participant,
    ParticipantStatus,
)

MEETING_DAYS = 7
QUIET_DAYS = 7
FAILED_DAYS = 14


@dataclass(frozen=True)
class Overview:
    alerts: list[tuple[Alert, Participant]]
    meetings: list[tuple[Appointment, Participant]]
    quiet: list[tuple[Participant, datetime | None]]
    failed: list[tuple[Message, Participant]]


async def overview(session: AsyncSession, scope: ColumnElement[bool], now: datetime) -> Overview:
    alerts = (
        await session.execute(
            select(Alert, Participant)
            .options(raiseload(Participant.addresses))
            .join(Participant, Participant.id == Alert.participant_id)
            .where(scope, Alert.resolved_at.is_(None), Participant.erased_at.is_(None))
            .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc())
            .limit(200)
        )
    ).all()
    meetings = (
        await session.execute(
            select(Appointment, Participant)
            .options(raiseload(Participant.addresses))
            .join(Participant, Participant.id == Appointment.participant_id)
            .where(
                scope,
                Appointment.status == AppointmentStatus.SCHEDULED,
                Appointment.starts_at >= now - timedelta(hours=2),
                Appointment.starts_at < now + timedelta(days=MEETING_DAYS),
            )
            .order_by(Appointment.starts_at)
            .limit(200)
        )
    ).all()
    cutoff = now - timedelta(days=QUIET_DAYS)
    inbound = (Message.participant_id == Participant.id, Message.direction == Direction.IN)
    # Per participant, through ix_messages_inbound: first "heard from since the cutoff?", which
    # rules out most active participants at once, then the last time only for the quiet ones.
    heard_lately = select(Message.id).where(*inbound, Message.received_at >= cutoff).exists()
    last_heard = (
        select(func.max(Message.received_at)).where(*inbound).scalar_subquery().label("last")
    )
    quiet = (
        await session.execute(
            select(Participant, last_heard)
            .options(raiseload(Participant.addresses))
            .where(
                scope,
                Participant.status == ParticipantStatus.ACTIVE,
                Participant.erased_at.is_(None),
                ~heard_lately,
                # Cheap test first: PostgreSQL evaluates OR arms in order.
                or_(Participant.enrolled_at < cutoff, last_heard.is_not(None)),
            )
            .order_by(last_heard.asc().nulls_first())
            .limit(200)
        )
    ).all()
    failed = (
        await session.execute(
            select(Message, Participant)
            # The list shows when and why, not the text or number: nothing to decrypt.
            .options(
                raiseload(Participant.addresses),
                defer(Message.body, raiseload=True),
                defer(Message.address, raiseload=True),
            )
            .join(Participant, Participant.id == Message.participant_id)
            .where(
                scope,
                Message.status.in_([MessageStatus.FAILED, MessageStatus.UNKNOWN]),
                Message.created_at >= now - timedelta(days=FAILED_DAYS),
            )
            .order_by(Message.created_at.desc())
            .limit(200)
        )
    ).all()
    return Overview(list(alerts), list(meetings), list(quiet), list(failed))
