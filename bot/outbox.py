"""Planning messages into the outbox (the ``messages`` table).

A message is planned inside the caller's unit of work, next to the domain change that causes
it, and carries a unique ``dedupe_key``: planning the same message twice inserts one row. Nothing
is sent here; the dispatcher (``schedules.dispatcher``) sends after commit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.db import Database
from bot.driver_rows import DriverValues, insert_rows
from bot.models import ChannelKind, Direction, Message, MessageStatus, ReplyChoices
from bot.models.base import EncryptedText, usually, utcnow

# Set on a session that planned something, so the runtime can wake the dispatcher after commit.
PLANNED_FLAG = "brobygger_planned"


@dataclass(frozen=True, slots=True)
class Planned:
    """A message to plan. Either ``participant_id`` or ``staff_id`` names the recipient.

    A reply to someone we do not know (an unknown number, a Telegram chat with a wrong link)
    names neither and gives ``channel`` and ``address`` instead.
    """

    kind: str
    body: str
    due_at: datetime
    dedupe_key: str
    participant_id: int | None = None
    staff_id: int | None = None
    channel: ChannelKind | None = None  # None: the recipient's best address at send time
    address: str | None = None
    language: str | None = None
    choices: ReplyChoices | None = None
    expects_reply: bool = False
    deadline_at: datetime | None = None
    urgent: bool = False
    author_id: int | None = None
    appointment_id: int | None = None
    checkin_id: int | None = None
    alert_id: int | None = None

    def row(self) -> dict[str, Any]:
        if self.participant_id is not None and self.staff_id is not None:
            raise ValueError("a planned message goes to one participant or one staff member")
        if (
            self.participant_id is None
            and self.staff_id is None
            and not (self.channel and self.address)
        ):
            raise ValueError("a message to nobody we know needs a channel and an address")
        return {
            "direction": Direction.OUT,
            "status": MessageStatus.PLANNED,
            "kind": self.kind,
            "body": self.body,
            "due_at": self.due_at,
            "send_after": self.due_at,
            "dedupe_key": self.dedupe_key,
            "participant_id": self.participant_id,
            "staff_id": self.staff_id,
            "channel": self.channel,
            "address": self.address,
            "language": self.language,
            "choices": self.choices,
            "expects_reply": self.expects_reply,
            "deadline_at": self.deadline_at,
            "urgent": self.urgent,
            "author_id": self.author_id,
            "appointment_id": self.appointment_id,
            "checkin_id": self.checkin_id,
            "alert_id": self.alert_id,
            "attempts": 0,
            "escalation_step": 0,
        }


_messages = cast(Table, Message.__table__)
# The columns ``Planned.row`` gives, in a fixed order (``plan_many``).
PLANNED_COLUMNS = tuple(
    Planned(kind="", body="", due_at=datetime.now(UTC), dedupe_key="", participant_id=0).row()
)
ENCRYPTED = {name for name in PLANNED_COLUMNS if isinstance(_messages.c[name].type, EncryptedText)}


@functools.cache
def _insert_ignoring_duplicates(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``, built once per dialect.

    The rows go in as parameters: building the statement with ``.values(**row)`` on every call
    cost more CPU than running it.
    """
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(Message.__table__)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Message.id)
    )


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def plan(session: AsyncSession, message: Planned) -> int | None:
    """Plan one message; returns its new id, or None when that dedupe key was planned before."""
    statement = _insert_ignoring_duplicates(_dialect(session))
    new_id = (await session.execute(statement, message.row())).scalar_one_or_none()
    if new_id is not None:
        session.info[PLANNED_FLAG] = True
    return new_id


async def plan_many(session: AsyncSession, messages: Sequence[Planned]) -> int:
    """Plan a batch in one statement; returns how many were new.

    Through the driver (``bot.driver_rows``): moving 1,000 meetings plans 3,000 messages, and
    SQLAlchemy's per-row parameter handling of their 22 columns cost more than the insert."""
    if not messages:
        return 0
    values = DriverValues(_messages, session.get_bind().dialect)
    processors = [
        values.processor(name) if name in ENCRYPTED else values.memoized(name)
        for name in PLANNED_COLUMNS
    ]
    rows = []
    for message in messages:
        row = message.row()
        rows.append(
            tuple(
                None if (value := row[name]) is None else process(value)
                for name, process in zip(PLANNED_COLUMNS, processors, strict=True)
            )
        )
    created = await insert_rows(
        session,
        values,
        PLANNED_COLUMNS,
        rows,
        constants={"created_at": utcnow()},
        suffix="ON CONFLICT (dedupe_key) DO NOTHING",
    )
    if created:
        session.info[PLANNED_FLAG] = True
    return created


@functools.cache
def _insert_each_ignoring_duplicates(dialect: str) -> Any:
    """``_insert_ignoring_duplicates`` that also names each new row's dedupe key, so the ids
    can be matched to what was planned (built once per dialect)."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(Message.__table__)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Message.id, Message.dedupe_key)
    )


async def plan_each(session: AsyncSession, messages: Sequence[Planned]) -> list[int | None]:
    """Plan a batch in one statement; the new id of each message in order, None for a dedupe
    key planned before (as :func:`plan` returns for one)."""
    if not messages:
        return []
    statement = _insert_each_ignoring_duplicates(_dialect(session))
    result = await session.execute(statement, [message.row() for message in messages])
    new_ids: dict[str, int] = {key: new_id for new_id, key in result.all()}
    if new_ids:
        session.info[PLANNED_FLAG] = True
    return [new_ids.pop(message.dedupe_key, None) for message in messages]


async def cancel(session: AsyncSession, *where: ColumnElement[bool], now: datetime) -> int:
    """Mark planned messages matching ``where`` cancelled (the rows stay, for the log).

    ``where`` names the subject (a participant, meetings): the database should find its rows
    by that, not walk every planned message (see :class:`bot.models.base.usually`)."""
    result = await session.execute(
        update(Message)
        .where(usually(Message.status == MessageStatus.PLANNED), *where)
        .values(status=MessageStatus.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def suppress(
    session: AsyncSession, *where: ColumnElement[bool], now: datetime, reason: str
) -> int:
    """Mark planned messages matching ``where`` suppressed (opt-out, no consent, unreachable)."""
    result = await session.execute(
        update(Message)
        .where(Message.status == MessageStatus.PLANNED, *where)
        .values(status=MessageStatus.SUPPRESSED, finished_at=now, error=reason[:300])
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def on_planned_commit(database: Database, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit of ``database`` whose unit of work planned a message.

    The runtime uses it to wake the dispatcher at once, instead of at its next tick. Returns the
    function that removes the hook (call it on shutdown).
    """
    engine = database.engine.sync_engine

    def after_commit(session: Session) -> None:
        # A session on the engine, or on one connection of it (the inbound group commit).
        bind = session.bind
        on_database = bind is engine or getattr(bind, "engine", None) is engine
        if session.info.pop(PLANNED_FLAG, False) and on_database:
            callback()

    # SQLAlchemy calls after_soft_rollback(session, previous_transaction).
    def after_rollback(session: Session, _previous_transaction: object) -> None:
        session.info.pop(PLANNED_FLAG, None)

    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_soft_rollback", after_rollback)

    def remove() -> None:
        event.remove(Session, "after_commit", after_commit)
        event.remove(Session, "after_soft_rollback", after_rollback)

    return remove
