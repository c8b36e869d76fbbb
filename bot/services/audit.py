"""The audit log: who (staff) viewed, exported, created, changed or erased whose data, and why.

A data protection officer must be able to answer "who looked at this person's data, when and
for what". So every staff access to a participant's personal data writes one row, in the same
unit of work as the access itself::

    from bot.services import audit

    await audit.record(
        session,
        staff_id=user.id,                 # None for the system (retention, the bot)
        action=audit.Action.VIEWED,       # viewed, exported, created, changed, erased, deleted
        participant_id=participant.id,
        purpose="GET /participants/42",   # the page or endpoint, or the CLI command
        detail={"fields": ["phone"]},     # optional; never personal data itself
    )

Rows are append-only in the application: ``bot.models.audit`` refuses any UPDATE or DELETE of
``audit_events`` through an ORM session (a flush, a bulk statement or a Core statement run on a
session). Erasing a participant never touches their audit rows; those rows hold no personal data
(ids, actions, purposes, dates).

``access_history`` is what an admin sees on a participant's page and what the participant's own
export contains (there without staff ids or names).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import AuditEvent


class Action(enum.StrEnum):
    VIEWED = "viewed"
    EXPORTED = "exported"
    CREATED = "created"
    CHANGED = "changed"
    ERASED = "erased"
    DELETED = "deleted"  # a site (participants are erased, never deleted)


async def record(
    session: AsyncSession,
    *,
    staff_id: int | None,
    action: Action | str,
    participant_id: int | None,
    purpose: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit row (flushed, so it gets its id); commits with the caller's unit of work."""
    event = AuditEvent(
        staff_id=staff_id,
        action=str(Action(action)),
        participant_id=participant_id,
        purpose=purpose[:200],
        detail=detail,
    )
    if at is not None:
        event.at = at
    session.add(event)
    await session.flush()
    return event


async def record_admin_change(
    session: AsyncSession,
    subject: str,
    subject_id: int,
    *,
    by: int | None,
    action: Action,
    at: datetime,
    **detail: object,
) -> AuditEvent:
    """An admin's change to something that is no participant: a staff account or a site.

    ``subject`` names the kind ("staff", "site"); the detail holds ``<subject>_id`` and what
    changed (field names, a role or kind), never a name, address or number.
    """
    return await record(
        session,
        staff_id=by,
        action=action,
        participant_id=None,
        purpose=f"{subject} {subject_id}",
        detail={f"{subject}_id": subject_id, **detail},
        at=at,
    )


@dataclass(frozen=True, slots=True)
class Access:
    """One line of a participant's access history."""

    at: datetime
    action: str
    purpose: str | None
    staff_id: int | None
    detail: dict[str, Any] | None


async def access_history(session: AsyncSession, participant_id: int) -> list[Access]:
    """Every audit row about ``participant_id``, oldest first."""
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.participant_id == participant_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        Access(
            at=row.at,
            action=row.action,
            purpose=row.purpose,
            staff_id=row.staff_id,
            detail=row.detail,
        )
        for row in rows
    ]
