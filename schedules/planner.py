"""The planner tick: check-ins become ``checkins`` rows and CHECKIN outbox rows ahead of time.

Each run reconciles, per participant, what the plan wants within the planning horizon with what
is planned and not yet sent, so the dashboard shows what will go before it goes:

1. The wanted check-ins: the participant's plan (their override, else the programme's stored
   default, else the built-in one), their release date, pause and preferred hour, from now to
   now + horizon (``schedules.plans.checkin_dates``). A participant who is not active, has no
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

Participants are reconciled in batches (``BATCH`` per unit of work, a few set-based statements
each: no query per participant or per check-in), because a national programme has tens of
thousands of them and the tick runs every few minutes. One participant's bad data must not stop
everyone else's check-ins: a batch that fails is retried one participant per unit of work, and
only the participant that fails again is skipped (and logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ParticipantStatus,
)
from bot.services.care_plans import stored_default_plan
from schedules.care_rules import CareRules, Override
from schedules.checkin_rows import (
    Changes,
    Existing,
    Person,
    question_text,
    read_consented,
    read_existing,
    read_people,
    slices,
    write_changes,
)
from schedules.plans import DEFAULT_CHECKIN_PLAN, CheckinPlan, checkin_dates

logger = logging.getLogger(__name__)

# Participants per unit of work. Large enough that a batch's statements and its commit are a
# small part of it (200 planned a fifth slower on SQLite); small enough that a batch holds the
# write lock (SQLite) briefly (about a tenth of a second when it plans every check-in of 500
# participants) and its planning, which runs on the service's event loop between two awaits,
# stalls the webhooks for a few tens of milliseconds at most.
BATCH = 500
LANES = 2  # batches in flight at once on PostgreSQL

# A future check-in in these states is planned again when the plan wants it: cancelled by an
# earlier re-plan or pause, or suppressed by STOP before the citizen said START.
REVIVABLE = (MessageStatus.PLANNED, MessageStatus.CANCELLED, MessageStatus.SUPPRESSED)


@dataclass(frozen=True, slots=True)
class PlannerRun:
    planned: int = 0
    moved: int = 0
    cancelled: int = 0

    def __add__(self, other: PlannerRun) -> PlannerRun:
        return PlannerRun(
            self.planned + other.planned, self.moved + other.moved, self.cancelled + other.cancelled
        )


def checkin_key(participant_id: int, local_date: date) -> str:
    return f"checkin:{participant_id}:{local_date.isoformat()}"


async def plan_checkins(
    database: Database,
    clock: Clock,
    rules: CareRules,
    catalogs: Catalogs,
    *,
    batch_size: int = BATCH,
) -> PlannerRun:
    """Materialise due check-ins for every participant (one unit of work per batch)."""
    now = clock.now()
    async with database.read() as session:
        stored = await stored_default_plan(session)
        default = _default_plan(stored)
        candidates = await _candidates(session, now, default=default, rules=rules)
    batches = iter(slices(candidates, batch_size))

    async def plan_batches() -> PlannerRun:
        run = PlannerRun()
        for batch in batches:  # shared: each takes the next batch not yet taken
            run += await _plan_batch(
                database, batch, now=now, rules=rules, catalogs=catalogs, default=default
            )
        return run

    # On PostgreSQL two batches at a time: while one's statements run on the server, the
    # other's planning runs here (a batch is a transaction of its own, on participants of
    # its own). SQLite has one writer: a second one would only wait for the lock.
    lanes = 1 if database.is_sqlite else LANES
    total = sum(await asyncio.gather(*(plan_batches() for _ in range(lanes))), PlannerRun())
    if total != PlannerRun():
        logger.info(
            "check-ins: %d planned, %d moved, %d cancelled",
            *(total.planned, total.moved, total.cancelled),
        )
    return total


async def _plan_batch(
    database: Database,
    participant_ids: Sequence[int],
    *,
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
    default: CheckinPlan,
) -> PlannerRun:
    try:
        # Not durable on its own (SQLite: no sync of its commit): a batch lost in a power cut
        # is planned again by the next tick; see bot.db, point 5.
        async with database.session(durable=False) as session:
            return await replan_participants(
                session, participant_ids, now=now, rules=rules, catalogs=catalogs, default=default
            )
    except Exception:
        if len(participant_ids) == 1:
            # One participant's bad data must not stop everyone else's check-ins.
            logger.exception("planning check-ins for participant %s failed", participant_ids[0])
            return PlannerRun()
    logger.warning(
        "planning check-ins for %d participants failed; planning them one by one",
        len(participant_ids),
    )
    total = PlannerRun()
    for participant_id in participant_ids:
        total += await _plan_batch(
            database, [participant_id], now=now, rules=rules, catalogs=catalogs, default=default
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


async def _candidates(
    session: AsyncSession, now: datetime, *, default: CheckinPlan, rules: CareRules
) -> list[int]:
    """Participants who may want check-ins, or still have planned ones that may go.

    Someone on the programme's plan can only want a check-in in the horizon when their release
    date lies within the plan's reach of it, so only they are read (with two days' margin for
    the time zone); anyone with their own plan override is read whatever their release date.
    Everyone else would want nothing: at 100,000 participants that is most of them.
    """
    pending = select(Message.participant_id).where(
        Message.kind == MessageKind.CHECKIN,
        Message.status == MessageStatus.PLANNED,
        Message.due_at > now,
    )
    days = list(default.days())
    in_reach: ColumnElement[bool]
    if days:
        margin = timedelta(days=2)
        earliest = now.date() - timedelta(days=days[-1]) - margin
        latest = (now + rules.horizon).date() - timedelta(days=days[0]) + margin
        in_reach = Participant.plan_override.is_not(None) | Participant.release_date.between(
            earliest, latest
        )
    else:
        in_reach = Participant.plan_override.is_not(None)
    rows = await session.scalars(
        select(Participant.id)
        .where(
            or_(
                (Participant.status == ParticipantStatus.ACTIVE)
                & Participant.release_date.is_not(None)
                & Participant.erased_at.is_(None)
                & in_reach,
                Participant.id.in_(pending),
            )
        )
        .order_by(Participant.id)
    )
    return list(rows)


async def replan_participants(
    session: AsyncSession,
    participant_ids: Sequence[int],
    *,
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
    default: CheckinPlan = DEFAULT_CHECKIN_PLAN,
) -> PlannerRun:
    """Reconcile these participants' planned check-ins with their plans (see the module doc)."""
    people = await read_people(session, participant_ids)
    consented = await read_consented(session, participant_ids)
    wanted = {
        person.id: _wanted(person, person.id in consented, now=now, rules=rules, default=default)
        for person in people
    }
    existing = await read_existing(session, participant_ids, wanted, now=now)
    changes = Changes()
    for person in people:
        _reconcile(
            changes,
            person,
            wanted[person.id],
            existing.get(person.id, {}),
            now=now,
            catalogs=catalogs,
        )
    planned = await write_changes(session, changes, now=now, rules=rules, catalogs=catalogs)
    return PlannerRun(
        planned + changes.revived,
        len(changes.moved) - changes.revived,
        len(changes.cancelled),
    )


def _wanted(
    person: Person,
    consented: bool,
    *,
    now: datetime,
    rules: CareRules,
    default: CheckinPlan,
) -> dict[str, datetime]:
    """Dedupe key -> instant of every check-in this participant should get within the horizon."""
    if (
        person.status is not ParticipantStatus.ACTIVE
        or person.release_date is None
        or person.opted_out_at is not None
        or person.erased_at is not None
        or not consented
    ):
        return {}
    try:
        override = Override.from_json(person.plan_override)
    except ValueError:
        logger.error("participant %s has an invalid plan override; ignoring it", person.id)
        override = Override()
    if override.paused:
        return {}
    dates = checkin_dates(
        override.plan or default,
        person.release_date,
        rules.tz,
        start=now,
        until=now + rules.horizon,
        preferred=override.preferred,
        paused_until=override.paused_until,
    )
    return {checkin_key(person.id, local_date): instant for local_date, instant in dates}


def _reconcile(
    changes: Changes,
    person: Person,
    wanted: Mapping[str, datetime],
    existing: Mapping[str | None, Existing],
    *,
    now: datetime,
    catalogs: Catalogs,
) -> None:
    body: str | None = None
    for key, instant in wanted.items():
        message = existing.get(key)
        if message is None:
            changes.new.append((person, key, instant))
        elif message.status in REVIVABLE and (
            message.due_at != instant or message.status is not MessageStatus.PLANNED
        ):
            body = body or question_text(person, catalogs)
            changes.moved.append((message, instant, body))
            changes.revived += message.status is not MessageStatus.PLANNED
        elif message.status is MessageStatus.PLANNED and _ahead(message, now):
            # It goes out as it reads now: an admin may have changed the text
            # (``bot.services.text_overrides``), or the participant their language.
            body = body or question_text(person, catalogs)
            if message.body != body or message.language != person.language:
                changes.reworded.append((message, body, person.language))
    for stale_key, message in existing.items():
        planned_ahead = message.status is MessageStatus.PLANNED and _ahead(message, now)
        if stale_key not in wanted and planned_ahead:
            changes.cancelled.append(message)


def _ahead(message: Existing, now: datetime) -> bool:
    return message.due_at is not None and message.due_at > now
