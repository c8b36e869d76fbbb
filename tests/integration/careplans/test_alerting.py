"""Alert notices: the mentor is told on their own channel, in digests, and the consultant later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, select, update

from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Alert,
    AlertReason,
    ChannelKind,
    Message,
    MessageKind,
    MessageStatus,
    ReplyChoices,
    Role,
)
from bot.services.alerts import acknowledge_alert, raise_alert
from schedules.alerting import AlertingRun, notify_alerts
from schedules.care_rules import CareRules
from schedules.planner import plan_checkins
from tests.integration.careplans.people import add_staff, enrol, messages

MORNING = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # Monday 10:00 local


async def _team(
    database: Database, clock: FakeClock, *, mentor: bool = True
) -> tuple[int, int, int]:
    mentor_id = (
        await add_staff(database, name="Mette Lund", role=Role.MENTOR, telegram="7001")
        if mentor
        else None
    )
    consultant_id = await add_staff(
        database, name="Karim Nielsen", role=Role.CONSULTANT, phone="+4530000002"
    )
    participant_id = await enrol(
        database,
        now=clock.now(),
        release_date=date(2026, 2, 2),
        mentor_id=mentor_id,
        consultant_id=consultant_id,
    )
    return participant_id, mentor_id or 0, consultant_id


async def _raise(
    database: Database, participant_id: int, reason: AlertReason, now: datetime, key: str
) -> int:
    async with database.session() as session:
        alert_id = await raise_alert(
            session, participant_id=participant_id, reason=reason, dedupe_key=key, now=now
        )
    assert alert_id is not None
    return alert_id


async def _every_message_ends(
    database: Database, participant_id: int, status: MessageStatus, error: str, clock: FakeClock
) -> None:
    """What the dispatcher records when every message to the citizen ends this way."""
    async with database.session() as session:
        await session.execute(
            update(Message)
            .where(Message.participant_id == participant_id)
            .values(status=status, error=error, finished_at=clock.now())
        )


async def test_one_alert_goes_to_the_mentor_on_telegram_with_a_button(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MORNING)
    participant_id, mentor_id, _ = await _team(database, clock)
    alert_id = await _raise(
        database, participant_id, AlertReason.WORRYING_REPLY, clock.now(), "w:1"
    )

    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun(notices=1)
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()

    [notice] = await messages(database, staff_id=mentor_id)
    assert (notice.kind, notice.channel, notice.address, notice.choices, notice.alert_id) == (
        MessageKind.ALERT,
        ChannelKind.TELEGRAM,
        "7001",
        ReplyChoices.ACK,
        alert_id,
    )
    assert notice.body == (
        f"Jonas Kragh har skrevet en besked, der kan være bekymrende. Læs den på dashboardet. "
        f"Svar OK {alert_id} når du har det."
    )
    assert notice.due_at == clock.now() and not notice.urgent
    async with database.read() as session:
        alert = await session.get(Alert, alert_id)
    assert alert is not None and (alert.notified_staff_id, alert.notified_at) == (
        mentor_id,
        clock.now(),
    )


async def test_alerts_within_the_window_arrive_as_one_digest(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MORNING)
    participant_id, mentor_id, _ = await _team(database, clock)
    first = await _raise(database, participant_id, AlertReason.LOW_SCORE, clock.now(), "a:1")
    await notify_alerts(database, clock, rules, catalogs)
    clock.advance(timedelta(minutes=2))
    second = await _raise(database, participant_id, AlertReason.WORRYING_REPLY, clock.now(), "a:2")
    clock.advance(timedelta(minutes=3))
    third = await _raise(database, participant_id, AlertReason.NO_REPLY, clock.now(), "a:3")
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()  # held

    clock.set(MORNING + timedelta(minutes=10))
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun(notices=1)
    notices = await messages(database, staff_id=mentor_id)
    assert [(m.kind, m.due_at) for m in notices] == [
        (MessageKind.ALERT, MORNING),
        (MessageKind.ALERT_DIGEST, MORNING + timedelta(minutes=10)),
    ]
    assert f"Svar OK {first}" in notices[0].body
    assert notices[1].body.splitlines() == [
        "Nye advarsler: 2",
        f"- Jonas Kragh: bekymrende besked (OK {second})",
        f"- Jonas Kragh: svarer ikke (OK {third})",
    ]


async def test_an_unacknowledged_alert_goes_to_the_consultant_once(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MORNING)
    participant_id, mentor_id, consultant_id = await _team(database, clock)
    taken = await _raise(database, participant_id, AlertReason.LOW_SCORE, clock.now(), "a:1")
    ignored = await _raise(database, participant_id, AlertReason.MISSED_MEETING, clock.now(), "a:2")
    await notify_alerts(database, clock, rules, catalogs)
    async with database.session() as session:
        assert await acknowledge_alert(session, alert_id=taken, staff_id=mentor_id, now=clock.now())

    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()
    clock.advance(timedelta(seconds=1))
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun(escalated=1)
    clock.advance(timedelta(days=2))
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()

    [escalation] = await messages(database, staff_id=consultant_id)
    assert (escalation.kind, escalation.channel, escalation.address, escalation.alert_id) == (
        MessageKind.ALERT,
        ChannelKind.SMS,
        "+4530000002",
        ignored,
    )
    assert escalation.body == (
        f"Mette Lund har ikke taget advarslen om Jonas Kragh: kom ikke til et møde. "
        f"Svar OK {ignored} når du har det."
    )


async def test_without_a_mentor_the_consultant_is_told_at_once_and_only_once(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MORNING)
    participant_id, _, consultant_id = await _team(database, clock, mentor=False)
    await _raise(database, participant_id, AlertReason.DECLINED_MEETING, clock.now(), "a:1")
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun(notices=1)
    clock.advance(timedelta(days=3))
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()
    assert [m.kind for m in await messages(database, staff_id=consultant_id)] == [MessageKind.ALERT]


async def test_failed_messages_raise_one_delivery_alert(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id, mentor_id, _ = await _team(database, clock)
    await plan_checkins(database, clock, rules, catalogs)
    await _every_message_ends(
        database, participant_id, MessageStatus.FAILED, "30003 unreachable handset", clock
    )
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun(raised=1, notices=1)
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()
    async with database.read() as session:
        alerts = list(await session.scalars(select(Alert)))
        linked = set(
            await session.scalars(
                select(Message.alert_id).where(Message.participant_id == participant_id)
            )
        )
    assert [a.reason for a in alerts] == [AlertReason.DELIVERY_FAILED]
    assert linked == {alerts[0].id}
    [notice] = await messages(database, staff_id=mentor_id)
    assert notice.body.startswith("En besked til Jonas Kragh kunne ikke leveres.")


async def test_a_citizen_without_a_reachable_address_alerts_mentor_and_consultant_once(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    participant_id, mentor_id, consultant_id = await _team(database, clock)
    await plan_checkins(database, clock, rules, catalogs)
    await _every_message_ends(
        database, participant_id, MessageStatus.SUPPRESSED, "no reachable address", clock
    )
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun(raised=1, notices=2)
    clock.advance(timedelta(days=3))
    assert await notify_alerts(database, clock, rules, catalogs) == AlertingRun()
    to_mentor = await messages(database, staff_id=mentor_id)
    to_consultant = await messages(database, staff_id=consultant_id)
    assert [m.kind for m in to_mentor + to_consultant] == [MessageKind.ALERT, MessageKind.ALERT]
    assert to_consultant[0].body == to_mentor[0].body
    assert to_mentor[0].body.startswith("Vi kan ikke længere nå Jonas Kragh på SMS eller Telegram.")


async def test_a_backlog_of_alerts_is_told_in_batches_each_its_own_unit_of_work(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    """After an outage thousands of alerts may wait: one unit of work per batch keeps SQLite's
    write lock short, and every mentor is still told once."""
    clock.set(MORNING)
    consultant_id = await add_staff(
        database, name="Karim Nielsen", role=Role.CONSULTANT, phone="+4530000002"
    )
    alerts = {}
    for number, (mentor, citizen) in enumerate(
        [("Mette Lund", "Jonas Kragh"), ("Anders Vig", "Sara Holm"), ("Lise Brask", "Ole Dam")]
    ):
        mentor_id = await add_staff(
            database, name=mentor, role=Role.MENTOR, telegram=f"70{number:02d}"
        )
        participant_id = await enrol(
            database,
            now=clock.now(),
            release_date=date(2026, 2, 2),
            name=citizen,
            mentor_id=mentor_id,
            consultant_id=consultant_id,
        )
        alerts[mentor_id] = await _raise(
            database, participant_id, AlertReason.LOW_SCORE, clock.now(), f"b:{number}"
        )
    commits: list[object] = []
    event.listen(database.engine.sync_engine, "commit", commits.append)

    run = await notify_alerts(database, clock, rules, catalogs, batch=2)

    # Delivery problems: none (one unit); new alerts: 2 and 1 (two); escalations: none (one).
    assert (run, len(commits)) == (AlertingRun(notices=3), 4)
    for mentor_id, alert_id in alerts.items():
        [notice] = await messages(database, staff_id=mentor_id)
        assert (notice.kind, notice.alert_id) == (MessageKind.ALERT, alert_id)
    assert await notify_alerts(database, clock, rules, catalogs, batch=2) == AlertingRun()


async def test_one_mentors_alerts_split_over_two_batches_wait_for_the_digest(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MORNING)
    participant_id, mentor_id, _ = await _team(database, clock)
    first, second, third = [
        await _raise(database, participant_id, reason, clock.now(), f"s:{reason}")
        for reason in (AlertReason.LOW_SCORE, AlertReason.WORRYING_REPLY, AlertReason.NO_REPLY)
    ]

    # The first batch goes as one digest; the third alert finds the window just opened.
    assert await notify_alerts(database, clock, rules, catalogs, batch=2) == AlertingRun(notices=1)
    clock.advance(rules.digest_window)
    assert await notify_alerts(database, clock, rules, catalogs, batch=2) == AlertingRun(notices=1)
    digest, notice = await messages(database, staff_id=mentor_id)
    assert (digest.kind, notice.kind, notice.alert_id) == (
        MessageKind.ALERT_DIGEST,
        MessageKind.ALERT,
        third,
    )
    assert f"(OK {first})" in digest.body and f"(OK {second})" in digest.body
