"""The planner's reads and writes, a batch of participants at a time (``schedules.planner``).

Reads: the participants, their check-in consents and their existing check-in questions, one
query each (per ``IN_LIST`` ids). Writes: new check-ins (a ``Checkin`` row and its question),
moved or revived ones and cancelled ones, one statement per kind for the whole batch. Only the
columns the planner decides on are read, into plain dataclasses: no ORM objects, so nothing is
decrypted that the planner does not need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import Table, Text, bindparam, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
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
)
from bot.models.base import EncryptedText, usually
from bot.outbox import PLANNED_FLAG
from schedules.care_rules import CareRules
from schedules.new_checkins import CheckinValues, insert_checkins, insert_questions, remove_unasked

T = TypeVar("T")
_messages = cast(Table, Message.__table__)
_checkins = cast(Table, Checkin.__table__)
_BODY = EncryptedText()

# Bound parameters per IN (...) list: far below SQLite's 32,766 and asyncpg's 32,767.
IN_LIST = 2_000

# How far before now a check-in with a key for today or later can be due (see ``read_existing``).
KEY_MARGIN = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Person:
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
class Existing:
    """A check-in question already in the outbox (only the columns the planner decides on)."""

    id: int
    participant_id: int | None
    dedupe_key: str | None
    status: MessageStatus
    due_at: datetime | None
    checkin_id: int | None
    body: str | None  # read only for a question planned ahead (the only text compared)
    language: str | None


@dataclass
class Changes:
    """What one batch writes, collected first and then written a statement per kind."""

    new: list[tuple[Person, str, datetime]] = field(default_factory=list)  # + key, instant
    moved: list[tuple[Existing, datetime, str]] = field(default_factory=list)  # + new body
    cancelled: list[Existing] = field(default_factory=list)
    reworded: list[tuple[Existing, str, str]] = field(default_factory=list)  # + body, language
    revived: int = 0


async def read_people(session: AsyncSession, participant_ids: Sequence[int]) -> list[Person]:
    """The participants with these ids, in id order."""
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
    people: list[Person] = []
    for ids in slices(participant_ids, IN_LIST):
        rows = await session.execute(
            select(*columns).where(Participant.id.in_(ids)).order_by(Participant.id)
        )
        people += [Person(*row) for row in rows]
    return people


async def read_consented(session: AsyncSession, participant_ids: Sequence[int]) -> set[int]:
    """Those of these participants who consent to check-ins (and have not withdrawn it)."""
    consented: set[int] = set()
    for ids in slices(participant_ids, IN_LIST):
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


async def read_existing(
    session: AsyncSession,
    participant_ids: Sequence[int],
    wanted: Mapping[int, Mapping[str, datetime]],
    *,
    now: datetime,
) -> dict[int, dict[str | None, Existing]]:
    """Per participant, their check-ins with a wanted key, and their planned future ones.

    Read by participant, not by key: a check-in's key names its local date and its time lies on
    that date, so a row with a wanted key (dates from today on) is due at most a day before now.
    Two days' margin covers any time zone.

    The text is decrypted only for questions planned ahead (the planner compares it with the
    current wording), once per distinct ciphertext: the planner gives a batch's questions of
    identical text one ciphertext (``schedules.new_checkins``), so an idle tick decrypts about
    one text per participant, not one per planned check-in.
    """
    columns = (
        Message.id,
        Message.participant_id,
        Message.dedupe_key,
        Message.status,
        Message.due_at,
        Message.checkin_id,
        type_coerce(Message.body, Text()),  # the ciphertext: decrypted below when needed
        Message.language,
    )
    texts: dict[str, str] = {}
    dialect = session.get_bind().dialect
    found: dict[int, dict[str | None, Existing]] = {}
    for ids in slices(participant_ids, IN_LIST):
        rows = await session.execute(
            select(*columns).where(
                Message.participant_id.in_(ids),
                # By the participants' own messages: on SQLite (no statistics) an equality on
                # the kind would walk every check-in ever asked (ix_messages_checkins_sent),
                # once per batch: the idle tick took 25 s at 100,000 participants.
                usually(Message.kind == MessageKind.CHECKIN),
                Message.due_at >= now - KEY_MARGIN,
            )
        )
        for id_, participant_id, key, status, due_at, checkin_id, token, language in rows:
            if participant_id is None:
                continue
            ahead = status is MessageStatus.PLANNED and (due_at or now) > now
            if ahead or key in wanted.get(participant_id, {}):
                body = _decrypted(token, texts, dialect) if ahead else None
                message = Existing(
                    id_, participant_id, key, status, due_at, checkin_id, body, language
                )
                found.setdefault(participant_id, {})[key] = message
    return found


def _decrypted(token: str, texts: dict[str, str], dialect: Dialect) -> str:
    text = texts.get(token)
    if text is None:
        text = texts[token] = _BODY.process_result_value(token, dialect) or ""
    return text


async def write_changes(
    session: AsyncSession, changes: Changes, *, now: datetime, rules: CareRules, catalogs: Catalogs
) -> int:
    """New check-ins and their questions, moved or revived ones, reworded ones, cancelled ones.

    Returns how many new check-ins were planned (fewer than ``changes.new`` when another
    planner planned some of them meanwhile: see ``schedules.new_checkins``)."""
    planned = 0
    if changes.new:
        planned = await _plan_new(session, changes.new, rules=rules, catalogs=catalogs)
    if changes.moved:
        await _reschedule(session, changes.moved, rules=rules)
    if changes.reworded:
        await session.execute(
            update(_messages)
            .where(_messages.c.id == bindparam("b_id"))
            .values(body=bindparam("b_body"), language=bindparam("b_language")),
            [
                {"b_id": message.id, "b_body": body, "b_language": language}
                for message, body, language in changes.reworded
            ],
        )
    for messages in slices(changes.cancelled, IN_LIST):
        await session.execute(
            update(Message)
            .where(Message.id.in_([message.id for message in messages]))
            .values(status=MessageStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        await _set_checkins(session, messages, status=CheckinStatus.CANCELLED)
    return planned


async def _plan_new(
    session: AsyncSession,
    new: Sequence[tuple[Person, str, datetime]],
    *,
    rules: CareRules,
    catalogs: Catalogs,
) -> int:
    """A ``Checkin`` row and its question for each new check-in, two statements in all
    (``schedules.new_checkins``); returns how many were planned."""
    form = CheckinValues(session.get_bind().dialect)
    checkin_ids = await insert_checkins(
        session, form, [(person.id, instant) for person, _, instant in new]
    )
    bodies: dict[int, Any] = {}
    deadlines: dict[datetime, Any] = {}
    asked: dict[str, int] = {}
    questions = []
    for person, key, instant in new:
        body = bodies.get(person.id)
        if body is None:
            body = bodies[person.id] = form.encrypted(question_text(person, catalogs))
        deadline = deadlines.get(instant)
        if deadline is None:
            deadline = deadlines[instant] = form.instant(rules.checkin_deadline(instant))
        at = form.instant(instant)
        checkin_id = asked[key] = checkin_ids[person.id, at]
        questions.append((body, at, at, deadline, key, person.id, person.language, checkin_id))
    planned = await insert_questions(session, form, questions)
    await remove_unasked(session, asked, planned=planned)
    if planned:
        session.info[PLANNED_FLAG] = True
    return planned


async def _reschedule(
    session: AsyncSession, moved: Sequence[tuple[Existing, datetime, str]], *, rules: CareRules
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
    session: AsyncSession, messages: Sequence[Existing], *, status: CheckinStatus
) -> None:
    ids = [message.checkin_id for message in messages if message.checkin_id is not None]
    if ids:
        await session.execute(
            update(Checkin)
            .where(Checkin.id.in_(ids))
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


def question_text(person: Person, catalogs: Catalogs) -> str:
    return catalogs.render(person.language, texts.CHECKIN_QUESTION, name=_first_name(person.name))


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


def slices(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
