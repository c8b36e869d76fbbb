"""New check-ins written through the database driver: a ``Checkin`` row and its question each.

The planner's one bulk write (``schedules.checkin_rows``): after a plan change the whole
programme's check-ins are hundreds of thousands of rows. Through SQLAlchemy's insert each of
them cost more CPU than the database spent storing it: six instants and a body per check-in,
each through its column type one value at a time, and a Fernet encryption per row. Here:

1. Every value is put in the driver's own form by its column's own bind processor
   (``bot.driver_rows``: so a row holds exactly what the models would have written), and each
   distinct value once per batch: a batch's check-ins share a few dozen instants, one creation
   time and one text per participant (``CheckinValues``).
2. The rows go in two statements for the whole batch (``bot.driver_rows``): the check-ins,
   whose ids come back by ``RETURNING``, then their questions.
3. A question goes in with ``ON CONFLICT (dedupe_key) DO NOTHING``, like every outbox row
   (``bot.outbox``). Two planners at once (two workers on PostgreSQL) read the same "nothing
   planned yet": the second one's check-in rows wait for the first's and then fail on the
   unique (participant, time) (its batch is retried one participant at a time and finds them
   planned), or, if the plan changed between their reads (same day, another hour), its
   questions find the keys taken: the check-in rows it inserted for those are deleted again,
   so no check-in is left without its question (the next tick moves the first planner's).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.driver_rows import DriverValues, insert_returning, insert_rows
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

# Dedupe keys or ids per IN (...) list.
IN_LIST = 2_000

# What every new check-in question has in common (what ``bot.outbox.Planned.row`` would give
# it); the columns not named here or in ``QUESTION_COLUMNS`` stay NULL.
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
# A question's own values, in this order (``insert_questions``).
QUESTION_COLUMNS = (
    "body",
    "due_at",
    "send_after",
    "deadline_at",
    "dedupe_key",
    "participant_id",
    "language",
    "checkin_id",
)


class CheckinValues:
    """One batch's values in the driver's form, each distinct one converted once."""

    def __init__(self, dialect: Dialect) -> None:
        self.messages = DriverValues(_messages, dialect)
        self.checkins = DriverValues(_checkins, dialect)
        self.instant = self.messages.memoized("due_at")
        self._text = self.messages.processor("body")
        self._texts: dict[str, Any] = {}

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


async def insert_checkins(
    session: AsyncSession, values: CheckinValues, rows: Sequence[tuple[int, datetime]]
) -> dict[tuple[int, Any], int]:
    """Insert planned ``Checkin`` rows (participant, instant); their ids by (participant, the
    instant in the driver's form). The ids are matched by that pair, which is unique."""
    returned = await insert_returning(
        session,
        values.checkins,
        ("participant_id", "scheduled_for"),
        [(participant_id, values.instant(instant)) for participant_id, instant in rows],
        constants={"status": CheckinStatus.PLANNED, "created_at": utcnow()},
        returning=("id", "participant_id", "scheduled_for"),
    )
    return {(participant_id, at): checkin_id for checkin_id, participant_id, at in returned}


async def insert_questions(
    session: AsyncSession, values: CheckinValues, rows: Sequence[tuple[Any, ...]]
) -> int:
    """Insert check-in questions, each a tuple in ``QUESTION_COLUMNS`` order in the driver's
    form; skips a dedupe key planned before. Returns how many went in."""
    return await insert_rows(
        session,
        values.messages,
        QUESTION_COLUMNS,
        rows,
        constants={**QUESTION_CONSTANTS, "created_at": utcnow()},
        suffix="ON CONFLICT (dedupe_key) DO NOTHING",
    )


async def remove_unasked(session: AsyncSession, checkins: dict[str, int], *, planned: int) -> int:
    """Delete the new check-ins (by their question's dedupe key) whose question found its key
    taken (see the module doc); returns how many were deleted. Nothing to do (no statement)
    when every question went in."""
    if planned == len(checkins):
        return 0
    keys = list(checkins)
    asked: set[int | None] = set()
    for start in range(0, len(keys), IN_LIST):
        asked.update(
            await session.scalars(
                select(Message.checkin_id).where(
                    Message.dedupe_key.in_(keys[start : start + IN_LIST])
                )
            )
        )
    unasked = [checkin_id for checkin_id in checkins.values() if checkin_id not in asked]
    for start in range(0, len(unasked), IN_LIST):
        await session.execute(
            delete(Checkin)
            .where(Checkin.id.in_(bindparam("ids", unasked[start : start + IN_LIST])))
            .execution_options(synchronize_session=False)
        )
    return len(unasked)
