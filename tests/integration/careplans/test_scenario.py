"""The whole scenario of issue #5 on the fake clock, once straight through and once with a restart.

Jonas is enrolled three weeks before his release (Monday 2 February 2026). Over two and a half
weeks: a jobcentre meeting confirmed and attended, a mentor meeting declined (the mentor takes the
alert, the meeting is moved and confirmed), a meeting confirmed and then missed, check-ins answered
(one low, followed by a worrying message), then silence: nudge, mentor alert, consultant.

Through the real database (SQLite and PostgreSQL), the real planner, escalation, alert and
dispatcher ticks and the real conversation service; only the providers are fakes that record what
they accepted and when. Every message sent is asserted (local time, channel, recipient, text),
then every alert and acknowledgement, and that nothing went twice or in quiet hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db import Database
from bot.models import (
    Alert,
    AlertReason,
    AppointmentKind,
    Attendance,
    ChannelKind,
    Message,
    MessageStatus,
    Role,
)
from bot.services.appointments import (
    MeetingContext,
    create_appointment,
    move_appointment,
    record_attendance,
)
from handlers.replies import button_data, parse_button
from tests.integration.careplans.people import add_staff, enrol
from tests.integration.careplans.world import Sent, World

CPH = ZoneInfo("Europe/Copenhagen")
SMS, TELEGRAM = ChannelKind.SMS, ChannelKind.TELEGRAM
JONAS = "+4520000001"
METTE = "7001"  # the mentor's Telegram chat
KARIM = "+4530000002"  # the consultant's phone
PLACE_A = "Jobcenter Aarhus, Værkmestergade 2"
PLACE_B = "Caféen, Søndergade 12"
PLACE_C = "Tech College, Sønderhøj 30"
CHECKIN = "Hej Jonas. Hvordan går det, fra 1 (meget dårligt) til 5 (meget godt)?"


def local(text: str) -> datetime:
    """'2026-01-12 08:00' in Copenhagen, as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=CPH).astimezone(UTC)


def shown(sent: list[Sent]) -> list[tuple[str, str, str, str]]:
    """(local time, channel and choices, recipient, text) of each message, in order."""
    return [
        (
            m.at.astimezone(CPH).strftime("%a %d %H:%M"),
            f"{m.channel}{' ' + m.choices if m.choices else ''}",
            m.address,
            m.text,
        )
        for m in sent
    ]


def when(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(CPH).strftime("%a %d %H:%M")


async def alert_id(world: World, reason: AlertReason) -> int:
    async with world.database.read() as session:
        found = await session.scalar(select(Alert.id).where(Alert.reason == reason))
    assert found is not None, f"no {reason} alert"
    return found


@pytest.fixture
def world(database: Database, clock: FakeClock) -> World:
    return World(database.url, clock)


async def _enrol(world: World) -> tuple[int, int, int]:
    mentor = await add_staff(world.database, name="Mette Lund", role=Role.MENTOR, telegram=METTE)
    consultant = await add_staff(
        world.database, name="Karim Nielsen", role=Role.CONSULTANT, phone=KARIM
    )
    participant = await enrol(
        world.database,
        now=world.clock.now(),
        release_date=date(2026, 2, 2),
        mentor_id=mentor,
        consultant_id=consultant,
        phone=JONAS,
    )
    return participant, mentor, consultant


async def _meeting(
    world: World, participant_id: int, kind: AppointmentKind, at: str, place: str
) -> int:
    context = MeetingContext(world.service.catalogs, world.service.rules, world.clock.now())
    async with world.database.session() as session:
        appointment = await create_appointment(
            session,
            context,
            participant_id=participant_id,
            kind=kind,
            starts_at=local(at),
            place=place,
        )
    await world.service.dispatch()  # the commit woke the dispatcher
    return appointment.id


@pytest.mark.slow
@pytest.mark.parametrize("restart", [False, True], ids=["straight-through", "restart-halfway"])
async def test_the_whole_scenario(world: World, restart: bool) -> None:
    try:
        await _scenario(world, restart)
    finally:
        await world.close()


async def _scenario(world: World, restart: bool) -> None:
    # --- Monday 12 January, 08:00: enrolment and the jobcentre meeting (A) ----------------
    participant_id, mentor_id, consultant_id = await _enrol(world)
    meeting_a = await _meeting(
        world, participant_id, AppointmentKind.JOBCENTRE, "2026-01-15 10:00", PLACE_A
    )
    await world.run_until(local("2026-01-12 09:30"))
    await world.reply(SMS, JONAS, "Ja tak")
    await world.run_until(local("2026-01-12 10:30"))
    await world.reply(SMS, JONAS, "4")
    assert shown(world.new_messages()) == [
        (
            "Mon 12 08:00",
            "sms yes_no",
            JONAS,
            f"Du har møde på jobcentret torsdag den 15. januar kl. 10.00. Sted: {PLACE_A}. Kan du "
            "komme?",
        ),
        (
            "Mon 12 09:30",
            "sms",
            JONAS,
            "Tak, godt at du kan komme. Vi minder dig om det før mødet.",
        ),
        ("Mon 12 10:00", "sms score", JONAS, CHECKIN),
        ("Mon 12 10:30", "sms", JONAS, "Tak for dit svar. Godt at høre fra dig!"),
    ]

    # --- Tuesday 13 January: a mentor meeting (B), declined, taken, moved, confirmed --------
    await world.run_until(local("2026-01-13 10:00"))
    meeting_b = await _meeting(
        world, participant_id, AppointmentKind.MENTOR, "2026-01-20 14:00", PLACE_B
    )
    await world.run_until(local("2026-01-13 11:15"))
    await world.reply(SMS, JONAS, "nej, kan ikke")
    await world.run_until(local("2026-01-13 12:20"))
    declined = await alert_id(world, AlertReason.DECLINED_MEETING)
    await world.reply(TELEGRAM, METTE, "", intent=parse_button(button_data(declined, "ack")))
    await world.run_until(local("2026-01-13 13:00"))
    context = MeetingContext(world.service.catalogs, world.service.rules, world.clock.now())
    async with world.database.session() as session:
        await move_appointment(
            session, context, appointment_id=meeting_b, starts_at=local("2026-01-22 14:00")
        )
    await world.service.dispatch()
    await world.run_until(local("2026-01-13 13:40"))
    await world.reply(SMS, JONAS, "ja")
    assert shown(world.new_messages()) == [
        (
            "Tue 13 10:00",
            "sms yes_no",
            JONAS,
            "Du har møde med din kontaktperson tirsdag den 20. januar kl. 14.00. Sted: "
            f"{PLACE_B}. Kan du komme?",
        ),
        (
            "Tue 13 11:15",
            "sms",
            JONAS,
            "Tak for besked. Din kontaktperson kontakter dig om en ny tid.",
        ),
        (
            "Tue 13 12:00",
            "telegram ack",
            METTE,
            "Jonas Kragh kan ikke komme til mødet tirsdag den 20. januar kl. 14.00. Svar OK "
            f"{declined} når du har det.",
        ),
        ("Tue 13 12:20", "telegram", METTE, "Noteret: du har taget advarslen om Jonas Kragh."),
        (
            "Tue 13 13:00",
            "sms yes_no",
            JONAS,
            f"Dit møde er flyttet til torsdag den 22. januar kl. 14.00. Sted: {PLACE_B}. Kan du "
            "komme?",
        ),
        (
            "Tue 13 13:40",
            "sms",
            JONAS,
            "Tak, godt at du kan komme. Vi minder dig om det før mødet.",
        ),
    ]

    # --- Wednesday 14 - Thursday 15: reminders of A, A attended; meeting C asked and confirmed
    await world.run_until(local("2026-01-14 11:00"))
    meeting_c = await _meeting(
        world, participant_id, AppointmentKind.EDUCATION_WORK, "2026-01-19 13:00", PLACE_C
    )
    await world.run_until(local("2026-01-14 12:00"))
    await world.reply(SMS, JONAS, "ja")
    await world.run_until(local("2026-01-15 12:00"))
    async with world.database.session() as session:
        await record_attendance(
            session,
            appointment_id=meeting_a,
            attendance=Attendance.ATTENDED,
            now=world.clock.now(),
            recorded_by_id=consultant_id,
        )
    assert shown(world.new_messages()) == [
        ("Wed 14 10:00", "sms", JONAS, f"Husk dit møde i morgen kl. 10.00. Sted: {PLACE_A}."),
        (
            "Wed 14 11:00",
            "sms yes_no",
            JONAS,
            "Du har møde om arbejde eller uddannelse mandag den 19. januar kl. 13.00. Sted: "
            f"{PLACE_C}. Kan du komme?",
        ),
        (
            "Wed 14 12:00",
            "sms",
            JONAS,
            "Tak, godt at du kan komme. Vi minder dig om det før mødet.",
        ),
        ("Thu 15 08:00", "sms", JONAS, f"Husk dit møde om 2 timer, kl. 10.00. Sted: {PLACE_A}."),
    ]

    # --- Monday 19 January: a low check-in, a worrying message (one digest), C missed --------
    await world.run_until(local("2026-01-19 10:30"))
    await world.reply(SMS, JONAS, "2")
    await world.run_until(local("2026-01-19 10:40"))
    await world.reply(SMS, JONAS, "Jeg har haft et tilbagefald i weekenden")
    await world.run_until(local("2026-01-19 11:30"))
    low = await alert_id(world, AlertReason.LOW_SCORE)
    worrying = await alert_id(world, AlertReason.WORRYING_REPLY)
    await world.reply(TELEGRAM, METTE, f"OK {low}")
    await world.run_until(local("2026-01-19 15:00"))
    async with world.database.session() as session:
        await record_attendance(
            session,
            appointment_id=meeting_c,
            attendance=Attendance.MISSED,
            now=world.clock.now(),
            recorded_by_id=consultant_id,
        )
    await world.run_until(local("2026-01-19 16:00"))
    missed = await alert_id(world, AlertReason.MISSED_MEETING)
    assert shown(world.new_messages()) == [
        ("Sun 18 13:00", "sms", JONAS, f"Husk dit møde i morgen kl. 13.00. Sted: {PLACE_C}."),
        ("Mon 19 10:00", "sms score", JONAS, CHECKIN),
        (
            "Mon 19 10:30",
            "sms",
            JONAS,
            "Tak fordi du fortæller det. Din kontaktperson kontakter dig snart.",
        ),
        ("Mon 19 10:40", "sms", JONAS, "Tak for din besked. Din kontaktperson læser den."),
        ("Mon 19 11:00", "sms", JONAS, f"Husk dit møde om 2 timer, kl. 13.00. Sted: {PLACE_C}."),
        # Two alerts since the mentor's last notice: one digest, not a burst.
        (
            "Mon 19 11:00",
            "telegram",
            METTE,
            f"Nye advarsler: 2\n- Jonas Kragh: lav score (OK {low})\n- Jonas Kragh: bekymrende "
            f"besked (OK {worrying})",
        ),
        ("Mon 19 11:30", "telegram", METTE, "Noteret: du har taget advarslen om Jonas Kragh."),
        (
            "Mon 19 16:00",
            "telegram ack",
            METTE,
            f"Jonas Kragh kom ikke til mødet mandag den 19. januar kl. 13.00. Svar OK {missed} "
            "når du har det.",
        ),
    ]

    if restart:
        await world.restart()

    # --- Tuesday 20 January: the consultant is told what the mentor did not take ------------
    await world.run_until(local("2026-01-20 16:30"))
    await world.reply(SMS, KARIM, f"ok {missed}")
    assert shown(world.new_messages()) == [
        (
            "Tue 20 11:00",
            "sms ack",
            KARIM,
            "Mette Lund har ikke taget advarslen om Jonas Kragh: bekymrende besked. Svar OK "
            f"{worrying} når du har det.",
        ),
        (
            "Tue 20 16:00",
            "sms ack",
            KARIM,
            "Mette Lund har ikke taget advarslen om Jonas Kragh: kom ikke til et møde. Svar OK "
            f"{missed} når du har det.",
        ),
        ("Tue 20 16:30", "sms", KARIM, "Noteret: du har taget advarslen om Jonas Kragh."),
    ]

    # --- Wednesday 21 - Thursday 29: reminders of B; then silence ---------------------------
    await world.run_until(local("2026-01-29 12:00"))
    silent = await alert_id(world, AlertReason.NO_REPLY)
    assert shown(world.new_messages()) == [
        ("Wed 21 14:00", "sms", JONAS, f"Husk dit møde i morgen kl. 14.00. Sted: {PLACE_B}."),
        ("Thu 22 12:00", "sms", JONAS, f"Husk dit møde om 2 timer, kl. 14.00. Sted: {PLACE_B}."),
        ("Mon 26 10:00", "sms score", JONAS, CHECKIN),
        # No answer by the deadline: one gentle nudge ...
        (
            "Tue 27 10:00",
            "sms score",
            JONAS,
            "Hej Jonas, vi vil gerne høre fra dig. Hvordan går det, fra 1 (meget dårligt) til 5 "
            "(meget godt)?",
        ),
        # ... 12 h later (22:00) the mentor is alerted; quiet hours hold the notice to 08:00 ...
        (
            "Wed 28 08:00",
            "telegram ack",
            METTE,
            f"Jonas Kragh har ikke svaret siden mandag den 26. januar. Svar OK {silent} når du "
            "har det.",
        ),
        # ... and 24 h after it reached her, unacknowledged, the consultant.
        (
            "Thu 29 08:00",
            "sms ack",
            KARIM,
            f"Mette Lund har ikke taget advarslen om Jonas Kragh: svarer ikke. Svar OK {silent} "
            "når du har det.",
        ),
    ]

    # --- Every alert, who was told when, and who took it ---------------------------------
    async with world.database.read() as session:
        alerts = list(await session.scalars(select(Alert).order_by(Alert.id)))
        outgoing = list(await session.scalars(select(Message).where(Message.direction == "out")))
    assert [
        (
            a.id,
            a.reason,
            a.notified_staff_id,
            when(a.notified_at),
            a.escalated_to_id,
            when(a.escalated_at),
            a.acknowledged_by_id,
            when(a.acknowledged_at),
        )
        for a in alerts
    ] == [
        (
            declined,
            AlertReason.DECLINED_MEETING,
            mentor_id,
            "Tue 13 12:00",
            None,
            None,
            mentor_id,
            "Tue 13 12:20",
        ),
        (
            low,
            AlertReason.LOW_SCORE,
            mentor_id,
            "Mon 19 11:00",
            None,
            None,
            mentor_id,
            "Mon 19 11:30",
        ),
        (
            worrying,
            AlertReason.WORRYING_REPLY,
            mentor_id,
            "Mon 19 11:00",
            consultant_id,
            "Tue 20 11:00",
            None,
            None,
        ),
        (
            missed,
            AlertReason.MISSED_MEETING,
            mentor_id,
            "Mon 19 16:00",
            consultant_id,
            "Tue 20 16:00",
            consultant_id,
            "Tue 20 16:30",
        ),
        (
            silent,
            AlertReason.NO_REPLY,
            mentor_id,
            "Tue 27 22:00",
            consultant_id,
            "Thu 29 08:00",
            None,
            None,
        ),
    ]

    # --- Nothing twice, nothing in quiet hours, nothing lost -----------------------------
    assert len({m.message_id for m in world.log}) == len(world.log)
    assert all(8 <= m.at.astimezone(CPH).hour < 21 for m in world.log)
    sent_rows = sorted(m.id for m in outgoing if m.sent_at is not None)
    assert sent_rows == sorted(m.message_id for m in world.log)
    assert not [
        m
        for m in outgoing
        if m.status
        not in (
            MessageStatus.SENT,
            MessageStatus.DELIVERED,
            MessageStatus.CANCELLED,
            MessageStatus.PLANNED,
        )
    ]
    # What is still planned lies ahead: the release-day check-in and the days after it.
    assert all(
        m.due_at is not None and m.due_at > world.clock.now()
        for m in outgoing
        if m.status is MessageStatus.PLANNED
    )
    assert world.restarts == int(restart)
