"""The overview: what needs a human today, within one viewer's scope.

Open alerts first (unacknowledged before acknowledged), then the meetings of the next days
with their confirmation, the participants who have gone quiet, and messages that failed.
Each list is at most ``LIMIT`` rows of the columns the page shows (names, times, reasons): no
ORM objects, addresses or message texts, so the page costs the same at 1,000 participants as
at 100,000 (building 800 objects with all their columns was most of its time). The alerts and
the quiet list are read in their order from indexes made for them (migration 0012), so each
reads about the rows it shows, not every open alert or every active participant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Alert,
    Appointment,
    AppointmentStatus,
    Message,
    MessageStatus,
    Participant,
    ParticipantStatus,
)
from bot.models.base import usually

MEETING_DAYS = 7
QUIET_DAYS = 7
FAILED_DAYS = 14
LIMIT = 200

# A list's rows: tuples with attribute access by column label, a different shape per list.
Listing = Sequence[Row[*tuple[Any, ...]]]

# Every row names its participant the same way: the page links to them by id.
WHO = (Participant.id.label("participant_id"), Participant.name.label("participant_name"))


@dataclass(frozen=True)
class Overview:
    """Rows with attribute access, e.g. ``alert.reason``, ``alert.participant_name``."""

    alerts: Listing  # id, created_at, reason, detail, acknowledged_at
    meetings: Listing  # starts_at, kind, place, confirmation
    quiet: Listing  # last_heard (None: never replied)
    failed: Listing  # created_at, status, error


async def overview(session: AsyncSession, scope: ColumnElement[bool], now: datetime) -> Overview:
    alerts = await open_alerts(session, scope)
    meetings = await session.execute(
        select(
            Appointment.starts_at,
            Appointment.kind,
            Appointment.place,
            Appointment.confirmation,
            *WHO,
        )
        .join(Participant, Participant.id == Appointment.participant_id)
        .where(
            scope,
            Appointment.status == AppointmentStatus.SCHEDULED,
            Appointment.starts_at >= now - timedelta(hours=2),
            Appointment.starts_at < now + timedelta(days=MEETING_DAYS),
        )
        .order_by(Appointment.starts_at)
        .limit(LIMIT)
    )
    quiet = await quiet_participants(session, scope, now - timedelta(days=QUIET_DAYS))
    failed = await session.execute(
        select(Message.created_at, Message.status, Message.error, *WHO)
        .join(Participant, Participant.id == Message.participant_id)
        .where(
            scope,
            Message.status.in_([MessageStatus.FAILED, MessageStatus.UNKNOWN]),
            Message.created_at >= now - timedelta(days=FAILED_DAYS),
        )
        .order_by(Message.created_at.desc())
        .limit(LIMIT)
    )
    return Overview(alerts, meetings.all(), quiet, failed.all())


async def quiet_participants(
    session: AsyncSession, scope: ColumnElement[bool], cutoff: datetime
) -> Listing:
    """Active participants not heard from since ``cutoff``: first those never heard from (and
    enrolled before the cutoff, so not the newly enrolled), then the longest silent. Both read
    ``ix_participants_status_last_heard`` in order and stop at ``LIMIT`` rows."""
    listed = (
        Participant.status == ParticipantStatus.ACTIVE,
        Participant.erased_at.is_(None),
        scope,
    )
    columns = (*WHO, Participant.last_heard_at.label("last_heard"))
    never = (
        await session.execute(
            select(*columns)
            .where(*listed, Participant.last_heard_at.is_(None), Participant.enrolled_at < cutoff)
            .order_by(Participant.id)
            .limit(LIMIT)
        )
    ).all()
    if len(never) >= LIMIT:
        return never
    silent = await session.execute(
        select(*columns)
        .where(*listed, Participant.last_heard_at < cutoff)
        .order_by(Participant.last_heard_at)
        .limit(LIMIT - len(never))
    )
    return [*never, *silent.all()]


async def open_alerts(session: AsyncSession, scope: ColumnElement[bool]) -> Listing:
    """Alerts not resolved: those nobody has acknowledged yet (newest first, read in order from
    ``ix_alerts_unacknowledged``), then, if there is room, the acknowledged ones."""
    columns = (Alert.id, Alert.created_at, Alert.reason, Alert.detail, Alert.acknowledged_at, *WHO)

    def newest(*conditions: ColumnElement[bool], room: int) -> Select[*tuple[Any, ...]]:
        return (
            select(*columns)
            .join(Participant, Participant.id == Alert.participant_id)
            .where(scope, Participant.erased_at.is_(None), *conditions)
            .order_by(Alert.created_at.desc())
            .limit(room)
        )

    # usually(): SQLite, without ANALYZE statistics, would take "resolved_at IS NULL" for an
    # equality on ix_alerts_open and sort every open alert; so it reads the partial index.
    waiting = newest(
        usually(Alert.resolved_at.is_(None)), Alert.acknowledged_at.is_(None), room=LIMIT
    )
    rows = list((await session.execute(waiting)).all())
    if len(rows) < LIMIT:
        taken = newest(
            Alert.resolved_at.is_(None), Alert.acknowledged_at.is_not(None), room=LIMIT - len(rows)
        )
        rows.extend((await session.execute(taken)).all())
    return rows
