"""Participants on the dashboard: create with validation, edit, list filters, timeline, close."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.models import (
    Address,
    AuditEvent,
    ChannelKind,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    Participant,
    ParticipantStatus,
    Role,
    SiteKind,
)
from bot.outbox import Planned, plan
from tests.integration.dashboard.desk import Desk


async def test_a_consultant_creates_a_participant_with_a_danish_number(desk: Desk) -> None:
    prison = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent", [prison])
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    async with desk.signed_in(consultant) as client:
        response = await desk.post_form(
            client,
            "/participants/new",
            {
                "name": "Ole Olsen",
                "language": "da",
                "channel": "sms",
                "phone": "20 30 40 50",
                "prison_id": str(prison.id),
                "mentor_id": str(mentor.id),
                "release_date": "2026-02-01",
            },
        )
        assert response.status_code == 303
        timeline = await client.get(response.headers["location"])
    assert "Ole Olsen" in timeline.text
    async with desk.database.read() as db:
        participant = await db.scalar(select(Participant).where(Participant.name == "Ole Olsen"))
        assert participant is not None
        assert participant.consultant_id == consultant.id
        assert participant.release_date == date(2026, 2, 1)
        assert [(a.channel, a.address) for a in participant.addresses] == [
            (ChannelKind.SMS, "+4520304050")
        ]
        audit = await db.scalar(
            select(AuditEvent.action).where(AuditEvent.participant_id == participant.id)
        )
    assert audit == "created"


async def test_bad_input_is_shown_by_field_and_nothing_is_saved(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    other_consultant = await desk.staff(Role.CONSULTANT, "Kurt Konsulent")
    cases = [
        ({"name": "Ole", "phone": "12"}, "error-phone"),
        ({"name": "Ole", "phone": "20304050", "release_date": "2199-01-01"}, "error-release_date"),
        (
            {"name": "Ole", "phone": "20304050", "mentor_id": str(other_consultant.id)},
            "error-mentor_id",
        ),
        ({"name": "", "phone": "20304050"}, "error-name"),
        ({"name": "Ole", "channel": "sms"}, "error-phone"),
    ]
    async with desk.signed_in(consultant) as client:
        for data, marker in cases:
            response = await desk.post_form(client, "/participants/new", data)
            assert response.status_code == 422, data
            assert f'id="{marker}"' in response.text, data
    async with desk.database.read() as db:
        assert (await db.scalars(select(Participant))).all() == []


async def test_a_number_belongs_to_one_participant(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    ole = {"name": "Ole", "phone": "20304050", "mentor_id": str(mentor.id)}
    per = {"name": "Per", "phone": "+4520304050", "mentor_id": str(mentor.id)}
    async with desk.signed_in(consultant) as client:
        first = await desk.post_form(client, "/participants/new", ole)
        second = await desk.post_form(client, "/participants/new", per)
    assert first.status_code == 303
    assert second.status_code == 422 and 'id="error-phone"' in second.text


async def test_editing_changes_the_details_and_the_number(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    participant = await desk.participant("Ole Olsen", consultant=consultant)
    async with desk.signed_in(consultant) as client:
        response = await desk.post_form(
            client,
            f"/participants/{participant.id}/edit",
            {
                "name": "Ole B. Olsen",
                "channel": "sms",
                "phone": "+45 31 32 33 34",
                "release_date": "2026-05-05",
            },
        )
    assert response.status_code == 303
    async with desk.database.read() as db:
        changed = await db.get_one(Participant, participant.id)
        numbers = (
            await db.scalars(
                select(Address.address).where(Address.participant_id == participant.id)
            )
        ).all()
    assert changed.name == "Ole B. Olsen"
    assert changed.release_date == date(2026, 5, 5)
    assert numbers == ["+4531323334"]


async def test_the_list_searches_and_filters(desk: Desk) -> None:
    prison = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    soon = await desk.participant(
        "Ole Olsen", prison=prison, mentor=mentor, release_date=date(2026, 1, 20)
    )
    later = await desk.participant("Pia Hansen", release_date=date(2026, 9, 1))
    async with desk.signed_in(admin) as client:

        async def names(query: str) -> set[str]:
            page = (await client.get("/participants?" + query)).text
            return {p.name for p in (soon, later) if f'/participants/{p.id}"' in page}

        assert await names("") == {"Ole Olsen", "Pia Hansen"}
        assert await names("q=pia") == {"Pia Hansen"}
        assert await names(f"site={prison.id}") == {"Ole Olsen"}
        assert await names(f"mentor={mentor.id}") == {"Ole Olsen"}
        assert await names("released_from=2026-06-01") == {"Pia Hansen"}
        assert await names("released_to=2026-02-01&status=active") == {"Ole Olsen"}
        assert await names("status=closed") == set()


async def test_the_list_finds_a_participant_by_a_whole_phone_number(desk: Desk) -> None:
    """Numbers are encrypted, so a whole number (any Danish spelling) is found by its hash."""
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    ole = await desk.participant("Ole Olsen")
    await desk.participant("Pia Hansen")
    async with desk.database.read() as db:
        number = await db.scalar(select(Address.address).where(Address.participant_id == ole.id))
    assert number is not None and number.startswith("+45")
    spaced = " ".join(number[3 + i : 5 + i] for i in range(0, 8, 2))
    async with desk.signed_in(admin) as client:
        for query in (number, spaced, "0045" + number[3:]):
            page = (await client.get("/participants", params={"q": query})).text
            assert f'/participants/{ole.id}"' in page, query
            assert "Pia Hansen" not in page, query


async def test_the_timeline_shows_messages_meetings_alerts_and_escapes_citizen_text(
    desk: Desk,
) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    participant = await desk.participant("Ole Olsen", consultant=consultant)
    await desk.inbound(participant, "<script>alert(1)</script>", intent="free_text")
    await desk.meeting(participant, desk.clock.now() + timedelta(days=2), place="Søndergade 3")
    await desk.alert(participant)
    async with desk.signed_in(consultant) as client:
        page = await client.get(f"/participants/{participant.id}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Søndergade 3" in page.text
    assert 'class="entry entry-alert"' in page.text
    assert 'class="entry entry-meeting"' in page.text


async def test_a_planned_message_can_be_cancelled_from_the_timeline(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    participant = await desk.participant("Ole Olsen", consultant=consultant)
    async with desk.database.session() as db:
        message_id = await plan(
            db,
            Planned(
                kind=MessageKind.CHECKIN,
                body="Hvordan går det?",
                participant_id=participant.id,
                due_at=desk.clock.now() + timedelta(days=1),
                dedupe_key="test:checkin:1",
            ),
        )
    async with desk.signed_in(consultant) as client:
        page = await client.get(f"/participants/{participant.id}")
        assert f"/planned/{message_id}/cancel" in page.text
        response = await desk.post_form(
            client, f"/participants/{participant.id}/planned/{message_id}/cancel"
        )
        again = await desk.post_form(
            client, f"/participants/{participant.id}/planned/{message_id}/cancel"
        )
    assert response.status_code == 303
    assert again.status_code == 404
    async with desk.database.read() as db:
        assert (await db.get_one(Message, message_id)).status is MessageStatus.CANCELLED


async def test_closing_records_the_outcome(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    participant = await desk.participant("Ole Olsen", consultant=consultant)
    async with desk.signed_in(consultant) as client:
        bad = await desk.post_form(
            client, f"/participants/{participant.id}/close", {"outcome": "won the lottery"}
        )
        good = await desk.post_form(
            client,
            f"/participants/{participant.id}/close",
            {"outcome": "education", "note": "SOSU"},
        )
    assert bad.status_code == 422
    assert good.status_code == 303
    async with desk.database.read() as db:
        closed = await db.get_one(Participant, participant.id)
    assert closed.status is ParticipantStatus.CLOSED
    assert closed.outcome is Outcome.EDUCATION
    assert closed.closed_at == desk.clock.now()
