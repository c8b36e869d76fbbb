"""The admin's privacy pages: access history, export per citizen and erasure (issue #8)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, true

from bot.models import Address, AuditEvent, Participant
from bot.services.erasure import erased_name
from bot.services.statistics import Report, status_report
from bot.services.subject_export import export_participant
from tests.integration.dashboard.desk import Desk, csrf_of
from tests.integration.dashboard.world import build_world


async def _phones(desk: Desk, participant: Participant) -> list[str]:
    async with desk.database.read() as db:
        return list(
            await db.scalars(
                select(Address.address).where(Address.participant_id == participant.id)
            )
        )


async def _audit(desk: Desk, participant: Participant, action: str) -> list[AuditEvent]:
    async with desk.database.read() as db:
        return list(
            await db.scalars(
                select(AuditEvent).where(
                    AuditEvent.participant_id == participant.id, AuditEvent.action == action
                )
            )
        )


async def _report(desk: Desk) -> Report:
    now = desk.clock.now()
    async with desk.database.read() as db:
        return await status_report(db, true(), now - timedelta(days=30), now + timedelta(days=30))


async def test_admin_sees_the_access_history_including_an_earlier_view(desk: Desk) -> None:
    world = await build_world(desk)
    async with desk.signed_in(world.consultant) as client:
        assert (await client.get(f"/participants/{world.mentee.id}")).status_code == 200
    async with desk.signed_in(world.admin) as client:
        timeline = await client.get(f"/participants/{world.mentee.id}")
        assert f"/participants/{world.mentee.id}/access-history" in timeline.text
        assert "Adgangshistorik" in timeline.text
        page = await client.get(f"/participants/{world.mentee.id}/access-history")
    assert page.status_code == 200
    table = page.text.split('id="access-history"')[1]
    assert "Karin Konsulent" in table  # the consultant's earlier view of the timeline
    assert "timeline" in table
    views = await _audit(desk, world.mentee, "viewed")
    assert [e.staff_id for e in views if e.purpose == "access history"] == [world.admin.id]


async def test_the_export_download_holds_the_participant_and_no_one_else(desk: Desk) -> None:
    world = await build_world(desk)
    other = await desk.participant("Bente Bentsen", mentor=world.mentor)
    await desk.inbound(world.mentee, "<script>alert(1)</script> jeg kommer")
    await desk.inbound(other, "Bentes egen besked")
    (phone,) = await _phones(desk, world.mentee)
    (other_phone,) = await _phones(desk, other)
    async with desk.signed_in(world.admin) as client:
        download = await client.get(f"/participants/{world.mentee.id}/subject-export.json")
        summary = await client.get(f"/participants/{world.mentee.id}/subject-export.html")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["cache-control"] == "no-store"
    document = json.loads(download.text)
    assert document["participant_id"] == world.mentee.id
    assert document["profile"]["name"] == "Ole Olsen"
    assert phone in download.text
    assert "jeg kommer" in download.text
    for text in ("Bente", other_phone):
        assert text not in download.text
    assert {m["participant_id"] for m in document["records"]["messages"]} == {world.mentee.id}
    assert summary.status_code == 200
    assert "default-src 'self'" in summary.headers["content-security-policy"]
    assert "Ole Olsen" in summary.text
    assert "<script>alert(1)</script>" not in summary.text
    assert "&lt;script&gt;" in summary.text
    exports = await _audit(desk, world.mentee, "exported")
    assert [e.staff_id for e in exports] == [world.admin.id, world.admin.id]
    assert await _audit(desk, other, "exported") == []


async def test_erasure_needs_confirmation_then_keeps_only_anonymous_counts(desk: Desk) -> None:
    world = await build_world(desk)
    mentee = world.mentee
    (phone,) = await _phones(desk, mentee)
    path = f"/participants/{mentee.id}/erase"
    async with desk.signed_in(world.admin) as client:
        await desk.post_form(client, f"/participants/{mentee.id}/close", {"outcome": "job"})
        before = await _report(desk)

        forged = await client.post(path, data={"confirm_id": str(mentee.id)})
        assert forged.status_code == 403
        form = await client.get(path)
        assert form.status_code == 200
        unconfirmed = await client.post(
            path, data={"csrf_token": csrf_of(form.text), "confirm_id": ""}
        )
        assert unconfirmed.status_code == 422
        assert "Intet blev slettet" in unconfirmed.text
        wrong = await desk.post_form(client, path, {"confirm_id": str(world.alert.id + 999)})
        assert wrong.status_code == 422
        assert await _phones(desk, mentee) == [phone]
        assert await _audit(desk, mentee, "erased") == []

        erased = await desk.post_form(client, path, {"confirm_id": str(mentee.id)})
        assert erased.status_code == 303
        listing = await client.get(erased.headers["location"])
        assert "Deltageren er slettet (anonymiseret)." in listing.text
        assert "Ole Olsen" not in listing.text
        assert (await client.get(f"/participants/{mentee.id}")).status_code == 404

    assert await _phones(desk, mentee) == []
    async with desk.database.read() as db:
        document = await export_participant(db, mentee.id, desk.clock.now())
    assert document["profile"]["name"] == erased_name(mentee.id)
    assert "Ole Olsen" not in json.dumps(document)
    assert phone not in json.dumps(document)
    after = await _report(desk)
    assert (after.total, after.rates) == (before.total, before.rates)
    (event,) = await _audit(desk, mentee, "erased")
    assert event.staff_id == world.admin.id
