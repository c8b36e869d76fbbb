"""The overview's lists read their rows in order from an index, at most ``LIMIT`` of them.

``participants.last_heard_at`` (when they last wrote to us) belongs to the database (a trigger
on ``messages``, migration 0012): every inbound row moves it forward, whoever writes the row;
nothing moves it back. The quiet list reads it; the alerts list reads the unacknowledged alerts
newest first from ``ix_alerts_unacknowledged``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, insert, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.models import (
    Alert,
    AlertReason,
    ChannelKind,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
)
from bot.models.base import UTCDateTime
from bot.services.overview import LIMIT, open_alerts, quiet_participants
from tests.query_plans import plans_of

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def _write(
    database: Database, participant_id: int, direction: Direction, at: datetime
) -> None:
    async with database.session() as session:
        session.add(
            Message(
                direction=direction,
                participant_id=participant_id,
                channel=ChannelKind.SMS,
                kind=MessageKind.INBOUND if direction is Direction.IN else MessageKind.CHECKIN,
                body="hej",
                status=MessageStatus.RECEIVED if direction is Direction.IN else MessageStatus.SENT,
                received_at=at if direction is Direction.IN else None,
                sent_at=at if direction is Direction.OUT else None,
            )
        )


async def _last_heard(database: Database, participant_id: int) -> datetime | None:
    async with database.read() as session:
        return await session.scalar(
            select(Participant.last_heard_at).where(Participant.id == participant_id)
        )


async def test_an_inbound_message_moves_last_heard_forward_and_nothing_moves_it_back(
    database: Database,
) -> None:
    async with database.session() as session:
        ole = Participant(name="Ole Olsen", enrolled_at=NOW - timedelta(days=60))
        other = Participant(name="Bo Berg", enrolled_at=NOW - timedelta(days=60))
        session.add_all([ole, other])
    assert await _last_heard(database, ole.id) is None

    await _write(database, ole.id, Direction.IN, NOW - timedelta(days=10))
    assert await _last_heard(database, ole.id) == NOW - timedelta(days=10)

    # A message to them is not hearing from them; a late row (a provider's retry) is older.
    await _write(database, ole.id, Direction.OUT, NOW - timedelta(days=1))
    await _write(database, ole.id, Direction.IN, NOW - timedelta(days=20))
    assert await _last_heard(database, ole.id) == NOW - timedelta(days=10)

    await _write(database, ole.id, Direction.IN, NOW - timedelta(hours=1))
    assert await _last_heard(database, ole.id) == NOW - timedelta(hours=1)
    assert await _last_heard(database, other.id) is None


_PEOPLE = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
    "INSERT INTO participants (id, name, language, status, enrolled_at, last_heard_at, "
    "created_at, updated_at) "
    "SELECT i, 'Deltager ' || i, 'da', CASE WHEN i % 5 = 0 THEN 'closed' ELSE 'active' END, "
    ":enrolled, CASE WHEN i % 101 = 0 THEN NULL WHEN i % 7 = 0 THEN :enrolled ELSE :recent END, "
    ":enrolled, :enrolled FROM n"
).bindparams(bindparam("enrolled", type_=UTCDateTime()), bindparam("recent", type_=UTCDateTime()))


async def test_the_quiet_list_reads_the_participants_in_order_of_silence(
    database: Database,
) -> None:
    """Never heard from first, then the longest silent, at most ``LIMIT``, from the index."""
    enrolled = NOW - timedelta(days=90)
    async with database.session() as session:
        # Every 5th closed; every 101st never heard from; every 7th silent since enrolment; the
        # rest heard from yesterday.
        await session.execute(_PEOPLE, {"enrolled": enrolled, "recent": NOW - timedelta(days=1)})
        await session.execute(text("ANALYZE"))

    async def quiet(session: AsyncSession) -> object:
        return await quiet_participants(session, true(), NOW - timedelta(days=7))

    async with database.read() as session:
        listed = await quiet_participants(session, true(), NOW - timedelta(days=7))

    never = [i for i in range(1, 3001) if i % 101 == 0 and i % 5 != 0]
    assert [row.participant_id for row in listed[: len(never)]] == never
    assert all(row.last_heard is None for row in listed[: len(never)])
    silent = listed[len(never) :]
    assert len(listed) == LIMIT  # there are more silent ones than the page shows
    for row in silent:
        assert row.last_heard == enrolled
        assert row.participant_id % 7 == 0 and row.participant_id % 5 != 0

    plans = await plans_of(database, quiet, table="participants")
    assert len(plans) == 2
    for plan in plans:
        assert "ix_participants_status_last_heard" in plan, plan


async def test_open_alerts_come_unacknowledged_first_newest_first(database: Database) -> None:
    """3,000 alerts raised a minute apart, about 3,000 participants: every 3rd resolved (not
    listed), every 20th of the rest acknowledged (listed after the others)."""
    start = NOW - timedelta(days=30)
    async with database.session() as session:
        await session.execute(_PEOPLE, {"enrolled": NOW - timedelta(days=90), "recent": NOW})
        await session.execute(
            insert(Alert),
            [
                {
                    "participant_id": 1 + i % 3000,
                    "reason": AlertReason.NO_REPLY,
                    "dedupe_key": f"test:{i}",
                    "created_at": start + timedelta(minutes=i),
                    "acknowledged_at": NOW if i % 20 == 0 else None,
                    "resolved_at": NOW if i % 3 == 0 else None,
                }
                for i in range(1, 3001)
            ],
        )
        await session.execute(text("ANALYZE"))

    async with database.read() as session:
        listed = await open_alerts(session, true())
    raised = [int(row.created_at.timestamp() - start.timestamp()) // 60 for row in listed]
    assert raised == sorted((i for i in range(1, 3001) if i % 3 and i % 20), reverse=True)[:LIMIT]

    async def alerts(session: AsyncSession) -> object:
        return await open_alerts(session, true())

    (plan,) = await plans_of(database, alerts, table="alerts")
    assert "ix_alerts_unacknowledged" in plan, plan

    # Fewer unacknowledged than the page shows: the acknowledged ones fill it, newest first.
    async with database.session() as session:
        await session.execute(
            update(Alert)
            .where(
                Alert.acknowledged_at.is_(None), Alert.created_at > start + timedelta(minutes=50)
            )
            .values(resolved_at=NOW)
        )
    async with database.read() as session:
        listed = await open_alerts(session, true())
    raised = [int(row.created_at.timestamp() - start.timestamp()) // 60 for row in listed]
    unacknowledged = [i for i in range(50, 0, -1) if i % 3 and i % 20]
    acknowledged = [i for i in range(3000, 0, -1) if i % 3 and not i % 20]
    assert raised == unacknowledged + acknowledged
    assert [row.acknowledged_at is None for row in listed] == [True] * len(unacknowledged) + [
        False
    ] * len(acknowledged)
