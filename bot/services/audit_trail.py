"""The audit trail of staff looking at and changing citizens' data (``audit_events``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import AuditEvent


async def record(
    session: AsyncSession,
    *,
    staff_id: int | None,
    action: str,
    participant_id: int | None,
    purpose: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row: who did ``action`` (viewed, exported, created, changed) to whom."""
    session.add(
        AuditEvent(
            at=now,
            staff_id=staff_id,
            action=action,
            participant_id=participant_id,
            purpose=purpose[:200],
            detail=detail,
        )
    )
