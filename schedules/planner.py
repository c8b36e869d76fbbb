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
   suppressed by STOP, before START) and wanted again is planned again.
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

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table, bindparam, insert, or_, select, update
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
from bot.outbox import PLANNED_FLAG, Planned, plan_many
from bot.services.care_plans import stored_default_plan
from schedules.care_rules import CareRules, Override
from schedules.plans import DEFAULT_CHECKIN_PLAN, CheckinPlan, checkin_times

logger = logging.getLogger(__name__)
T = TypeVar("T")
_messages = cast(Table, Message.__table__)
_checkins = cast(Table, Checkin.__table__)

# Participants per unit of work. Large enough that statements, not round trips, dominate (500
# plans no faster); small enough that a batch holds the write lock (SQLite) briefly and its
# planning, which runs on the service's event loop between two awaits, stalls the webhooks for
# milliseconds, not tenths of a second.
BATCH = 200
# Bound parameters per IN (...) list: far below SQLite's 32,766 and asyncpg's 32,767.
IN_LIST = 2_000

# How far before now a check-in with a key for today or later can be due (see ``_existing``).
KEY_MARGIN = timedelta(days=2)

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
    total = PlannerRun()
    for batch in _slices(candidates, batch_size):
        total += await _plan_batch(
            database, batch, now=now, rules=rules, catalogs=catalogs, default=default
        )
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
        async with database.session() as session:
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


@dataclass(frozen=True, slots=True)
class _Person:
    """The columns of a participant the planner reads (no ORM object: nothing to decrypt)."""

    id: int
    name: str
    language: str
    status: ParticipantStatus
    release_date: date | None
    opted_out_at: datetime | None
    erased_at: datetime | None
    plan_override: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class _Existing:
    """A check-in question already in the outbox (only the columns the planner decides on)."""

    id: int
    participant_id: int | None
    dedupe_key: str | None
    status: MessageStatus
    due_at: datetime | None
    checkin_id: int | None


@dataclass
class _Changes:
    """What one batch writes, collected first and then written a statement per kind."""

    new: list[tuple[_Person, str, datetime]] = field(default_factory=list)
    moved: list[tuple[_Existing, datetime, str]] = field(default_factory=list)  # + new body
    cancelled: list[_Existing] = field(default_factory=list)
    planned: int = 0
    revived: int = 0


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
    people = await _people(session, participant_ids)
    consented = await _consented(session, participant_ids)
    wanted = {
        person.id: _wanted(person, person.id in consented, now=now, rules=rules, default=default)
        for person in people
    }
    existing = await _existing(session, participant_ids, wanted, now=now)
    changes = _Changes()
    for person in people:
        _reconcile(
            changes,
            person,
            wanted[person.id],
            existing.get(person.id, {}),
            now=now,
            catalogs=catalogs,
        )
    await _write(session, changes, now=now, rules=rules, catalogs=catalogs)
    return PlannerRun(
        changes.planned + changes.revived,
        len(changes.moved) - changes.revived,
        len(changes.cancelled),
    )


async def _people(session: AsyncSession, participant_ids: Sequence[int]) -> list[_Person]:
    columns = (
        Participant.id,
        Participant.name,
        Participant.language,
        Participant.status,
        Participant.release_date,
        Participant.opted_out_at,
        Participant.erased_at,
        Participant.plan_override,
    )
    people: list[_Person] = []
    for ids in _slices(participant_ids, IN_LIST):
        rows = await session.execute(
            select(*columns).where(Participant.id.in_(ids)).order_by(Participant.id)
        )
        people += [_Person(*row) for row in rows]
    return people


async def _consented(session: AsyncSession, participant_ids: Sequence[int]) -> set[int]:
    consented: set[int] = set()
    for ids in _slices(participant_ids, IN_LIST):
        consented.update(
            await session.scalars(
                select(Consent.participant_id).where(
                    Consent.participant_id.in_(ids),
                    Consent.purpose == ConsentPurpose.CHECKINS,
                    Consent.withdrawn_at.is_(None),
                )
            )
        )
    return consented


def _wanted(
    person: _Person,
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
    instants = checkin_times(
        override.plan or default,
        person.release_date,
        rules.tz,
        start=now,
        until=now + rules.horizon,
        preferred=override.preferred,
        paused_until=override.paused_until,
    )
    return {
        checkin_key(person.id, instant.astimezone(rules.tz).date()): instant for instant in instants
    }


async def _existing(
    session: AsyncSession,
    participant_ids: Sequence[int],
    wanted: Mapping[int, Mapping[str, datetime]],
    *,
    now: datetime,
) -> dict[int, dict[str | None, _Existing]]:
    """Per participant, their check-ins with a wanted key, and their planned future ones.

    Read by participant, not by key: a check-in's key names its local date and its time lies on
    that date, so a row with a wanted key (dates from today on) is due at most a day before now.
    Two days' margin covers any time zone.
    """
    columns = (
        Message.id,
        Message.participant_id,
        Message.dedupe_key,
        Message.status,
        Message.due_at,
        Message.checkin_id,
    )
    found: dict[int, dict[str | None, _Existing]] = {}
    for ids in _slices(participant_ids, IN_LIST):
        rows = await session.execute(
            select(*columns).where(
                Message.participant_id.in_(ids),
                Message.kind == MessageKind.CHECKIN,
                Message.due_at >= now - KEY_MARGIN,
            )
        )
        for row in rows:
            message = _Existing(*row)
            if message.participant_id is None:
                continue
            ahead = message.status is MessageStatus.PLANNED and (message.due_at or now) > now
            if ahead or message.dedupe_key in wanted.get(message.participant_id, {}):
                found.setdefault(message.participant_id, {})[message.dedupe_key] = message
    return found


def _reconcile(
    changes: _Changes,
    person: _Person,
    wanted: Mapping[str, datetime],
    existing: Mapping[str | None, _Existing],
    *,
    now: datetime,
    catalogs: Catalogs,
) -> None:
    body: str | None = None
    for key, instant in wanted.items():
        message = existing.get(key)
        if message is None:
            changes.new.append((person, key, instant))
            changes.planned += 1
        elif message.status in REVIVABLE and (
            message.due_at != instant or message.status is not MessageStatus.PLANNED
        ):
            body = body or _question_text(person, catalogs)
            changes.moved.append((message, instant, body))
            changes.revived += message.status is not MessageStatus.PLANNED
    for stale_key, message in existing.items():
        still_ahead = message.due_at is not None and message.due_at > now
        if stale_key not in wanted and message.status is MessageStatus.PLANNED and still_ahead:
            changes.cancelled.append(message)


async def _write(
    session: AsyncSession, changes: _Changes, *, now: datetime, rules: CareRules, catalogs: Catalogs
) -> None:
    if changes.new:
        await _plan_new(session, changes.new, rules=rules, catalogs=catalogs)
    if changes.moved:
        await _reschedule(session, changes.moved, rules=rules)
    for messages in _slices(changes.cancelled, IN_LIST):
        await session.execute(
            update(Message)
            .where(Message.id.in_([message.id for message in messages]))
            .values(status=MessageStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        await _set_checkins(session, messages, status=CheckinStatus.CANCELLED)


async def _plan_new(
    session: AsyncSession,
    new: Sequence[tuple[_Person, str, datetime]],
    *,
    rules: CareRules,
    catalogs: Catalogs,
) -> None:
    """A ``Checkin`` row and its question for each new check-in, two statements in all.

    The new check-ins' ids are matched by (participant, time), which is unique: asking the
    database to return them in insertion order would make SQLite insert one row at a time.
    """
    inserted = await session.execute(
        insert(_checkins).returning(
            _checkins.c.id, _checkins.c.participant_id, _checkins.c.scheduled_for
        ),
        [
            {"participant_id": person.id, "scheduled_for": instant, "status": CheckinStatus.PLANNED}
            for person, _, instant in new
        ],
    )
    checkin_ids = {(person_id, at): checkin_id for checkin_id, person_id, at in inserted}
    bodies: dict[int, str] = {}
    questions = []
    for person, key, instant in new:
        body = bodies.get(person.id)
        if body is None:
            body = bodies[person.id] = _question_text(person, catalogs)
        checkin_id = checkin_ids[person.id, instant]
        questions.append(_question(person, key, instant, body, checkin_id, rules))
    await plan_many(session, questions)


def _question(
    person: _Person,
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
        participant_id=person.id,
        language=person.language,
        choices=ReplyChoices.SCORE,
        expects_reply=True,
        deadline_at=rules.checkin_deadline(instant),
        checkin_id=checkin_id,
    )


async def _reschedule(
    session: AsyncSession, moved: Sequence[tuple[_Existing, datetime, str]], *, rules: CareRules
) -> None:
    """Planned again at the new instant (revived if it was cancelled or suppressed)."""
    await session.execute(
        update(_messages)
        .where(_messages.c.id == bindparam("b_id"))
        .values(
            status=MessageStatus.PLANNED,
            finished_at=None,
            error=None,
            due_at=bindparam("b_instant"),
            send_after=bindparam("b_instant"),
            deadline_at=bindparam("b_deadline"),
            body=bindparam("b_body"),
        ),
        [
            {
                "b_id": message.id,
                "b_instant": instant,
                "b_deadline": rules.checkin_deadline(instant),
                "b_body": body,
            }
            for message, instant, body in moved
        ],
    )
    checkins = [(message.checkin_id, instant) for message, instant, _ in moved]
    if any(checkin_id is not None for checkin_id, _ in checkins):
        await session.execute(
            update(_checkins)
            .where(_checkins.c.id == bindparam("b_id"))
            .values(status=CheckinStatus.PLANNED, scheduled_for=bindparam("b_instant")),
            [
                {"b_id": checkin_id, "b_instant": instant}
                for checkin_id, instant in checkins
                if checkin_id is not None
            ],
        )
    session.info[PLANNED_FLAG] = True


async def _set_checkins(
    session: AsyncSession, messages: Sequence[_Existing], *, status: CheckinStatus
) -> None:
    ids = [message.checkin_id for message in messages if message.checkin_id is not None]
    if ids:
        await session.execute(
            update(Checkin)
            .where(Checkin.id.in_(ids))
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


def _question_text(person: _Person, catalogs: Catalogs) -> str:
    return catalogs.render(person.language, texts.CHECKIN_QUESTION, name=_first_name(person.name))


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


def _slices(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
