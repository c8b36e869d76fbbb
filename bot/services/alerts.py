"""Alerts: raised once per cause, acknowledged by a human, resolved on the dashboard.

Raising only records the alert; ``schedules.escalation`` tells the mentor (and later the
consultant) through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Alert, AlertReason


async def raise_alert(
    session: AsyncSession,
    *,
    participant_id: int | None,
    reason: AlertReason,
    dedupe_key: str,
    now: datetime,
    detail: str | None = None,
    question_id: int | None = None,
    appointment_id: int | None = None,
) -> int | None:
    """Record an alert unless one with ``dedupe_key`` exists; returns the new id or None."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(Alert)
        .values(
            participant_id=participant_id,
            reason=reason,
            dedupe_key=dedupe_key,
            created_at=now,
            detail=detail,
            question_id=question_id,
            appointment_id=appointment_id,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Alert.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def acknowledge_alert(
    session: AsyncSession, *, alert_id: int, staff_id: int, now: datetime
) -> bool:
    """Mark an alert acknowledged (stops its escalation). False if unknown or already done."""
    result = await session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=staff_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def open_alerts(session: AsyncSession, participant_id: int) -> list[Alert]:
    rows = await session.scalars(
        select(Alert)
        .where(Alert.participant_id == participant_id, Alert.resolved_at.is_(None))
        .order_by(Alert.created_at)
    )
    return list(rows)
