"""The status report per prison, per jobcentre and in total, the rates, and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.models import (
    Appointment,
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
    SiteKind,
)
from tests.integration.dashboard.desk import Desk

JAN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def _close(desk: Desk, participant: Participant, outcome: Outcome) -> None:
    async with desk.database.session() as db:
        await db.execute(
            update(Participant)
            .where(Participant.id == participant.id)
            .values(
                status=ParticipantStatus.CLOSED, outcome=outcome, closed_at=JAN + timedelta(days=3)
            )
        )


async def _checkin(desk: Desk, participant: Participant, *, answered: bool, hours: int) -> None:
    async with desk.database.session() as db:
        question = Message(
            direction=Direction.OUT,
            participant_id=participant.id,
            channel=ChannelKind.SMS,
            kind=MessageKind.CHECKIN,
            body="Hvordan går det?",
            status=MessageStatus.DELIVERED,
            sent_at=JAN,
            expects_reply=True,
        )
        db.add(question)
        await db.flush()
        if answered:
            reply = Message(
                direction=Direction.IN,
                participant_id=participant.id,
                channel=ChannelKind.SMS,
                kind=MessageKind.INBOUND,
                body="4",
                status=MessageStatus.RECEIVED,
                received_at=JAN + timedelta(hours=hours),
                intent="score",
                intent_value="4",
            )
            db.add(reply)
            await db.flush()
            # As the conversation service links an answer (handlers.answers).
            question.answered_by_id, question.answered_at = reply.id, reply.received_at


async def test_the_status_table_counts_outcomes_per_site_and_in_total(desk: Desk) -> None:
    nord = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    syd = await desk.site(SiteKind.PRISON, "Statsfængslet Syd")
    nordby = await desk.site(SiteKind.JOBCENTRE, "Jobcenter Nordby")
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    job = await desk.participant("Ole", prison=nord, jobcentre=nordby, enrolled_at=JAN)
    nothing = await desk.participant("Pia", prison=nord, enrolled_at=JAN)
    await desk.participant("Per", prison=nord, jobcentre=nordby, enrolled_at=JAN)
    gone = await desk.participant("Kim", prison=syd, enrolled_at=JAN)
    await _close(desk, job, Outcome.JOB)
    await _close(desk, nothing, Outcome.NO_VISIBLE_RESULT)
    await _close(desk, gone, Outcome.ABSCONDED)
    await _checkin(desk, job, answered=True, hours=2)
    await _checkin(desk, nothing, answered=True, hours=6)
    await _checkin(desk, gone, answered=False, hours=0)
    for confirmation, attendance in (
        (Confirmation.CONFIRMED, Attendance.ATTENDED),
        (Confirmation.PENDING, Attendance.MISSED),
    ):
        meeting = await desk.meeting(job, JAN + timedelta(days=1))
        async with desk.database.session() as db:
            await db.execute(
                update(Appointment)
                .where(Appointment.id == meeting.id)
                .values(confirmation=confirmation, attendance=attendance)
            )
    await desk.alert(gone)
    async with desk.signed_in(admin) as client:
        page = await client.get("/statistics?start=2026-01-01&end=2026-01-31")
        table = await client.get("/statistics.csv?start=2026-01-01&end=2026-01-31")
    assert page.status_code == 200
    rows = {(r["group"], r["site"]): r for r in csv.DictReader(io.StringIO(table.text))}
    total = rows[("total", "Total")]
    assert (total["referred"], total["active"], total["closed"]) == ("4", "1", "3")
    assert (total["closed_positive"], total["positive_pct"]) == ("1", "33.3")
    assert (total["no_visible_result"], total["other"]) == ("1", "1")
    north = rows[("prison", "Statsfængslet Nord")]
    assert (north["referred"], north["closed"], north["job"], north["other"]) == (
        "3",
        "2",
        "1",
        "0",
    )
    assert rows[("prison", "Statsfængslet Syd")]["other_pct"] == "100.0"
    assert rows[("jobcentre", "Jobcenter Nordby")]["referred"] == "2"
    assert 'id="reply-rate">66.7 % (2/3)' in page.text
    assert 'id="confirmation-rate">50.0 % (1/2)' in page.text
    assert 'id="attendance-rate">50.0 % (1/2)' in page.text
    assert "<svg" in page.text and 'class="seg-positive"' in page.text


async def test_a_period_before_anyone_enrolled_is_empty(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    await desk.participant("Ole", enrolled_at=JAN)
    async with desk.signed_in(admin) as client:
        table = await client.get("/statistics.csv?start=2025-01-01&end=2025-12-31")
    total = next(r for r in csv.DictReader(io.StringIO(table.text)) if r["group"] == "total")
    assert (total["referred"], total["active"], total["closed"], total["positive_pct"]) == (
        "0",
        "0",
        "0",
        "",
    )


async def test_statistics_count_only_the_consultants_scope_and_mentors_may_not(desk: Desk) -> None:
    nord = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    syd = await desk.site(SiteKind.PRISON, "Statsfængslet Syd")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent", [nord])
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    await desk.participant("Ole", prison=nord, enrolled_at=JAN)
    await desk.participant("Kim", prison=syd, enrolled_at=JAN)
    async with desk.signed_in(consultant) as client:
        table = await client.get("/statistics.csv?start=2026-01-01&end=2026-01-31")
    async with desk.signed_in(mentor) as client:
        refused = await client.get("/statistics")
    total = next(r for r in csv.DictReader(io.StringIO(table.text)) if r["group"] == "total")
    assert total["referred"] == "1"
    assert refused.status_code == 403
