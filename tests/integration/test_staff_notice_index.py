"""The alert tick's digest window reads the notices sent to one staff member from an index.

"When was this mentor last sent an alert notice?" is asked for every recipient in every batch
of the alert tick, inside its write transaction. Over every message of the programme it took a
second per recipient at 100,000 participants on SQLite, and staff could not sign in meanwhile
("database is locked"); ``ix_messages_staff_notices`` holds only the messages to staff.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import load_settings
from bot.db import Database
from bot.models import Role, Staff
from bot.models.base import UTCDateTime
from schedules.alerting import _digest_window_over
from schedules.care_rules import CareRules
from tests.query_plans import plan_of

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

# Many messages to citizens, a few notices to staff member 1.
_FILL = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
    "INSERT INTO messages (direction, kind, body, status, due_at, send_after, attempts, "
    "escalation_step, expects_reply, urgent, created_at, staff_id) "
    "SELECT 'out', CASE WHEN i % 500 = 0 THEN 'alert' ELSE 'checkin' END, '', 'sent', :at, "
    ":at, 1, 0, false, false, :at, CASE WHEN i % 500 = 0 THEN :staff END FROM n"
).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("staff", type_=Integer()))


async def test_the_digest_window_reads_a_staff_members_notices_from_their_index(
    database: Database,
) -> None:
    async with database.session() as session:
        mentor = Staff(email="mia@example.dk", name="Mia Mentor", role=Role.MENTOR)
        session.add(mentor)
        await session.flush()
        await session.execute(_FILL, {"at": NOW - timedelta(minutes=10), "staff": mentor.id})
        await session.execute(text("ANALYZE"))
    rules = CareRules.from_settings(load_settings({"BROBYGGER_ALERT_DIGEST_WINDOW": "30m"}))
    assert rules.digest_window == timedelta(minutes=30)

    async def window_over(session: AsyncSession) -> object:
        return await _digest_window_over(session, mentor.id, NOW, rules)

    async with database.read() as session:
        assert await window_over(session) is False  # told 10 minutes ago: inside the window
    plan = await plan_of(database, window_over)
    assert "ix_messages_staff_notices" in plan, plan
