"""Meetings from the timeline and the API: create, move, cancel, attendance; phone simulator."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.models import (
    Alert,
    AlertReason,
    Appointment,
    AppointmentStatus,
    Attendance,
    ChannelKind,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
)
from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import build_world


async def test_a_consultant_creates_moves_and_cancels_a_meeting(desk: Desk) -> None:
    world = await build_world(desk)
    pid = world.mentee.id
    async with desk.signed_in(world.consultant) as client:
        created = await desk.post_form(
            client,
            f"/participants/{pid}/meetings",
            {
                "kind": "jobcentre",
                "date": "2026-01-20",
                "time": "10:00",
                "place": "Jobcentret, Søndergade 3",
            },
        )
        async with desk.database.read() as db:
            meeting = await db.scalar(
                select(Appointment).where(
                    Appointment.participant_id == pid, Appointment.id != world.meeting.id
                )
            )
        assert created.status_code == 303 and meeting is not None
        # 10:00 Copenhagen winter time is 09:00 UTC.
        assert meeting.starts_at.isoformat() == "2026-01-20T09:00:00+00:00"
        moved = await desk.post_form(
            client,
            f"/participants/{pid}/meetings/{meeting.id}/move",
            {"date": "2026-01-21", "time": "13:30"},
        )
        cancelled = await desk.post_form(
            client, f"/participants/{pid}/meetings/{meeting.id}/cancel"
        )
    assert moved.status_code == 303 and cancelled.status_code == 303
    async with desk.database.read() as db:
        meeting = await db.get_one(Appointment, meeting.id)
        kinds = (
            await db.scalars(select(Message.kind).where(Message.appointment_id == meeting.id))
        ).all()
    assert meeting.status is AppointmentStatus.CANCELLED
    assert meeting.starts_at.isoformat() == "2026-01-21T12:30:00+00:00"
    assert {
        MessageKind.CONFIRMATION_REQUEST,
        MessageKind.MEETING_MOVED,
        MessageKind.MEETING_CANCELLED,
    } <= set(kinds)


async def test_a_sensitive_place_or_a_past_time_is_refused_with_the_reason(desk: Desk) -> None:
    world = await build_world(desk)
    pid = world.mentee.id
    async with desk.signed_in(world.consultant) as client:
        sensitive = await desk.post_form(
            client,
            f"/participants/{pid}/meetings",
            {
                "kind": "treatment",
                "date": "2026-01-20",
                "time": "10:00",
                "place": "Misbrugscenteret, Vestergade 2",
            },
        )
        past = await desk.post_form(
            client,
            f"/participants/{pid}/meetings",
            {
                "kind": "jobcentre",
                "date": "2025-01-20",
                "time": "10:00",
                "place": "Torvet 1",
            },
        )
        by_mentor_page = await client.get(f"/participants/{pid}")
    async with desk.signed_in(world.mentor) as client:
        by_mentor = await desk.post_form(
            client,
            f"/participants/{pid}/meetings",
            {
                "kind": "jobcentre",
                "date": "2026-01-20",
                "time": "10:00",
                "place": "Torvet 1",
            },
        )
    assert sensitive.status_code == 422 and "lock screen" in sensitive.text
    assert past.status_code == 422 and "future" in past.text
    assert by_mentor.status_code == 403
    assert 'id="new-meeting"' in by_mentor_page.text
    async with desk.database.read() as db:
        assert (await db.scalars(select(Appointment.id))).all() == [world.meeting.id]


async def test_a_missed_meeting_recorded_from_the_timeline_alerts_the_mentor(
    desk: Desk, clock: FakeClock
) -> None:
    world = await build_world(desk)
    meeting = await desk.meeting(world.mentee, clock.now() + timedelta(minutes=20))
    async with desk.signed_in(world.consultant) as client:
        early = await desk.post_form(
            client,
            f"/participants/{world.mentee.id}/meetings/{meeting.id}/attendance",
            {"attendance": "missed"},
        )
        clock.advance(timedelta(minutes=25))
        page = await client.get(f"/participants/{world.mentee.id}")
        missed = await desk.post_form(
            client,
            f"/participants/{world.mentee.id}/meetings/{meeting.id}/attendance",
            {"attendance": "missed"},
        )
    assert early.status_code == 422
    assert 'value="missed"' in page.text
    assert missed.status_code == 303
    async with desk.database.read() as db:
        recorded = await db.get_one(Appointment, meeting.id)
        alert = await db.scalar(select(Alert).where(Alert.appointment_id == meeting.id))
    assert recorded.attendance is Attendance.MISSED
    assert alert is not None and alert.reason is AlertReason.MISSED_MEETING


async def test_the_api_manages_meetings_with_the_same_rules(desk: Desk) -> None:
    world = await build_world(desk)
    consultant = {"Authorization": f"Bearer {await desk.token(world.consultant)}"}
    mentor = {"Authorization": f"Bearer {await desk.token(world.mentor)}"}
    other = {"Authorization": f"Bearer {await desk.token(world.other_mentor)}"}
    body = {
        "kind": "mentor",
        "starts_at": "2026-01-20T10:00:00+01:00",
        "place": "Caféen, Havnegade 4",
    }
    pid = world.mentee.id
    async with desk.client() as client:
        naive = await client.post(
            f"/api/participants/{pid}/meetings",
            headers=consultant,
            json={**body, "starts_at": "2026-01-20T10:00:00"},
        )
        refused = await client.post(f"/api/participants/{pid}/meetings", headers=mentor, json=body)
        created = await client.post(
            f"/api/participants/{pid}/meetings", headers=consultant, json=body
        )
        meeting_id = created.json()["id"]
        hidden = await client.get(f"/api/participants/{pid}/meetings", headers=other)
        moved = await client.post(
            f"/api/meetings/{meeting_id}/move",
            headers=consultant,
            json={"starts_at": "2026-01-22T09:00:00+01:00"},
        )
        foreign = await client.post(f"/api/meetings/{meeting_id}/cancel", headers=other)
        listed = await client.get(f"/api/participants/{pid}/meetings", headers=mentor)
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"] == ["body", "starts_at"]
    assert refused.status_code == 403
    assert created.status_code == 201 and created.json()["confirmation"] == "pending"
    assert hidden.status_code == 404 and foreign.status_code == 404
    assert moved.json()["starts_at"] == "2026-01-22T08:00:00Z"
    assert [m["id"] for m in listed.json()] == [world.meeting.id, meeting_id]


async def test_the_phone_simulator_replies_as_the_citizen(desk: Desk) -> None:
    world = await build_world(desk)  # the mentee's SMS is simulated: no Twilio credentials
    async with desk.signed_in(world.consultant) as client:
        page = await client.get(f"/participants/{world.mentee.id}")
        replied = await desk.post_form(
            client, f"/participants/{world.mentee.id}/phone", {"text": "Hej, det går godt"}
        )
        empty = await desk.post_form(
            client, f"/participants/{world.mentee.id}/phone", {"text": " "}
        )
    async with desk.signed_in(world.other_mentor) as client:
        foreign = await desk.post_form(
            client, f"/participants/{world.mentee.id}/phone", {"text": "x"}
        )
    assert 'id="phone"' in page.text
    assert replied.status_code == 303 and empty.status_code == 422 and foreign.status_code == 404
    async with desk.database.read() as db:
        inbound = (await db.scalars(select(Message).where(Message.direction == Direction.IN))).all()
    assert [(m.body, m.channel, m.participant_id, m.status) for m in inbound] == [
        ("Hej, det går godt", ChannelKind.SMS, world.mentee.id, MessageStatus.RECEIVED)
    ]


async def test_no_phone_simulator_for_a_live_channel(database, clock: FakeClock) -> None:
    from tests.integration.dashboard.desk import running_desk

    settings = {
        "twilio_account_sid": "AC00",
        "twilio_auth_token": "t",
        "twilio_from": "+4512345678",
        "twilio_api_url": "http://127.0.0.1:9",
    }
    async with running_desk(database, clock, **settings) as desk:
        world = await build_world(desk)
        async with desk.signed_in(world.consultant) as client:
            page = await client.get(f"/participants/{world.mentee.id}")
            refused = await desk.post_form(
                client, f"/participants/{world.mentee.id}/phone", {"text": "x"}
            )
    assert 'id="phone"' not in page.text
    assert refused.status_code == 404
