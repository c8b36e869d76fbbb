"""The planner tick: check-ins planned ahead within the horizon, re-planned, never doubled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import Checkin, CheckinStatus, Message, MessageKind, MessageStatus, Participant
from bot.outbox import suppress
from bot.services.care_plans import set_default_plan, set_plan_override
from bot.services.text_overrides import load_overrides, save_override
from schedules.care_rules import CareRules
from schedules.planner import PlannerRun, plan_checkins
from tests.integration.careplans.people import enrol, mark_sent, messages

# The clock fixture starts on Monday 12 January 2026, 08:00 in Copenhagen (07:00Z); release is
# three weeks later. 10:00 local is 09:00Z (winter time).
RELEASE = date(2026, 2, 2)


def utc(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


async def _checkins(database: Database) -> list[tuple[str | None, datetime | None, MessageStatus]]:
    return [
        (m.dedupe_key, m.due_at, m.status)
        for m in await messages(database, kind=MessageKind.CHECKIN)
    ]


async def test_check_ins_are_planned_ahead_within_the_horizon_once(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)

    first = await plan_checkins(database, clock, rules, catalogs)
    second = await plan_checkins(database, clock, rules, catalogs)

    assert (first, second) == (PlannerRun(planned=2), PlannerRun())
    # Days -21 and -14; day -7 (26 January, 10:00) lies beyond the 14-day horizon.
    assert await _checkins(database) == [
        (f"checkin:{participant_id}:2026-01-12", utc(1, 12), MessageStatus.PLANNED),
        (f"checkin:{participant_id}:2026-01-19", utc(1, 19), MessageStatus.PLANNED),
    ]
    [question, _] = await messages(database, kind=MessageKind.CHECKIN)
    assert question.body == "Hej Jonas. Hvordan går det, fra 1 (meget dårligt) til 5 (meget godt)?"
    assert question.expects_reply and question.deadline_at == utc(1, 13)
    async with database.read() as session:
        rows = list(await session.scalars(select(Checkin).order_by(Checkin.id)))
    assert [(c.id, c.scheduled_for, c.status) for c in rows] == [
        (question.checkin_id, utc(1, 12), CheckinStatus.PLANNED),
        (rows[1].id, utc(1, 19), CheckinStatus.PLANNED),
    ]


async def test_the_horizon_moves_with_the_clock(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    clock.advance(timedelta(days=7, hours=3))  # horizon now ends 2 February 11:00 local
    assert await plan_checkins(database, clock, rules, catalogs) == PlannerRun(planned=2)
    assert [due for _, due, _ in await _checkins(database)] == [
        utc(1, 12),
        utc(1, 19),
        utc(1, 26),
        utc(2, 2),
    ]


async def test_moving_the_release_date_re_plans_what_was_not_sent_and_keeps_the_log(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    clock.set(utc(1, 12, 10))
    await mark_sent(database, clock.now())  # the 12 January check-in went out

    async with database.session() as session:
        participant = await session.get(Participant, participant_id)
        assert participant is not None
        participant.release_date = date(2026, 2, 5)  # three days later
    run = await plan_checkins(database, clock, rules, catalogs)

    assert run == PlannerRun(planned=2, cancelled=1)
    key = f"checkin:{participant_id}"
    assert await _checkins(database) == [
        (f"{key}:2026-01-12", utc(1, 12), MessageStatus.SENT),
        (f"{key}:2026-01-19", utc(1, 19), MessageStatus.CANCELLED),
        (f"{key}:2026-01-15", utc(1, 15), MessageStatus.PLANNED),
        (f"{key}:2026-01-22", utc(1, 22), MessageStatus.PLANNED),
    ]
    async with database.read() as session:
        statuses = [c.status for c in await session.scalars(select(Checkin).order_by(Checkin.id))]
    assert statuses == [
        CheckinStatus.PLANNED,  # sent; the escalation tick marks it asked
        CheckinStatus.CANCELLED,
        CheckinStatus.PLANNED,
        CheckinStatus.PLANNED,
    ]


async def test_a_preferred_hour_moves_planned_check_ins_on_weekdays(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    async with database.session() as session:
        await set_plan_override(
            session,
            rules,
            participant_id=participant_id,
            override={"preferred": {"hour": 16, "weekdays_only": True}},
            now=clock.now(),
        )
    assert await plan_checkins(database, clock, rules, catalogs) == PlannerRun(moved=2)
    assert [due for _, due, _ in await _checkins(database)] == [utc(1, 12, 15), utc(1, 19, 15)]
    async with database.read() as session:
        times = [
            c.scheduled_for for c in await session.scalars(select(Checkin).order_by(Checkin.id))
        ]
    assert times == [utc(1, 12, 15), utc(1, 19, 15)]


async def test_pausing_cancels_planned_check_ins_and_resuming_plans_them_again(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)

    async def override(value: dict[str, object] | None) -> PlannerRun:
        async with database.session() as session:
            await set_plan_override(
                session, rules, participant_id=participant_id, override=value, now=clock.now()
            )
        return await plan_checkins(database, clock, rules, catalogs)

    assert await override({"paused": True}) == PlannerRun(cancelled=2)
    assert {status for _, _, status in await _checkins(database)} == {MessageStatus.CANCELLED}
    assert await override({"paused_until": "2026-01-15"}) == PlannerRun(planned=1)
    assert [s for _, _, s in await _checkins(database)] == [
        MessageStatus.CANCELLED,
        MessageStatus.PLANNED,
    ]
    assert await override(None) == PlannerRun(planned=1)
    assert len(await _checkins(database)) == 2  # the same two rows, never a third


async def test_an_edited_default_plan_applies_to_what_is_not_sent(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    async with database.session() as session:
        stored = await set_default_plan(
            session, rules, text="-21..0 every 2, 0..84 weekly", now=clock.now()
        )
    assert stored == "-21..0 every 2, 0..84 weekly"
    await plan_checkins(database, clock, rules, catalogs)
    planned = [
        key.rsplit(":", 1)[1]
        for key, _, status in await _checkins(database)
        if key and status is MessageStatus.PLANNED
    ]
    assert planned == [
        "2026-01-12",
        "2026-01-14",
        "2026-01-16",
        "2026-01-18",
        "2026-01-20",
        "2026-01-22",
        "2026-01-24",
    ]
    assert participant_id


async def test_no_consent_or_opting_out_means_no_check_ins(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    await enrol(database, now=clock.now(), release_date=RELEASE, consents=())
    opted = await enrol(database, now=clock.now(), release_date=RELEASE, name="Sara Holm")
    await plan_checkins(database, clock, rules, catalogs)
    async with database.session() as session:
        participant = await session.get(Participant, opted)
        assert participant is not None
        participant.opted_out_at = clock.now()
    assert await plan_checkins(database, clock, rules, catalogs) == PlannerRun(cancelled=2)
    assert {status for _, _, status in await _checkins(database)} == {MessageStatus.CANCELLED}


async def test_check_ins_suppressed_by_stop_are_planned_again_after_start(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    async with database.session() as session:  # what STOP does (the conversation service)
        participant = await session.get(Participant, participant_id)
        assert participant is not None
        participant.opted_out_at = clock.now()
        await suppress(
            session, Message.participant_id == participant_id, now=clock.now(), reason="opted out"
        )
    assert await plan_checkins(database, clock, rules, catalogs) == PlannerRun()
    async with database.session() as session:  # START
        participant = await session.get(Participant, participant_id)
        assert participant is not None
        participant.opted_out_at = None
    assert await plan_checkins(database, clock, rules, catalogs) == PlannerRun(planned=2)
    rows = await messages(database, kind=MessageKind.CHECKIN)
    assert [(m.status, m.error, m.finished_at) for m in rows] == [
        (MessageStatus.PLANNED, None, None)
    ] * 2


async def test_participants_are_planned_in_batches_and_bad_data_stops_only_its_owner(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    names = ("Jonas Kragh", "Sara Holm", "Ali Berg")
    people = [
        await enrol(database, now=clock.now(), release_date=RELEASE, name=name) for name in names
    ]
    async with database.session() as session:  # a stray check-in where Sara's first one goes
        session.add(
            Checkin(participant_id=people[1], scheduled_for=utc(1, 12), status=CheckinStatus.ASKED)
        )

    run = await plan_checkins(database, clock, rules, catalogs, batch_size=2)

    assert run == PlannerRun(planned=4)
    planned = {m.participant_id for m in await messages(database, kind=MessageKind.CHECKIN)}
    assert planned == {people[0], people[2]}  # Sara's batch-mate Jonas is planned all the same


async def test_an_own_plan_is_followed_whatever_the_release_date(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id = await enrol(database, now=clock.now(), release_date=date(2024, 1, 1))
    await enrol(database, now=clock.now(), release_date=date(2024, 1, 1), name="Sara Holm")
    async with database.session() as session:
        await set_plan_override(
            session,
            rules,
            participant_id=participant_id,
            override={"plan": "0..1200 weekly"},
            now=clock.now(),
        )

    assert await plan_checkins(database, clock, rules, catalogs) == PlannerRun(planned=2)
    # 1 January 2024 was a Monday, so weekly check-ins still fall on Mondays.
    assert [(key, due) for key, due, _ in await _checkins(database)] == [
        (f"checkin:{participant_id}:2026-01-12", utc(1, 12)),
        (f"checkin:{participant_id}:2026-01-19", utc(1, 19)),
    ]


async def test_planned_check_ins_take_the_wording_an_admin_saved_later(
    database: Database, rules: CareRules, clock: FakeClock
) -> None:
    catalogs = Catalogs.load()  # its own: the overrides must not reach other tests
    await enrol(database, now=clock.now(), release_date=RELEASE)
    await plan_checkins(database, clock, rules, catalogs)
    clock.set(utc(1, 12, 10))
    await mark_sent(database, clock.now())  # the first check-in went out in the old wording
    async with database.session() as session:
        await save_override(
            session,
            catalogs,
            name="CHECKIN_QUESTION",
            language="da",
            text="Hej {name}! Hvordan har du det i dag, fra 1 til 5?",
            staff_id=None,
            now=clock.now(),
        )
    await load_overrides(database, catalogs)

    await plan_checkins(database, clock, rules, catalogs)

    # 12 January went out; 19 January was planned before the change, 26 January after it.
    sent, *planned = await messages(database, kind=MessageKind.CHECKIN)
    assert [m.due_at for m in planned] == [utc(1, 19), utc(1, 26)]
    assert sent.status is MessageStatus.SENT
    assert sent.body == "Hej Jonas. Hvordan går det, fra 1 (meget dårligt) til 5 (meget godt)?"
    assert [(m.status, m.body) for m in planned] == 2 * [
        (MessageStatus.PLANNED, "Hej Jonas! Hvordan har du det i dag, fra 1 til 5?")
    ]
