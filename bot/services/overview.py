"""The overview: what needs a human today, within one viewer's scope.

Open alerts first (unacknowledged before acknowledged), then the meetings of the next days
with their confirmation, the participants who have gone quiet, and messages that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

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
            .join(Participant, Participant.id == Alert.participant_id)
            .where(scope, Alert.resolved_at.is_(None), Participant.erased_at.is_(None))
            .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc())
            .limit(200)
        )
    ).all()
    meetings = (
        await session.execute(
            select(Appointment, Participant)
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
    last_heard = (
        select(Message.participant_id, func.max(Message.received_at).label("last"))
        .where(Message.direction == Direction.IN)
        .group_by(Message.participant_id)
        .subquery()
    )
    cutoff = now - timedelta(days=QUIET_DAYS)
    quiet = (
        await session.execute(
            select(Participant, last_heard.c.last)
            .outerjoin(last_heard, last_heard.c.participant_id == Participant.id)
            .where(
                scope,
                Participant.status == ParticipantStatus.ACTIVE,
                Participant.erased_at.is_(None),
                or_(
                    last_heard.c.last < cutoff,
                    and_(last_heard.c.last.is_(None), Participant.enrolled_at < cutoff),
                ),
            )
            .order_by(last_heard.c.last.is_not(None), last_heard.c.last)
            .limit(200)
        )
    ).all()
    failed = (
        await session.execute(
            select(Message, Participant)
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
