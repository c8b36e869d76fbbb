"""A participant's timeline as CSV (formulas neutralised) and the report for the municipality."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from bot.models import Appointment, Attendance, AuditEvent, Role
from bot.services.exports import neutralise
from tests.integration.dashboard.desk import Desk


def test_cells_that_spreadsheets_would_run_are_neutralised() -> None:
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise("+4520304050") == "'+4520304050"
    assert neutralise("-1+1") == "'-1+1"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("Hej 1=1") == "Hej 1=1"
    assert neutralise(None) == ""


async def test_the_timeline_csv_neutralises_citizen_text_and_is_audited(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    participant = await desk.participant("Ole Olsen", consultant=consultant)
    await desk.inbound(participant, '=HYPERLINK("http://evil.example","ring")', intent="free_text")
    await desk.inbound(participant, "@SUM(1+1)")
    async with desk.signed_in(consultant) as client:
        response = await client.get(f"/participants/{participant.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    bodies = [row["body"] for row in csv.DictReader(io.StringIO(response.text)) if row["body"]]
    assert sorted(bodies) == ['\'=HYPERLINK("http://evil.example","ring")', "'@SUM(1+1)"]
    async with desk.database.read() as db:
        actions = (
            await db.scalars(
                select(AuditEvent.action).where(AuditEvent.participant_id == participant.id)
            )
        ).all()
    assert "exported" in actions


async def test_the_municipality_report_summarises_meetings_and_alerts(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    participant = await desk.participant("Ole Olsen", consultant=consultant, mentor=mentor)
    meeting = await desk.meeting(
        participant, desk.clock.now() + timedelta(hours=3), place="Søndergade 3"
    )
    async with desk.database.session() as db:
        await db.execute(
            update(Appointment)
            .where(Appointment.id == meeting.id)
            .values(attendance=Attendance.ATTENDED)
        )
    await desk.alert(participant)
    async with desk.signed_in(consultant) as client:
        report = await client.get(
            f"/participants/{participant.id}/report?start=2026-01-01&end=2026-01-31"
        )
    async with desk.signed_in(mentor) as client:
        refused = await client.get(f"/participants/{participant.id}/report")
    assert report.status_code == 200
    assert "Søndergade 3" in report.text
    assert "1 møder: 0 bekræftet, 1 mødt, 0 udeblevet." in report.text
    assert "intet svar" in report.text
    assert refused.status_code == 403
