"""The indexes of sent messages hold only sent ones, and their queries still walk them.

A message planned (the planner writes the whole programme's check-ins ahead) or cancelled before
it went (a meeting moved) is not in ``ix_messages_provider``, ``ix_messages_checkins_sent`` or
``ix_messages_questions_sent``: fewer index entries for every such write. Every query of theirs
compares the column the index leaves out the NULLs of, so both engines still use them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, inspect, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.models import Participant
from bot.models.base import UTCDateTime
from bot.services.delivery_status import record_provider_status
from bot.services.statistics import status_report
from tests.query_plans import plans_of

START = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = 4_000
PARTICIPANTS = 100

# A programme's shape: many sent check-ins (answered), many planned ones ahead.
_FILL = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    "INSERT INTO messages (direction, kind, body, status, due_at, send_after, sent_at, "
    "answered_at, provider_id, attempts, escalation_step, expects_reply, urgent, created_at, "
    "participant_id) "
    "SELECT 'out', 'checkin', '', :status, :at, :at, :sent, :sent, "
    "CASE WHEN :sent IS NULL THEN NULL ELSE 'SM' || i END, 1, 0, true, false, :at, "
    "1 + i % :participants FROM n"
).bindparams(
    bindparam("at", type_=UTCDateTime()),
    bindparam("sent", type_=UTCDateTime()),
)


async def _fill(database: Database) -> None:
    async with database.session() as session:
        for n in range(PARTICIPANTS):
            participant = Participant(name=f"Deltager {n}", enrolled_at=START - timedelta(days=9))
            session.add(participant)
        await session.flush()
        for month, status in ((0, "delivered"), (1, "delivered"), (3, "planned")):
            at = START + timedelta(days=31 * month)
            sent = at if status == "delivered" else None
            rows = {"count": ROWS, "participants": PARTICIPANTS}
            await session.execute(_FILL, {**rows, "status": status, "at": at, "sent": sent})
        await session.execute(text("ANALYZE"))


async def test_the_indexes_of_sent_messages_leave_out_the_unsent(database: Database) -> None:
    async with database.engine.connect() as connection:
        indexes = await connection.run_sync(lambda sync: inspect(sync).get_indexes("messages"))
    where = {
        index["name"]: str(next(iter(index.get("dialect_options", {}).values()), ""))
        for index in indexes
    }
    assert "provider_id IS NOT NULL" in where["ix_messages_provider"]
    assert "sent_at IS NOT NULL" in where["ix_messages_checkins_sent"]
    assert "sent_at IS NOT NULL" in where["ix_messages_questions_sent"]


async def test_the_statistics_count_sent_messages_from_their_indexes(database: Database) -> None:
    await _fill(database)

    async def report(session: AsyncSession) -> object:
        return await status_report(session, true(), START, START + timedelta(days=31))

    plans = await plans_of(database, report)

    assert plans, "the report sent no statement on messages"
    for plan in plans:
        assert "ix_messages_checkins_sent" in plan or "ix_messages_questions_sent" in plan, plan
        assert "Seq Scan on messages" not in plan and "SCAN messages" not in plan, plan


async def test_a_status_callback_finds_its_message_by_the_provider_index(
    database: Database,
) -> None:
    await _fill(database)

    async def callback(session: AsyncSession) -> object:
        return await record_provider_status(
            session, provider_id="SM17", provider_status="delivered", now=START
        )

    [plan] = await plans_of(database, callback)

    assert "ix_messages_provider" in plan, plan
