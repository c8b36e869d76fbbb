"""The admin's site pages: create, rename, and delete only what nobody uses."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import AuditEvent, Role, Site, SiteKind
from tests.integration.dashboard.desk import Desk


async def sites(desk: Desk) -> dict[str, tuple[SiteKind, str | None]]:
    async with desk.database.read() as db:
        return {s.name: (s.kind, s.municipality) for s in await db.scalars(select(Site))}


async def site_audit(desk: Desk) -> list[tuple[str, int]]:
    async with desk.database.read() as db:
        rows = await db.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(r.action, r.detail["site_id"]) for r in rows if r.detail and "site_id" in r.detail]


async def test_an_admin_creates_a_prison_and_a_jobcentre(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        prison = await desk.post_form(
            client, "/sites/new", {"kind": "prison", "name": "Statsfængslet Nord"}
        )
        jobcentre = await desk.post_form(
            client,
            "/sites/new",
            {"kind": "jobcentre", "name": "Jobcenter Åby", "municipality": "Åby Kommune"},
        )
        listed = await client.get("/sites")
    assert prison.status_code == jobcentre.status_code == 303
    assert await sites(desk) == {
        "Statsfængslet Nord": (SiteKind.PRISON, None),
        "Jobcenter Åby": (SiteKind.JOBCENTRE, "Åby Kommune"),
    }
    assert "Jobcenter Åby" in listed.text and "Åby Kommune" in listed.text
    assert [action for action, _ in await site_audit(desk)] == ["created", "created"]


async def test_bad_site_input_gets_a_clear_message(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    async with desk.signed_in(admin) as client:
        same_name = await desk.post_form(
            client, "/sites/new", {"kind": "prison", "name": "statsfængslet nord"}
        )
        prison_municipality = await desk.post_form(
            client, "/sites/new", {"kind": "prison", "name": "Syd", "municipality": "Syd"}
        )
        no_name = await desk.post_form(client, "/sites/new", {"kind": "jobcentre"})
    assert same_name.status_code == 422
    assert 'id="error-name">et sted af denne type har allerede dette navn<' in same_name.text
    assert prison_municipality.status_code == 422
    assert 'id="error-municipality">kun et jobcenter har en kommune<' in prison_municipality.text
    assert no_name.status_code == 422 and 'id="error-name">skal udfyldes<' in no_name.text
    assert list(await sites(desk)) == ["Statsfængslet Nord"]


async def test_an_admin_renames_a_jobcentre_and_changes_its_municipality(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    jobcentre = await desk.site(SiteKind.JOBCENTRE, "Jobcenter Åby")
    async with desk.signed_in(admin) as client:
        form = await client.get(f"/sites/{jobcentre.id}/edit")
        changed = await desk.post_form(
            client,
            f"/sites/{jobcentre.id}/edit",
            {"kind": "prison", "name": "Jobcenter Nyby", "municipality": "Nyby Kommune"},
        )
    assert 'value="Jobcenter Åby"' in form.text
    assert changed.status_code == 303
    # The kind is not editable: a posted kind is ignored, the jobcentre stays a jobcentre.
    assert await sites(desk) == {"Jobcenter Nyby": (SiteKind.JOBCENTRE, "Nyby Kommune")}
    assert await site_audit(desk) == [("changed", jobcentre.id)]


async def test_a_site_in_use_is_not_deleted_and_an_unused_one_is(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    prison = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    covered = await desk.site(SiteKind.JOBCENTRE, "Jobcenter Åby")
    unused = await desk.site(SiteKind.JOBCENTRE, "Jobcenter Vestby")
    await desk.participant("Ole Olsen", prison=prison)
    await desk.staff(Role.CONSULTANT, "Karin Konsulent", [covered])
    async with desk.signed_in(admin) as client:
        by_participant = await desk.post_form(client, f"/sites/{prison.id}/delete")
        by_staff = await desk.post_form(client, f"/sites/{covered.id}/delete")
        deleted = await desk.post_form(client, f"/sites/{unused.id}/delete")
        again = await desk.post_form(client, f"/sites/{unused.id}/delete")
    assert by_participant.status_code == 409
    assert "Stedet er stadig i brug (deltagere: 1, medarbejdere: 0)" in by_participant.text
    assert "intet blev slettet" in by_participant.text
    assert by_staff.status_code == 409
    assert "Stedet er stadig i brug (deltagere: 0, medarbejdere: 1)" in by_staff.text
    assert deleted.status_code == 303 and again.status_code == 404
    assert sorted(await sites(desk)) == ["Jobcenter Åby", "Statsfængslet Nord"]
    assert await site_audit(desk) == [("deleted", unused.id)]


async def test_site_forms_need_their_csrf_token(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    unused = await desk.site(SiteKind.JOBCENTRE, "Jobcenter Vestby")
    async with desk.signed_in(admin) as client:
        created = await client.post("/sites/new", data={"kind": "prison", "name": "Syd"})
        deleted = await client.post(f"/sites/{unused.id}/delete", data={"csrf_token": "forged"})
    assert (created.status_code, deleted.status_code) == (403, 403)
    assert list(await sites(desk)) == ["Jobcenter Vestby"]
