"""The planner's rows: written through the driver, read like any other, and never doubled or
orphaned when two planners run at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import Checkin, CheckinStatus, MessageKind, ReplyChoices
from bot.outbox import Planned, plan
from bot.services.care_plans import set_plan_override
from schedules.care_rules import CareRules
from schedules.planner import PlannerRun, plan_checkins, replan_participants
from tests.integration.careplans.people import enrol, messages

RELEASE = date(2026, 2, 2)  # three weeks after the clock fixture's Monday 12 January
# Values that differ between any two rows, or are the ciphertext of the same text.
OWN = {"id", "dedupe_key", "body", "created_at", "checkin_id", "scheduled_for"}


async def _raw(database: Database, table: str, row_id: int) -> dict[str, object]:
    """A row as the driver returns it: the stored form, not the model's."""
    async with database.read() as session:
        row = (await session.execute(text(f"SELECT * FROM {table} WHERE id = {row_id}"))).one()
    return dict(row._mapping)


async def test_planned_check_ins_are_stored_as_the_models_store_them(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    planned, _ = await messages(database, kind=MessageKind.CHECKIN)
    assert planned.checkin_id is not None and planned.due_at is not None
    async with database.session() as session:  # the same check-in, the models' way
        checkin = Checkin(
            participant_id=participant_id,
            scheduled_for=datetime(2026, 3, 2, 9, tzinfo=UTC),
            status=CheckinStatus.PLANNED,
        )
        session.add(checkin)
        await session.flush()
        question = await plan(
            session,
            Planned(
                kind=MessageKind.CHECKIN,
                body=planned.body,
                due_at=planned.due_at,
                dedupe_key="the models' way",
                participant_id=participant_id,
                language=planned.language,
                choices=ReplyChoices.SCORE,
                expects_reply=True,
                deadline_at=planned.deadline_at,
                checkin_id=checkin.id,
            ),
        )
    assert question is not None

    ours, theirs = (
        await _raw(database, "messages", planned.id),
        await _raw(database, "messages", question),
    )
    assert {k: v for k, v in ours.items() if k not in OWN} == {
        k: v for k, v in theirs.items() if k not in OWN
    }
    assert type(ours["created_at"]) is type(theirs["created_at"])
    [again] = await messages(database, id=planned.id)
    assert (again.body, again.created_at.tzinfo) == (planned.body, UTC)
    ours, theirs = (
        await _raw(database, "checkins", planned.checkin_id),
        await _raw(database, "checkins", checkin.id),
    )
    assert {k: v for k, v in ours.items() if k not in OWN} == {
        k: v for k, v in theirs.items() if k not in OWN
    }
    for column in ("scheduled_for", "created_at"):
        assert type(ours[column]) is type(theirs[column])
        assert len(str(ours[column])) == len(str(theirs[column]))  # SQLite: the same text form


async def _waiting_for_a_lock(database: Database) -> None:
    """Until another PostgreSQL session waits for a lock (the second planner, on the first's
    rows)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    for _ in range(1_000):
        async with database.read() as session:
            if await session.scalar(query):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the second planner never waited for the first one's rows")


async def test_two_planners_at_once_leave_each_check_in_once_with_its_question(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    """The first plans 10:00; an admin sets 16:00 before it commits; the second reads 16:00
    (same days, so the same dedupe keys) and finds the keys taken: its check-in rows for them
    must go again, or the next tick could not move the first one's to 16:00."""
    if database.is_sqlite:
        pytest.skip("SQLite has one writer at a time: a second planner reads what the first wrote")
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    second = Database(database.url)
    try:
        async with database.session() as first:
            run = await replan_participants(
                first, [participant_id], now=clock.now(), rules=rules, catalogs=catalogs
            )
            assert run == PlannerRun(planned=2)
            async with second.session() as admin:
                await set_plan_override(
                    admin,
                    rules,
                    participant_id=participant_id,
                    override={"preferred": {"hour": 16}},
                    now=clock.now(),
                )
            racing = asyncio.create_task(plan_checkins(second, clock, rules, catalogs))
            await _waiting_for_a_lock(database)
        await racing
    finally:
        await second.dispose()

    await plan_checkins(database, clock, rules, catalogs)  # the next tick
    async with database.read() as session:
        checkins = {c.id: c.scheduled_for for c in await session.scalars(select(Checkin))}
    questions = await messages(database, kind=MessageKind.CHECKIN)
    at_four = [datetime(2026, 1, 12, 15, tzinfo=UTC), datetime(2026, 1, 19, 15, tzinfo=UTC)]
    assert [(m.dedupe_key, m.due_at) for m in questions] == [
        (f"checkin:{participant_id}:2026-01-12", at_four[0]),
        (f"checkin:{participant_id}:2026-01-19", at_four[1]),
    ]
    assert {m.checkin_id: m.due_at for m in questions} == checkins  # none without its question
