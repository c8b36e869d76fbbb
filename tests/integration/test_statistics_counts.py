"""The status report counted by the database matches a hand-built programme, figure by figure.

Seven participants around one period (January 2026), with outcomes, check-ins and their
answers, meetings and alerts inside and outside it; every expected number below is counted by
hand from the rows this file writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, true

from bot.db import Database
from bot.models import (
    Alert,
    AlertReason,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Attendance,
    ChannelKind,
    Confirmation,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    Participant,
    ParticipantStatus,
    Role,
    Site,
    SiteKind,
)
from bot.services.statistics import Report, StatusRow, status_report
from bot.web.access import Viewer, participant_scope

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 2, 1, tzinfo=UTC)


def day(month: int, date: int, year: int = 2026) -> datetime:
    return datetime(year, month, date, 9, 0, tzinfo=UTC)


class Programme:
    """Rows written straight into the database, so nothing but the report is under test."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.serial = 0

    async def site(self, kind: SiteKind, name: str) -> int:
        async with self.database.session() as db:
            site = Site(kind=kind, name=name)
            db.add(site)
            await db.flush()
            return site.id

    async def participant(
        self,
        prison: int | None,
        jobcentre: int | None,
        enrolled: datetime,
        closed: datetime | None = None,
        outcome: Outcome | None = None,
    ) -> int:
        async with self.database.session() as db:
            person = Participant(
                name="Deltager",
                prison_id=prison,
                jobcentre_id=jobcentre,
                enrolled_at=enrolled,
                closed_at=closed,
                outcome=outcome,
                status=ParticipantStatus.CLOSED if closed else ParticipantStatus.ACTIVE,
            )
            db.add(person)
            await db.flush()
            return person.id

    async def question(
        self,
        participant: int,
        sent: datetime,
        answered_after: timedelta | None = None,
        *,
        kind: MessageKind = MessageKind.CHECKIN,
        status: MessageStatus = MessageStatus.DELIVERED,
    ) -> None:
        async with self.database.session() as db:
            asked = Message(
                direction=Direction.OUT,
                participant_id=participant,
                channel=ChannelKind.SMS,
                kind=kind,
                body="Hvordan går det?",
                status=status,
                sent_at=sent,
                expects_reply=True,
            )
            db.add(asked)
            await db.flush()
            if answered_after is not None:
                answer = Message(
                    direction=Direction.IN,
                    participant_id=participant,
                    channel=ChannelKind.SMS,
                    kind=MessageKind.INBOUND,
                    body="4",
                    status=MessageStatus.RECEIVED,
                    received_at=sent + answered_after,
                )
                db.add(answer)
                await db.flush()
                # As the conversation service links an answer (handlers.answers).
                asked.answered_by_id, asked.answered_at = answer.id, answer.received_at

    async def meeting(
        self,
        participant: int,
        starts: datetime,
        confirmation: Confirmation,
        attendance: Attendance,
        status: AppointmentStatus = AppointmentStatus.SCHEDULED,
    ) -> None:
        async with self.database.session() as db:
            db.add(
                Appointment(
                    participant_id=participant,
                    kind=AppointmentKind.JOBCENTRE,
                    starts_at=starts,
                    place="Jobcentret",
                    status=status,
                    confirmation=confirmation,
                    attendance=attendance,
                )
            )

    async def alert(self, participant: int, created: datetime) -> None:
        self.serial += 1
        async with self.database.session() as db:
            db.add(
                Alert(
                    participant_id=participant,
                    reason=AlertReason.NO_REPLY,
                    dedupe_key=f"count-test:{self.serial}",
                    created_at=created,
                )
            )


def figures(row: StatusRow) -> tuple[str, int, int, int, int, int, int]:
    return (
        row.label,
        row.referred,
        row.active,
        row.closed,
        row.positive,
        row.no_visible_result,
        row.other,
    )


async def build(database: Database) -> int:
    """The programme; returns the id of the prison a consultant covers (Nord)."""
    make = Programme(database)
    nord = await make.site(SiteKind.PRISON, "Statsfængslet Nord")
    syd = await make.site(SiteKind.PRISON, "Statsfængslet Syd")
    centre_a = await make.site(SiteKind.JOBCENTRE, "Jobcenter A")
    centre_b = await make.site(SiteKind.JOBCENTRE, "Jobcenter B")
    hours = timedelta(hours=1)
    # Enrolled before, closed with a job inside the period.
    ole = await make.participant(nord, centre_a, day(12, 1, 2025), day(1, 10), Outcome.JOB)
    # Referred in the period, active at its end.
    pia = await make.participant(nord, centre_b, day(1, 5))
    # Referred and closed without an outcome recorded: counts as "other".
    kim = await make.participant(syd, centre_a, day(1, 5), day(1, 20))
    # Closed before the period: a row for its sites, but no figure and no rates.
    lis = await make.participant(syd, None, day(11, 1, 2025), day(12, 15, 2025), Outcome.EDUCATION)
    # Enrolled after the period: not counted at all.
    await make.participant(None, centre_b, day(2, 10))
    # Referred and closed with no visible result inside the period.
    eva = await make.participant(nord, centre_a, day(1, 2), day(1, 25), Outcome.NO_VISIBLE_RESULT)
    # Closed after the period ends: active at its end.
    ulf = await make.participant(nord, centre_a, day(12, 2, 2025), day(2, 5), Outcome.ABSCONDED)

    await make.question(ole, day(1, 3), 2 * hours)
    await make.question(ole, day(12, 30, 2025), 3 * hours)  # before the period
    await make.question(pia, day(1, 6), 4 * hours)
    await make.question(pia, day(1, 8))  # never answered
    await make.question(pia, day(1, 9), 6 * hours, kind=MessageKind.CONFIRMATION_REQUEST)
    await make.question(kim, day(1, 7), 10 * hours, status=MessageStatus.SENT)
    await make.question(eva, day(1, 4), status=MessageStatus.FAILED)  # never went out
    await make.question(lis, day(1, 3), 1 * hours)  # a participant outside the period

    await make.meeting(ole, day(1, 12), Confirmation.CONFIRMED, Attendance.ATTENDED)
    await make.meeting(pia, day(1, 15), Confirmation.CONFIRMED, Attendance.MISSED)
    await make.meeting(kim, day(1, 16), Confirmation.PENDING, Attendance.UNKNOWN)
    cancelled = AppointmentStatus.CANCELLED
    await make.meeting(eva, day(1, 18), Confirmation.CONFIRMED, Attendance.ATTENDED, cancelled)
    await make.meeting(ulf, day(2, 3), Confirmation.CONFIRMED, Attendance.ATTENDED)
    await make.meeting(lis, day(1, 14), Confirmation.CONFIRMED, Attendance.ATTENDED)

    await make.alert(kim, day(1, 20))
    await make.alert(pia, day(1, 21))
    await make.alert(ole, day(12, 20, 2025))
    await make.alert(lis, day(1, 10))
    return nord


async def report(database: Database, viewer: Viewer | None = None) -> Report:
    scope = true() if viewer is None else participant_scope(viewer)
    async with database.read() as db:
        return await status_report(db, scope, START, END)


async def test_the_report_counts_a_hand_built_programme(database: Database) -> None:
    await build(database)
    result = await report(database)

    assert figures(result.total) == ("Total", 3, 2, 3, 1, 1, 1)
    assert [figures(row) for row in result.prisons] == [
        ("Statsfængslet Nord", 2, 2, 2, 1, 1, 0),
        ("Statsfængslet Syd", 1, 0, 1, 0, 0, 1),
    ]
    assert [figures(row) for row in result.jobcentres] == [
        ("Jobcenter A", 2, 1, 3, 1, 1, 1),
        ("Jobcenter B", 1, 1, 0, 0, 0, 0),
        ("—", 0, 0, 0, 0, 0, 0),
    ]
    assert result.total.outcomes[Outcome.JOB] == 1
    assert result.total.outcomes[Outcome.OTHER] == 1
    assert result.total.share(result.total.positive) == 33.3
    rates = result.rates
    assert (rates.checkins_sent, rates.checkins_answered) == (4, 3)
    assert (rates.meetings, rates.meetings_confirmed) == (3, 2)
    assert (rates.attendance_recorded, rates.attended) == (2, 1)
    assert (rates.alerts, rates.participants_in_period) == (2, 5)
    assert rates.alerts_per_participant == 0.4
    # Waits of 2, 4, 6 and 10 hours: the median of an even count is the mean of the middle two.
    assert rates.median_reply is not None
    assert abs(rates.median_reply - timedelta(hours=5)) < timedelta(seconds=1)


async def test_a_consultants_report_counts_only_their_prison(database: Database) -> None:
    nord = await build(database)
    consultant = Viewer(1, "Karin", "karin@x.dk", Role.CONSULTANT, frozenset({nord}), "da")
    result = await report(database, consultant)

    assert figures(result.total) == ("Total", 2, 2, 2, 1, 1, 0)
    assert [row.label for row in result.prisons] == ["Statsfængslet Nord"]
    assert [figures(row) for row in result.jobcentres] == [
        ("Jobcenter A", 1, 1, 2, 1, 1, 0),
        ("Jobcenter B", 1, 1, 0, 0, 0, 0),
    ]
    rates = result.rates
    assert (rates.checkins_sent, rates.checkins_answered) == (3, 2)
    assert (rates.meetings, rates.meetings_confirmed, rates.attended) == (2, 2, 1)
    assert (rates.alerts, rates.participants_in_period) == (1, 4)
    # Waits of 2, 4 and 6 hours: the middle one.
    assert rates.median_reply is not None
    assert abs(rates.median_reply - timedelta(hours=4)) < timedelta(seconds=1)


async def test_a_period_without_answers_has_no_median(database: Database) -> None:
    await build(database)
    async with database.read() as db:
        result = await status_report(db, true(), day(3, 1), day(4, 1))
    assert result.rates.median_reply is None
    assert result.rates.checkins_sent == 0


async def test_the_median_runs_on_a_second_connection_with_the_same_report(
    database: Database,
) -> None:
    """The page gives the report two read sessions: the median's statements go through the
    second connection (beside the rest, on the first), and the numbers are the same."""
    await build(database)
    alone = await report(database)
    sent_on: dict[str, list[object]] = {}

    def capture(connection: object, _cursor: object, sql: str, *_: object) -> None:
        sent_on.setdefault(sql, []).append(connection)

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with database.read() as db, database.read() as second:
            first_connection = (await db.connection()).sync_connection
            second_connection = (await second.connection()).sync_connection
            together = await status_report(db, true(), START, END, second=second)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)

    assert together == alone
    median_sql = [sql for sql in sent_on if "answered_at" in sql]
    assert median_sql, "no statement read the answer times"
    for sql in median_sql:
        assert sent_on[sql] == [second_connection] * len(sent_on[sql]), sql
    others = [sql for sql in sent_on if "answered_at" not in sql and "BEGIN" not in sql]
    assert others and all(set(sent_on[sql]) == {first_connection} for sql in others)
