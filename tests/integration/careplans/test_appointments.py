"""Meetings: each change plans or cancels the citizen's messages in the same unit of work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Alert,
    AlertReason,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Attendance,
    AuditEvent,
    Confirmation,
    EscalationStep,
    Message,
    MessageKind,
    MessageStatus,
    ReplyChoices,
)
from bot.services.appointments import (
    AppointmentError,
    MeetingContext,
    Move,
    cancel_appointment,
    create_appointment,
    move_appointment,
    move_appointments,
    record_attendance,
)
from schedules.care_rules import CareRules
from tests.integration.careplans.people import enrol, mark_sent, messages

# Tuesday 20 January 2026, 10:00 in Copenhagen (CET, UTC+1).
MEETING = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


async def _meeting(
    database: Database,
    context: MeetingContext,
    *,
    place: str = "Jobcenter Aarhus, Værkmestergade 2",
    allow_sensitive_place: bool = False,
) -> int:
    participant_id = await enrol(database, now=context.now, release_date=date(2026, 2, 2))
    async with database.session() as session:
        appointment = await create_appointment(
            session,
            context,
            participant_id=participant_id,
            kind=AppointmentKind.JOBCENTRE,
            starts_at=MEETING,
            place=place,
            allow_sensitive_place=allow_sensitive_place,
        )
        return appointment.id


def _context(catalogs: Catalogs, rules: CareRules, clock: FakeClock) -> MeetingContext:
    return MeetingContext(catalogs, rules, clock.now())


async def test_a_new_meeting_asks_for_confirmation_now_and_plans_reminders(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))

    planned = await messages(database, appointment_id=appointment_id)
    assert [(m.kind, m.due_at, m.dedupe_key) for m in planned] == [
        (MessageKind.CONFIRMATION_REQUEST, clock.now(), f"appointment:{appointment_id}:v1:confirm"),
        (
            MessageKind.REMINDER,
            MEETING - timedelta(hours=24),
            f"appointment:{appointment_id}:v1:reminder:24h",
        ),
        (
            MessageKind.REMINDER,
            MEETING - timedelta(hours=2),
            f"appointment:{appointment_id}:v1:reminder:2h",
        ),
    ]
    question = planned[0]
    assert question.expects_reply and question.choices is ReplyChoices.YES_NO
    # Asked Monday 08:00, the meeting is 8 days away: 24 h to answer.
    assert question.deadline_at == clock.now() + timedelta(hours=24)
    assert question.body == (
        "Du har møde på jobcentret tirsdag den 20. januar kl. 10.00. "
        "Sted: Jobcenter Aarhus, Værkmestergade 2. Kan du komme?"
    )
    assert (
        planned[1].body
        == "Husk dit møde i morgen kl. 10.00. Sted: Jobcenter Aarhus, Værkmestergade 2."
    )
    assert not planned[1].expects_reply


async def test_a_confirmation_for_a_meeting_soon_is_due_26_hours_before_it(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MEETING - timedelta(hours=40))
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))
    [question] = await messages(
        database, appointment_id=appointment_id, kind=MessageKind.CONFIRMATION_REQUEST
    )
    assert question.deadline_at == MEETING - timedelta(hours=26)


async def test_moving_a_meeting_cancels_its_reminders_asks_again_and_plans_new_ones(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))
    await mark_sent(database, clock.now())  # the confirmation request went out
    clock.advance(timedelta(hours=1))
    new_start = MEETING + timedelta(days=2, hours=3)  # Thursday 13:00

    async with database.session() as session:
        await move_appointment(
            session,
            _context(catalogs, rules, clock),
            appointment_id=appointment_id,
            starts_at=new_start,
        )

    rows = await messages(database, appointment_id=appointment_id)
    assert [
        (m.kind, m.status, m.dedupe_key.rsplit(":", 2)[-2:] if m.dedupe_key else None) for m in rows
    ] == [
        (MessageKind.CONFIRMATION_REQUEST, MessageStatus.SENT, ["v1", "confirm"]),
        (MessageKind.REMINDER, MessageStatus.CANCELLED, ["reminder", "24h"]),
        (MessageKind.REMINDER, MessageStatus.CANCELLED, ["reminder", "2h"]),
        (MessageKind.MEETING_MOVED, MessageStatus.PLANNED, ["v2", "confirm"]),
        (MessageKind.REMINDER, MessageStatus.PLANNED, ["reminder", "24h"]),
        (MessageKind.REMINDER, MessageStatus.PLANNED, ["reminder", "2h"]),
    ]
    assert rows[0].escalation_step == EscalationStep.STOPPED  # no ladder on the old time
    assert rows[3].body.startswith("Dit møde er flyttet til torsdag den 22. januar kl. 13.00.")
    assert rows[3].expects_reply and rows[3].choices is ReplyChoices.YES_NO
    assert [m.due_at for m in rows[4:]] == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=2),
    ]
    async with database.read() as session:
        appointment = await session.get(Appointment, appointment_id)
        assert appointment is not None
        assert (appointment.version, appointment.confirmation) == (2, Confirmation.PENDING)


async def test_cancelling_a_meeting_tells_the_citizen_once(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))
    async with database.session() as session:
        await cancel_appointment(
            session, _context(catalogs, rules, clock), appointment_id=appointment_id
        )
    with pytest.raises(AppointmentError, match="cancelled"):
        async with database.session() as session:
            await cancel_appointment(
                session, _context(catalogs, rules, clock), appointment_id=appointment_id
            )

    rows = await messages(database, appointment_id=appointment_id)
    assert [(m.kind, m.status) for m in rows] == [
        (MessageKind.CONFIRMATION_REQUEST, MessageStatus.CANCELLED),
        (MessageKind.REMINDER, MessageStatus.CANCELLED),
        (MessageKind.REMINDER, MessageStatus.CANCELLED),
        (MessageKind.MEETING_CANCELLED, MessageStatus.PLANNED),
    ]
    assert rows[-1].body == (
        "Dit møde tirsdag den 20. januar kl. 10.00 er aflyst. Din kontaktperson fortæller dig mere."
    )
    async with database.read() as session:
        appointment = await session.get(Appointment, appointment_id)
        assert appointment is not None and appointment.status is AppointmentStatus.CANCELLED


async def test_a_missed_meeting_alerts_once_and_only_after_it_started(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))
    with pytest.raises(AppointmentError, match="started"):
        async with database.session() as session:
            await record_attendance(
                session,
                appointment_id=appointment_id,
                attendance=Attendance.MISSED,
                now=clock.now(),
            )
    clock.set(MEETING + timedelta(hours=1))
    for _ in range(2):
        async with database.session() as session:
            await record_attendance(
                session,
                appointment_id=appointment_id,
                attendance=Attendance.MISSED,
                now=clock.now(),
            )

    async with database.read() as session:
        alerts = list(await session.scalars(select(Alert)))
        appointment = await session.get(Appointment, appointment_id)
    assert [(a.reason, a.appointment_id, a.created_at) for a in alerts] == [
        (AlertReason.MISSED_MEETING, appointment_id, clock.now())
    ]
    assert appointment is not None and appointment.attendance is Attendance.MISSED


async def test_an_attended_meeting_raises_no_alert(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))
    clock.set(MEETING + timedelta(hours=1))
    async with database.session() as session:
        await record_attendance(
            session, appointment_id=appointment_id, attendance=Attendance.ATTENDED, now=clock.now()
        )
    async with database.read() as session:
        assert list(await session.scalars(select(Alert))) == []


async def test_a_place_that_names_a_treatment_centre_is_refused_unless_confirmed(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    context = _context(catalogs, rules, clock)
    with pytest.raises(AppointmentError, match="Misbrugscenter"):
        await _meeting(database, context, place="Misbrugscenter Vest")
    async with database.read() as session:
        assert list(await session.scalars(select(Appointment))) == []
    appointment_id = await _meeting(
        database, context, place="Misbrugscenter Vest", allow_sensitive_place=True
    )
    assert appointment_id


async def test_a_meeting_in_the_past_is_refused(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    clock.set(MEETING + timedelta(minutes=1))
    with pytest.raises(AppointmentError, match="future"):
        await _meeting(database, _context(catalogs, rules, clock))


async def test_the_attendance_question_is_planned_when_configured(
    database: Database, catalogs: Catalogs, clock: FakeClock
) -> None:
    from bot.config import load_settings

    rules = CareRules.from_settings(load_settings({"BROBYGGER_ATTENDANCE_QUESTION_AFTER": "3h"}))
    appointment_id = await _meeting(database, _context(catalogs, rules, clock))
    [question] = await messages(
        database, appointment_id=appointment_id, kind=MessageKind.ATTENDANCE_QUESTION
    )
    assert question.due_at == MEETING + timedelta(hours=3)
    assert question.expects_reply and question.deadline_at is None
    assert question.body == "Kom du til dit møde tirsdag den 20. januar?"


def _keys_and_states(
    rows: list[Message],
) -> list[tuple[str | None, MessageStatus, datetime | None]]:
    return [(m.dedupe_key, m.status, m.due_at) for m in rows]


async def test_moving_many_meetings_at_once_moves_each_as_a_single_move_would(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    first = await _meeting(database, _context(catalogs, rules, clock))
    second = await _meeting(database, _context(catalogs, rules, clock))
    clock.advance(timedelta(hours=1))
    starts = {first: MEETING + timedelta(days=1), second: MEETING + timedelta(days=2, hours=3)}

    async with database.session() as session:
        moved = await move_appointments(
            session,
            _context(catalogs, rules, clock),
            [
                Move(first, starts[first]),
                Move(second, starts[second], place="Jobcenter Holstebro,  Lægårdvej 2"),
            ],
            moved_by_id=None,
        )

    assert [appointment.id for appointment in moved] == [first, second]
    for appointment_id, start in starts.items():
        key = f"appointment:{appointment_id}"
        rows = await messages(database, appointment_id=appointment_id)
        assert _keys_and_states(rows) == [
            (f"{key}:v1:confirm", MessageStatus.CANCELLED, clock.now() - timedelta(hours=1)),
            (f"{key}:v1:reminder:24h", MessageStatus.CANCELLED, MEETING - timedelta(hours=24)),
            (f"{key}:v1:reminder:2h", MessageStatus.CANCELLED, MEETING - timedelta(hours=2)),
            (f"{key}:v2:confirm", MessageStatus.PLANNED, clock.now()),
            (f"{key}:v2:reminder:24h", MessageStatus.PLANNED, start - timedelta(hours=24)),
            (f"{key}:v2:reminder:2h", MessageStatus.PLANNED, start - timedelta(hours=2)),
        ]
        assert rows[3].kind == MessageKind.MEETING_MOVED and rows[3].expects_reply
    [notice] = await messages(database, dedupe_key=f"appointment:{second}:v2:confirm")
    assert notice.body.startswith(
        "Dit møde er flyttet til torsdag den 22. januar kl. 13.00. "
        "Sted: Jobcenter Holstebro, Lægårdvej 2."
    )
    async with database.read() as session:
        meetings = list(await session.scalars(select(Appointment).order_by(Appointment.id)))
        audit = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "meeting_changed")
                .order_by(AuditEvent.id)
            )
        )
    assert [(m.version, m.confirmation, m.starts_at) for m in meetings] == [
        (2, Confirmation.PENDING, starts[first]),
        (2, Confirmation.PENDING, starts[second]),
    ]
    assert [event.detail for event in audit] == [
        {"appointment_id": first, "version": 2},
        {"appointment_id": second, "version": 2},
    ]


async def test_a_batch_with_a_meeting_that_cannot_move_moves_none_of_them(
    database: Database, catalogs: Catalogs, rules: CareRules, clock: FakeClock
) -> None:
    first = await _meeting(database, _context(catalogs, rules, clock))
    second = await _meeting(database, _context(catalogs, rules, clock))
    async with database.session() as session:
        await cancel_appointment(session, _context(catalogs, rules, clock), appointment_id=second)
    before = _keys_and_states(await messages(database))
    later = MEETING + timedelta(days=1)

    for batch, reason in (
        ([Move(first, later), Move(second, later)], f"meeting {second} is cancelled"),
        ([Move(first, later), Move(first, later + timedelta(hours=1))], "once in a batch"),
        ([Move(first, later), Move(first + 1000, later)], f"no meeting with id {first + 1000}"),
    ):
        with pytest.raises(AppointmentError, match=reason):
            async with database.session() as session:
                await move_appointments(session, _context(catalogs, rules, clock), batch)

    assert _keys_and_states(await messages(database)) == before
    async with database.read() as session:
        appointment = await session.get(Appointment, first)
        assert appointment is not None and appointment.version == 1
