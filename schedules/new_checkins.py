"""New check-ins written through the database driver: a ``Checkin`` row and its question each.

The planner's one bulk write (``schedules.checkin_rows``): after a plan change the whole
programme's check-ins are hundreds of thousands of rows. Through SQLAlchemy's insert each of
them cost more CPU than the database spent storing it: six instants and a body per check-in,
each through its column type one value at a time, and a Fernet encryption per row. Here:

1. Every value is put in the driver's own form by its column's own bind processor (so a row
   holds exactly what the ORM would have written: UTC text on SQLite, ``timestamptz`` on
   PostgreSQL, the body encrypted), and each distinct value once per batch: a batch's
   check-ins share a few dozen instants, one creation time and one text per participant.
2. The rows go in two statements for the whole batch, past SQLAlchemy's per-row parameter
   handling: on SQLite a multi-row ``VALUES`` for the check-ins (their ids come back by
   ``RETURNING``) and the driver's ``executemany`` for the questions; on PostgreSQL one
   ``INSERT ... SELECT ... FROM unnest(<one array per column>)`` each.
3. A question goes in with ``ON CONFLICT (dedupe_key) DO NOTHING``, like every outbox row
   (``bot.outbox``). Two planners at once (two workers on PostgreSQL) read the same "nothing
   planned yet": the second one's check-in rows wait for the first's and then fail on the
   unique (participant, time) (its batch is retried one participant at a time and finds them
   planned), or, if the plan changed between their reads (same day, another hour), its
   questions find the keys taken: the check-in rows it inserted for those are deleted again,
   so no check-in is left without its question (the next tick moves the first planner's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Table, bindparam, delete, select
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Checkin,
    CheckinStatus,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    ReplyChoices,
)
from bot.models.base import utcnow

_messages = cast(Table, Message.__table__)
_checkins = cast(Table, Checkin.__table__)

# Check-in rows per multi-row VALUES on SQLite: 4 parameters each, far below its 32,766.
SQLITE_ROWS = 2_000

# What every new check-in question has in common (what ``bot.outbox.Planned.row`` would give
# it); the columns not named here or in ``QUESTION_VARIES`` stay NULL.
QUESTION_CONSTANTS: dict[str, Any] = {
    "direction": Direction.OUT,
    "status": MessageStatus.PLANNED,
    "kind": MessageKind.CHECKIN,
    "choices": ReplyChoices.SCORE,
    "expects_reply": True,
    "urgent": False,
    "attempts": 0,
    "escalation_step": 0,
}
# A question's own values, in this order (``insert_questions``); ``created_at`` is the batch's.
QUESTION_VARIES = (
    "body",
    "due_at",
    "send_after",
    "deadline_at",
    "dedupe_key",
    "participant_id",
    "language",
    "checkin_id",
)
CHECKIN_COLUMNS = ("participant_id", "scheduled_for", "status", "created_at")


class DriverForm:
    """One batch's values in the driver's form, each converted once (see the module doc)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._instant = _bind_processor(_messages.c.due_at, dialect)
        self._text = _bind_processor(_messages.c.body, dialect)
        self._instants: dict[datetime, Any] = {}
        self._texts: dict[str, Any] = {}

    def instant(self, value: datetime) -> Any:
        converted = self._instants.get(value)
        if converted is None:
            converted = self._instants[value] = self._instant(value)
        return converted

    def encrypted(self, text: str) -> Any:
        """The stored form of a question's text, one encryption per distinct text in a batch.

        Rows of identical text share one ciphertext. That says nothing a copy of the database
        does not say already: a check-in question is the wording (``text_overrides`` and the
        catalog, neither secret) filled in with the participant's first name and language,
        both stored in clear in ``participants``; anyone holding the copy can tell which rows
        read alike. Every other message keeps its own ciphertext.
        """
        converted = self._texts.get(text)
        if converted is None:
            converted = self._texts[text] = self._text(text)
        return converted

    def constant(self, table: Table, name: str, value: Any) -> Any:
        return _bind_processor(table.c[name], self.dialect)(value)


def _returned(result: CursorResult[Any]) -> list[tuple[int, int, Any]]:
    """(id, participant, instant) of each check-in inserted, as the driver returned them."""
    return cast("list[tuple[int, int, Any]]", result.all())


def _bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The column type's own conversion to the driver's form (identity if it has none)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


async def insert_checkins(
    session: AsyncSession,
    form: DriverForm,
    rows: Sequence[tuple[int, datetime]],
) -> dict[tuple[int, Any], int]:
    """Insert planned ``Checkin`` rows (participant, instant); their ids by (participant, the
    instant in the driver's form). The ids are matched by that pair, which is unique: neither
    database promises ``RETURNING`` in the order of the rows."""
    created = form.constant(_checkins, "created_at", utcnow())
    status = form.constant(_checkins, "status", CheckinStatus.PLANNED)
    connection = await session.connection()
    ids: dict[tuple[int, Any], int] = {}
    if form.dialect.name == "postgresql":
        result = await connection.exec_driver_sql(
            _postgresql_checkins(form.dialect),
            (
                [participant_id for participant_id, _ in rows],
                [form.instant(instant) for _, instant in rows],
                status,
                created,
            ),
        )
        ids.update(((pid, at), checkin_id) for checkin_id, pid, at in _returned(result))
        return ids
    for start in range(0, len(rows), SQLITE_ROWS):
        chunk = rows[start : start + SQLITE_ROWS]
        parameters: list[Any] = []
        for participant_id, instant in chunk:
            parameters += (participant_id, form.instant(instant), status, created)
        result = await connection.exec_driver_sql(_sqlite_checkins(len(chunk)), tuple(parameters))
        ids.update(((pid, at), checkin_id) for checkin_id, pid, at in _returned(result))
    return ids


async def insert_questions(
    session: AsyncSession, form: DriverForm, rows: Sequence[tuple[Any, ...]]
) -> int:
    """Insert check-in questions, each a tuple in ``QUESTION_VARIES`` order in the driver's
    form; skips a dedupe key planned before. Returns how many went in."""
    constants = tuple(
        form.constant(_messages, name, value)
        for name, value in {**QUESTION_CONSTANTS, "created_at": utcnow()}.items()
    )
    connection = await session.connection()
    if form.dialect.name == "postgresql":
        columns = list(zip(*rows, strict=True))
        result = await connection.exec_driver_sql(
            _postgresql_questions(form.dialect), (*map(list, columns), *constants)
        )
    else:
        result = await connection.exec_driver_sql(
            _sqlite_questions(), [row + constants for row in rows]
        )
    return int(result.rowcount)


async def remove_unasked(session: AsyncSession, checkins: dict[str, int], *, planned: int) -> int:
    """Delete the new check-ins (by their question's dedupe key) whose question found its key
    taken (see the module doc); returns how many were deleted. Nothing to do (no statement)
    when every question went in."""
    if planned == len(checkins):
        return 0
    keys = list(checkins)
    asked: set[int | None] = set()
    for start in range(0, len(keys), SQLITE_ROWS):
        asked.update(
            await session.scalars(
                select(Message.checkin_id).where(
                    Message.dedupe_key.in_(keys[start : start + SQLITE_ROWS])
                )
            )
        )
    unasked = [checkin_id for checkin_id in checkins.values() if checkin_id not in asked]
    for start in range(0, len(unasked), SQLITE_ROWS):
        await session.execute(
            delete(Checkin)
            .where(Checkin.id.in_(bindparam("ids", unasked[start : start + SQLITE_ROWS])))
            .execution_options(synchronize_session=False)
        )
    return len(unasked)


# --- The statements, built from the tables' own columns -------------------------------------


def _sqlite_checkins(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?)"] * rows)
    return (
        f"INSERT INTO checkins ({', '.join(CHECKIN_COLUMNS)}) VALUES {values} "
        "RETURNING id, participant_id, scheduled_for"
    )


def _postgresql_checkins(dialect: Dialect) -> str:
    participant, scheduled = (_array_type(_checkins, name, dialect) for name in CHECKIN_COLUMNS[:2])
    status, created = (_scalar_type(_checkins, name, dialect) for name in CHECKIN_COLUMNS[2:])
    return (
        f"INSERT INTO checkins ({', '.join(CHECKIN_COLUMNS)}) "
        f"SELECT participant_id, scheduled_for, CAST($3 AS {status}), CAST($4 AS {created}) "
        f"FROM unnest(CAST($1 AS {participant}), CAST($2 AS {scheduled})) "
        "AS new (participant_id, scheduled_for) "
        "RETURNING id, participant_id, scheduled_for"
    )


def _sqlite_questions() -> str:
    names = [*QUESTION_VARIES, *QUESTION_CONSTANTS, "created_at"]
    return (
        f"INSERT INTO messages ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        "ON CONFLICT (dedupe_key) DO NOTHING"
    )


def _postgresql_questions(dialect: Dialect) -> str:
    arrays = ", ".join(
        f"CAST(${n} AS {_array_type(_messages, name, dialect)})"
        for n, name in enumerate(QUESTION_VARIES, start=1)
    )
    constant_names = [*QUESTION_CONSTANTS, "created_at"]
    constants = ", ".join(
        f"CAST(${n} AS {_scalar_type(_messages, name, dialect)})"
        for n, name in enumerate(constant_names, start=len(QUESTION_VARIES) + 1)
    )
    names = [*QUESTION_VARIES, *constant_names]
    return (
        f"INSERT INTO messages ({', '.join(names)}) "
        f"SELECT {', '.join(QUESTION_VARIES)}, {constants} "
        f"FROM unnest({arrays}) AS new ({', '.join(QUESTION_VARIES)}) "
        "ON CONFLICT (dedupe_key) DO NOTHING"
    )


def _scalar_type(table: Table, name: str, dialect: Dialect) -> str:
    return str(table.c[name].type.dialect_impl(dialect).compile(dialect=dialect))


def _array_type(table: Table, name: str, dialect: Dialect) -> str:
    return _scalar_type(table, name, dialect) + "[]"
