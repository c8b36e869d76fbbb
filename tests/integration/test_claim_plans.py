"""The dispatcher's hot queries walk ``ix_messages_status_send_after`` on both engines.

The table is shaped the way a programme's is: many messages sent in the past, many planned for
later, none due, and statistics gathered (``ANALYZE``, as autovacuum does on PostgreSQL). Then
the statements ``has_work`` (every idle tick) and ``claim_due`` really send are EXPLAINed; a scan
of the whole table here would cost every idle tick a read of every row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.models.base import UTCDateTime
from schedules.claims import claim_due, has_work
from tests.query_plans import plan_of

CLAIM_INDEX = "ix_messages_status_send_after"
ROWS_EACH = 5_000

_FILL = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    "INSERT INTO messages (direction, kind, body, status, due_at, send_after, attempts, "
    "escalation_step, expects_reply, urgent, created_at) "
    "SELECT 'out', 'checkin', '', :status, :at, :at, 1, 0, false, false, :at FROM n"
).bindparams(bindparam("at", type_=UTCDateTime()))


async def fill_like_a_programme(database: Database, now: Any) -> None:
    async with database.session() as session:
        for status, at in (
            ("delivered", now - timedelta(days=3)),
            ("planned", now + timedelta(days=3)),
        ):
            await session.execute(_FILL, {"count": ROWS_EACH, "status": status, "at": at})
        await session.execute(text("ANALYZE"))


@pytest.mark.parametrize("urgent_only", [False, True])
async def test_the_idle_probe_walks_the_index_when_nothing_is_due(database, clock, urgent_only):
    await fill_like_a_programme(database, clock.now())

    async def probe(session: AsyncSession) -> object:
        return await has_work(session, now=clock.now(), urgent_only=urgent_only)

    plan = await plan_of(database, probe)

    assert CLAIM_INDEX in plan
    assert "Seq Scan" not in plan and "SCAN messages" not in plan, plan


async def test_the_claim_walks_the_index(database, clock):
    await fill_like_a_programme(database, clock.now())

    async def claim(session: AsyncSession) -> object:
        lease = timedelta(minutes=2)
        return await claim_due(session, now=clock.now(), limit=500, lease=lease, urgent_only=False)

    plan = await plan_of(database, claim)

    assert CLAIM_INDEX in plan
    assert "Seq Scan" not in plan and "SCAN messages" not in plan, plan
