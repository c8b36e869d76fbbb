"""Ticks that work through a backlog in short units of work, in id order.

After an outage at national scale a tick may owe work on hundreds of thousands of rows (overdue
questions, alerts). Taken in one unit of work, SQLite's write lock was held for over 20 minutes
and every page that writes failed meanwhile. Taken ``size`` rows per unit of work, the lock is
held for a fraction of a second at a time, and what one batch did stays done if a later one
fails. The next batch starts after the last id of the one before, so a row the work leaves as
it was (not due yet, say) is not read again in the same tick.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database

# Rows per unit of work: each batch holds SQLite's write lock for milliseconds.
BATCH = 200


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=_HasId)


async def in_batches(
    database: Database,
    page: Callable[[int, int], Select[Row]],
    work: Callable[[AsyncSession, list[Row]], Awaitable[None]],
    *,
    size: int = BATCH,
) -> None:
    """Run ``work`` on every row of ``page(after_id, limit)``, ``size`` rows per unit of work.

    ``page`` selects ORM objects with an ``id`` in id order, after ``after_id``, at most
    ``limit`` of them.
    """
    after_id = 0
    while True:
        async with database.session() as session:
            rows = list(await session.scalars(page(after_id, size)))
            if rows:
                await work(session, rows)
        if len(rows) < size:
            return
        after_id = rows[-1].id
