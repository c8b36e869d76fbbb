"""The database behaves the same on SQLite and PostgreSQL: UTC instants, constraints, locking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.db import Database
from bot.errors import DatabaseError
from bot.models import Participant, Site, SiteKind

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


async def test_instants_come_back_as_the_same_aware_utc_instant(database: Database) -> None:
    summer_evening = datetime(2026, 7, 1, 23, 30, tzinfo=COPENHAGEN)
    async with database.session() as session:
        session.add(
            Site(kind=SiteKind.PRISON, name="Statsfængslet Nordby", created_at=summer_evening)
        )
    async with database.read() as session:
        stored = await session.scalar(select(Site.created_at))
    assert stored == summer_evening
    assert stored is not None and stored.tzinfo is UTC
    assert stored == datetime(2026, 7, 1, 21, 30, tzinfo=UTC)


async def test_comparisons_on_instants_agree_across_offsets(database: Database) -> None:
    base = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the night the clocks go back
    async with database.session() as session:
        for minutes in range(0, 240, 30):
            instant = (base + timedelta(minutes=minutes)).astimezone(COPENHAGEN)
            session.add(Site(kind=SiteKind.PRISON, name=f"Site {minutes}", created_at=instant))
    cutoff = datetime(2026, 10, 25, 2, 30, tzinfo=COPENHAGEN)  # ambiguous local time, fold=0
    async with database.read() as session:
        earlier = await session.scalars(
            select(Site.name).where(Site.created_at < cutoff).order_by(Site.created_at)
        )
        names = list(earlier)
    # 02:30 CEST (fold=0) is 00:30Z: nothing stored is earlier.
    assert names == []


async def test_a_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.session() as session:
            session.add(
                Site(
                    kind=SiteKind.JOBCENTRE, name="Jobcenter Vest", created_at=datetime(2026, 1, 1)
                )
            )


async def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(Participant(name="Kasper Testesen", prison_id=9999))


async def test_a_failed_unit_of_work_writes_nothing(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(Site(kind=SiteKind.PRISON, name="Site A"))
            await session.flush()
            session.add(Participant(name="Mette Prøvesen", jobcentre_id=424242))
    async with database.read() as session:
        assert await session.scalar(select(Site.id)) is None


async def test_concurrent_read_then_write_units_do_not_deadlock(database: Database) -> None:
    """The classic SQLite failure: two deferred transactions both read, then both try to write."""

    async def read_then_write(number: int) -> None:
        async with database.session() as session:
            await session.scalar(select(Site.id).limit(1))
            await asyncio.sleep(0.01)
            session.add(Site(kind=SiteKind.PRISON, name=f"Concurrent {number}"))

    await asyncio.gather(*(read_then_write(n) for n in range(8)))
    async with database.read() as session:
        count = await session.scalar(text("SELECT count(*) FROM sites"))
    assert count == 8


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    async with database.read() as session:
        assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await session.scalar(text("PRAGMA foreign_keys")) == 1
        assert await session.scalar(text("PRAGMA busy_timeout")) == 30_000
        assert await session.scalar(text("PRAGMA synchronous")) == 2  # FULL
    await database.dispose()


_FILLER = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
    "INSERT INTO filler SELECT randomblob(8000) FROM n"
)


@pytest.mark.parametrize("unit_of_work", ["durable", "not durable", "on a connection"])
async def test_sqlite_commits_leave_the_wal_checkpoint_to_the_background(
    tmp_path: Path, unit_of_work: str
) -> None:
    """A commit of 2,000 pages (twice SQLite's own checkpoint threshold) only appends to the
    WAL; the pages reach the database file in a checkpoint that follows it, whichever kind of
    unit of work wrote them (the inbound group commit keeps a session on one connection)."""
    path = tmp_path / "wal.db"
    database = Database(f"sqlite+aiosqlite:///{path}", checkpoint_interval=0)
    at_commit: list[int] = []

    def size_at_commit(_session: Session) -> None:  # runs before anything else can
        at_commit.append(path.stat().st_size)

    try:
        async with database.session() as session:
            await session.execute(text("CREATE TABLE filler (data BLOB)"))
        await database.checkpointed()
        before = path.stat().st_size
        event.listen(Session, "after_commit", size_at_commit)

        if unit_of_work == "on a connection":
            async with database.engine.connect() as connection:
                session = AsyncSession(bind=connection)
                async with session, session.begin():
                    await session.execute(_FILLER)
        else:
            async with database.session(durable=unit_of_work == "durable") as session:
                await session.execute(_FILLER)
        await database.checkpointed()

        assert at_commit == [before]
        assert path.stat().st_size > before + 8_000_000
    finally:
        event.remove(Session, "after_commit", size_at_commit)
        await database.dispose()


async def test_sqlite_syncs_every_commit_but_those_asked_not_to(tmp_path: Path) -> None:
    """``durable=False`` (the planner's batches): synchronous NORMAL for that unit of work
    only; the connection's next unit of work syncs its commit again."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sync.db'}")
    synchronous = text("PRAGMA synchronous")
    try:
        async with database.session(durable=False) as session:
            relaxed = await session.scalar(synchronous)
        async with database.session() as session:
            durable = await session.scalar(synchronous)
    finally:
        await database.dispose()
    assert (relaxed, durable) == (1, 2)  # NORMAL, FULL


def test_a_database_file_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="folder for the database file does not exist"):
        Database(f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
