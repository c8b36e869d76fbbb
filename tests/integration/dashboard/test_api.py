"""The JSON API with bearer tokens: scope, validation errors by field, and the OpenAPI schema."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.models import (
    Alert,
    ApiToken,
    ChannelKind,
    MessageKind,
    MessageStatus,
    Role,
    SiteKind,
    Staff,
)
from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import build_world


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_the_api_needs_a_valid_token(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    token = await desk.token(consultant)
    async with desk.client() as client:
        assert (await client.get("/api/me")).status_code == 401
        assert (await client.get("/api/me", headers=bearer("bby_guessed"))).status_code == 401
        me = await client.get("/api/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["email"] == consultant.email
    async with desk.database.read() as db:
        stored = (await db.scalars(select(ApiToken.token_hash))).all()
    assert token not in stored  # only the hash is kept


async def test_a_disabled_account_or_revoked_token_stops_at_once(desk: Desk) -> None:
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    mentor_token, consultant_token = await desk.token(mentor), await desk.token(consultant)
    async with desk.database.session() as db:
        await db.execute(update(Staff).where(Staff.id == mentor.id).values(active=False))
        await db.execute(
            update(ApiToken)
            .where(ApiToken.staff_id == consultant.id)
            .values(revoked_at=desk.clock.now())
        )
    async with desk.client() as client:
        assert (await client.get("/api/me", headers=bearer(mentor_token))).status_code == 401
        assert (await client.get("/api/me", headers=bearer(consultant_token))).status_code == 401


async def test_a_consultant_creates_and_updates_a_participant(desk: Desk) -> None:
    prison = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent", [prison])
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    token = await desk.token(consultant)
    async with desk.client() as client:
        created = await client.post(
            "/api/participants",
            headers=bearer(token),
            json={
                "name": "Ole Olsen",
                "phone": "20304050",
                "prison_id": prison.id,
                "mentor_id": mentor.id,
                "release_date": "2026-02-01",
            },
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["addresses"] == [
            {"channel": "sms", "address": "+4520304050", "status": "active"}
        ]
        changed = await client.put(
            f"/api/participants/{body['id']}",
            headers=bearer(token),
            json={
                "name": "Ole B. Olsen",
                "phone": "20304050",
                "prison_id": prison.id,
            },
        )
        listed = await client.get("/api/participants?q=ole", headers=bearer(token))
    assert changed.status_code == 200 and changed.json()["name"] == "Ole B. Olsen"
    assert [p["id"] for p in listed.json()] == [body["id"]]


async def test_validation_errors_are_422_with_the_field_name(desk: Desk) -> None:
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent")
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    token = await desk.token(consultant)
    async with desk.client() as client:
        bad_phone = await client.post(
            "/api/participants", headers=bearer(token), json={"name": "Ole", "phone": "12"}
        )
        bad_mentor = await client.post(
            "/api/participants",
            headers=bearer(token),
            json={
                "name": "Ole",
                "phone": "20304050",
                "mentor_id": consultant.id,
            },
        )
        good_mentor = await client.post(
            "/api/participants",
            headers=bearer(token),
            json={
                "name": "Ole",
                "phone": "20304050",
                "mentor_id": mentor.id,
            },
        )
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"] == ["body", "phone"]
    assert bad_mentor.status_code == 422
    assert bad_mentor.json()["detail"][0]["loc"] == ["body", "mentor_id"]
    assert good_mentor.status_code == 201


async def test_timeline_outcome_message_and_acknowledge(desk: Desk) -> None:
    world = await build_world(desk)
    await desk.inbound(world.mentee, "Jeg kommer lidt senere", intent="free_text")
    mentor_token = await desk.token(world.mentor)
    consultant_token = await desk.token(world.consultant)
    async with desk.client() as client:
        timeline = await client.get(
            f"/api/participants/{world.mentee.id}/timeline", headers=bearer(mentor_token)
        )
        written = await client.post(
            f"/api/participants/{world.mentee.id}/messages",
            headers=bearer(mentor_token),
            json={"body": "Hej Ole, hvordan går det?"},
        )
        acknowledged = await client.post(
            f"/api/alerts/{world.alert.id}/acknowledge", headers=bearer(mentor_token)
        )
        mentor_closes = await client.post(
            f"/api/participants/{world.mentee.id}/outcome",
            headers=bearer(mentor_token),
            json={"outcome": "job"},
        )
        closed = await client.post(
            f"/api/participants/{world.mentee.id}/outcome",
            headers=bearer(consultant_token),
            json={"outcome": "job"},
        )
    assert timeline.status_code == 200
    assert {e["type"] for e in timeline.json()["entries"]} >= {"message_in", "alert", "enrolled"}
    assert written.status_code == 201
    assert acknowledged.json() == {"alert_id": world.alert.id, "acknowledged": True}
    assert mentor_closes.status_code == 403
    assert closed.json()["outcome"] == "job" and closed.json()["status"] == "closed"
    message = await desk.wait_for_status(written.json()["message_id"], MessageStatus.DELIVERED)
    async with desk.database.read() as db:
        alert = await db.get_one(Alert, world.alert.id)
    assert (message.kind, message.author_id, message.channel) == (
        MessageKind.STAFF_MESSAGE,
        world.mentor.id,
        ChannelKind.SMS,  # the mentee's channel (simulated here: no Twilio credentials)
    )
    assert alert.acknowledged_by_id == world.mentor.id


async def test_the_openapi_schema_lists_the_endpoints_with_bearer_auth(desk: Desk) -> None:
    async with desk.client() as client:
        schema = (await client.get("/api/openapi.json")).json()
    assert "/api/participants" in schema["paths"]
    assert "/api/participants/{participant_id}/timeline" in schema["paths"]
    assert "/api/alerts/{alert_id}/acknowledge" in schema["paths"]
    assert not any(path.startswith("/participants") for path in schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
