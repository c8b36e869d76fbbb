"""The planner tick: check-ins become ``checkins`` rows and CHECKIN outbox rows ahead of time.

Each run reconciles, per participant, what the plan wants within the planning horizon with what
is planned and not yet sent, so the dashboard shows what will go before it goes:

1. The wanted check-ins: the participant's plan (their override, else the programme's stored
   default, else the built-in one), their release date, pause and preferred hour, from now to
   now + horizon (``schedules.plans.checkin_times``). A participant who is not active, has no
   release date, opted out, has no check-in consent or is paused wants none.
2. One check-in per participant and local date: dedupe key ``checkin:<participant>:<date>``.
   A wanted date with nothing yet gets a ``Checkin`` row and its question; a planned one whose
   time changed (release date moved, preferred hour) is moved; one cancelled earlier (or
   suppressed by STOP, before START) and wanted again is planned again. A planned one whose
   text no longer reads as the participant's language and the current wording would (an admin
   changed the text) gets the new text.
3. Planned, future check-ins that are no longer wanted are cancelled (rows stay, for the log).
   Anything already sent, or due and waiting for the dispatcher, is left as it is.

Running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.clock import Clock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Checkin,
    CheckinStatus,
    Consent,
    ConsentPurpose,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ParticipantStatus,
    ReplyChoices,
)
from bot.outbox import PLANNED_FLAG, Planned, plan
from bot.services.care_plans import stored_default_plan
from schedules.care_rules import CareRules, Override
from schedules.plans import DEFAULT_CHECKIN_PLAN, CheckinPlan, checkin_times

logger = logging.getLogger(__name__)

# A future check-in in these states is planned again when the plan wants it: cancelled by an
# earlier re-plan or pause, or suppressed by STOP before the citizen said START.
REVIVABLE = (MessageStatus.PLANNED, MessageStatus.CANCELLED, MessageStatus.SUPPRESSED)


@dataclass(frozen=True, slots=True)
class PlannerRun:
    planned: int = 0
    moved: int = 0
    cancelled: int = 0


def checkin_key(participant_id: int, local_date: date) -> str:
    return f"checkin:{participant_id}:{local_date.isoformat()}"


async def plan_checkins(
    database: Database, clock: Clock, rules: CareRules, catalogs: Catalogs
) -> PlannerRun:
    """Materialise due check-ins for every participant (one unit of work per participant)."""
    now = clock.now()
    async with database.read() as session:
        stored = await stored_default_plan(session)
        candidates = await _candidates(session, now)
    default = _default_plan(stored)
    total = PlannerRun()
    for participant_id in candidates:
        try:
            async with database.session() as session:
                run = await replan_participant(
                    session,
                    participant_id,
                    now=now,
                    rules=rules,
                    catalogs=catalogs,
                    default=default,
                )
        except Exception:
            # One participant's bad data must not stop everyone else's check-ins.
            logger.exception("planning check-ins for participant %s failed", participant_id)
            continue
        total = PlannerRun(
            total.planned + run.planned, total.moved + run.moved, total.cancelled + run.cancelled
        )
    if total != PlannerRun():
        logger.info(
            "check-ins: %d planned, %d moved, %d cancelled",
            *(total.planned, total.moved, total.cancelled),
        )
    return total


def _default_plan(stored: Mapping[str, Any] | None) -> CheckinPlan:
    if stored is None:
        return DEFAULT_CHECKIN_PLAN
    try:
        return CheckinPlan.from_dict(stored)
    except ValueError:
        logger.error("the stored default check-in plan is invalid; using the built-in plan")
        return DEFAULT_CHECKIN_PLAN


async def _candidates(session: AsyncSession, now: datetime) -> list[int]:
    """Participants who may want check-ins, or still have planned ones that may go."""
    pending = select(Message.participant_id).where(
        Message.kind == MessageKind.CHECKIN,
        Message.status == MessageStatus.PLANNED,
        Message.due_at > now,
    )
    rows = await session.scalars(
        select(Participant.id)
        .where(
            or_(
                (Participant.status == ParticipantStatus.ACTIVE)
                & Participant.release_date.is_not(None)
                & Participant.erased_at.is_(None),
                Participant.id.in_(pending),
            )
        )
        .order_by(Participant.id)
    )
    return list(rows)


async def _wanted(
    session: AsyncSession,
    participant: Participant,
    *,
    now: datetime,
    rules: CareRules,
    default: CheckinPlan,
) -> dict[str, datetime]:
    """Dedupe key -> instant of every check-in this participant should get within the horizon."""
    if (
        participant.status is not ParticipantStatus.ACTIVE
        or participant.release_date is None
        or participant.opted_out_at is not None
        or participant.erased_at is not None
    ):
        return {}
    consented = await session.scalar(
        select(Consent.id).where(
            Consent.participant_id == participant.id,
            Consent.purpose == ConsentPurpose.CHECKINS,
            Consent.withdrawn_at.is_(None),
        )
    )
    if consented is None:
        return {}
    try:
        override = Override.from_json(participant.plan_override)
    except ValueError:
        logger.error("participant %s has an invalid plan override; ignoring it", participant.id)
        override = Override()
    if override.paused:
        return {}
    instants = checkin_times(
        override.plan or default,
        participant.release_date,
        rules.tz,
        start=now,
        until=now + rules.horizon,
        preferred=override.preferred,
        paused_until=override.paused_until,
    )
    return {
        checkin_key(participant.id, instant.astimezone(rules.tz).date()): instant
        for instant in instants
    }


async def replan_participant(
    session: AsyncSession,
    participant_id: int,
    *,
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
    default: CheckinPlan = DEFAULT_CHECKIN_PLAN,
) -> PlannerRun:
    """Reconcile one participant's planned check-ins with their plan (see the module doc)."""
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return PlannerRun()
    wanted = await _wanted(session, participant, now=now, rules=rules, default=default)
    body = catalogs.render(
        participant.language, texts.CHECKIN_QUESTION, name=_first_name(participant.name)
    )
    existing = {
        message.dedupe_key: message
        for message in await session.scalars(
            select(Message).where(
                Message.participant_id == participant_id,
                Message.kind == MessageKind.CHECKIN,
                or_(
                    Message.dedupe_key.in_(list(wanted)),
                    (Message.status == MessageStatus.PLANNED) & (Message.due_at > now),
                ),
            )
        )
    }
    planned = moved = cancelled = 0
    for key, instant in wanted.items():
        message = existing.get(key)
        if message is None:
            checkin = Checkin(
                participant_id=participant_id, scheduled_for=instant, status=CheckinStatus.PLANNED
            )
            session.add(checkin)
            await session.flush()
            await plan(session, _question(participant, key, instant, body, checkin.id, rules))
            planned += 1
        elif message.status in REVIVABLE and (
            message.due_at != instant or message.status is not MessageStatus.PLANNED
        ):
            revived = message.status is not MessageStatus.PLANNED
            await _reschedule(session, message, instant, body, rules)
            planned, moved = planned + revived, moved + (not revived)
        elif message.status is MessageStatus.PLANNED and _ahead(message, now):
            _reword(message, body, participant.language)
    for stale_key, message in existing.items():
        if (
            stale_key not in wanted
            and message.status is MessageStatus.PLANNED
            and _ahead(message, now)
        ):
            message.status = MessageStatus.CANCELLED
            message.finished_at = now
            await _set_checkin(session, message.checkin_id, status=CheckinStatus.CANCELLED)
            cancelled += 1
    return PlannerRun(planned, moved, cancelled)


def _question(
    participant: Participant,
    key: str,
    instant: datetime,
    body: str,
    checkin_id: int,
    rules: CareRules,
) -> Planned:
    return Planned(
        kind=MessageKind.CHECKIN,
        body=body,
        due_at=instant,
        dedupe_key=key,
        participant_id=participant.id,
        language=participant.language,
        choices=ReplyChoices.SCORE,
        expects_reply=True,
        deadline_at=rules.checkin_deadline(instant),
        checkin_id=checkin_id,
    )


async def _reschedule(
    session: AsyncSession, message: Message, instant: datetime, body: str, rules: CareRules
) -> None:
    message.status = MessageStatus.PLANNED
    message.finished_at = None
    message.error = None
    message.due_at = message.send_after = instant
    message.deadline_at = rules.checkin_deadline(instant)
    message.body = body
    await _set_checkin(
        session, message.checkin_id, status=CheckinStatus.PLANNED, scheduled_for=instant
    )
    session.info[PLANNED_FLAG] = True


def _ahead(message: Message, now: datetime) -> bool:
    return message.due_at is not None and message.due_at > now


def _reword(message: Message, body: str, language: str) -> None:
    """A planned question goes out as it reads now: an admin may have changed its text
    (``bot.services.text_overrides``) or the participant their language since it was planned."""
    if message.body != body or message.language != language:
        message.body, message.language = body, language


async def _set_checkin(
    session: AsyncSession,
    checkin_id: int | None,
    *,
    status: CheckinStatus,
    scheduled_for: datetime | None = None,
) -> None:
    checkin = await session.get(Checkin, checkin_id) if checkin_id is not None else None
    if checkin is None:
        return
    checkin.status = status
    if scheduled_for is not None:
        checkin.scheduled_for = scheduled_for


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name
