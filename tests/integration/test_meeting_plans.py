"""Moving or cancelling meetings finds their messages by ``ix_messages_appointment_id``.

SQLite in a running service has no ``ANALYZE`` statistics, and without them it took "still
planned" (or "a question") for the selective condition: moving 1,000 meetings walked every
planned message of the programme, 15 s at 100,000 participants (bench.planning). PostgreSQL
plans by its statistics, gathered here as autovacuum would, and must not scan the table.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.services.appointments import withdraw_pending
from tests.integration.test_claim_plans import fill_like_a_programme
from tests.query_plans import plans_of

MEETING_INDEX = "ix_messages_appointment_id"


async def test_withdrawing_meetings_messages_walks_the_meeting_index(database: Database, clock):
    if not database.is_sqlite:
        await fill_like_a_programme(database, clock.now())

    async def withdraw(session: AsyncSession) -> None:
        await withdraw_pending(session, list(range(1, 501)), clock.now())

    plans = await plans_of(database, withdraw)

    # The planned ones cancelled, then the ladders of unanswered questions stopped.
    assert len(plans) == 2
    for plan in plans:
        if database.is_sqlite:
            assert MEETING_INDEX in plan, plan
        else:
            # PostgreSQL picks by its statistics (here: no question at all, so the questions'
            # index is as good); what matters is that it reads no row it does not need.
            assert "Seq Scan" not in plan, plan
