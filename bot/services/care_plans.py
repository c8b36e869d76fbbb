"""Plan administration: the programme's default check-in plan and each participant's override.

Changing a plan only stores it; the planner tick (``schedules.planner``) re-plans what has not
been sent on its next run and keeps the log of what was. The plan text is parsed by the
composition root's rules (``schedules.care_rules.CareRules``), passed in as ``rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BrobyggerError
from bot.models import AuditEvent, CheckinPlanRecord, Participant

DEFAULT_PLAN_NAME = "default"


class PlanError(BrobyggerError):
    """A plan or override could not be stored; the message says what is wrong with it."""


class PlanRules(Protocol):
    def parse_plan(self, text: str) -> dict[str, Any]: ...

    def describe_plan(self, definition: Mapping[str, Any] | None) -> str: ...

    def normalise_override(self, data: Mapping[str, Any] | None) -> dict[str, Any] | None: ...


async def stored_default_plan(session: AsyncSession) -> dict[str, Any] | None:
    """The default plan an admin stored, as JSON; None when the built-in default applies."""
    record = await session.scalar(
        select(CheckinPlanRecord).where(CheckinPlanRecord.is_default.is_(True))
    )
    return None if record is None else dict(record.definition)


async def set_default_plan(
    session: AsyncSession,
    rules: PlanRules,
    *,
    text: str,
    now: datetime,
    staff_id: int | None = None,
) -> str:
    """Store the programme's default plan from its text form; returns it as stored."""
    try:
        definition = rules.parse_plan(text)
    except ValueError as error:
        raise PlanError(str(error)) from None
    record = await session.scalar(
        select(CheckinPlanRecord).where(CheckinPlanRecord.name == DEFAULT_PLAN_NAME)
    )
    if record is None:
        record = CheckinPlanRecord(name=DEFAULT_PLAN_NAME, definition=definition, is_default=True)
        session.add(record)
    else:
        record.definition = definition
        record.is_default = True
        record.updated_at = now
    session.add(AuditEvent(at=now, staff_id=staff_id, action="plan_changed", detail={"plan": text}))
    await session.flush()
    return rules.describe_plan(definition)


async def set_plan_override(
    session: AsyncSession,
    rules: PlanRules,
    *,
    participant_id: int,
    override: Mapping[str, Any] | None,
    now: datetime,
    staff_id: int | None = None,
) -> dict[str, Any] | None:
    """Pause, change the cadence of, or set a preferred hour for one participant's check-ins.

    ``override`` is ``{"paused": true}``, ``{"paused_until": "2026-12-01"}``,
    ``{"plan": "0..28 weekly"}`` and/or ``{"preferred": {"hour": 16, "minute": 0,
    "weekdays_only": true}}``; None (or ``{}``) removes the override. Returns what was stored.
    """
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.erased_at is not None:
        raise PlanError(f"no participant with id {participant_id}")
    try:
        normalised = rules.normalise_override(override)
    except ValueError as error:
        raise PlanError(str(error)) from None
    participant.plan_override = normalised
    session.add(
        AuditEvent(
            at=now,
            staff_id=staff_id,
            action="plan_override_changed",
            participant_id=participant_id,
            detail={"override": normalised},
        )
    )
    await session.flush()
    return normalised
