"""Message texts in the dashboard: an admin's own wording is checked, stored, audited, used by
the next message planned, and reset to the catalog's text (issue #6)."""

from __future__ import annotations

import html

from sqlalchemy import select

from bot import texts
from bot.app import Runtime
from bot.i18n import Catalogs
from bot.models import AuditEvent, Message, MessageKind, Role, Staff, TextOverride
from schedules.planner import plan_checkins
from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import build_world

CATALOGS = Catalogs.load()
CHECKIN = "/texts/CHECKIN_QUESTION"
OWN_CHECKIN = "Hej {name}! Hvordan har du det i dag, fra 1 til 5?"


def runtime(desk: Desk) -> Runtime:
    running: Runtime = desk.app.state.runtime
    return running


async def stored(desk: Desk) -> list[tuple[str, str, str]]:
    async with desk.database.read() as db:
        rows = await db.scalars(select(TextOverride).order_by(TextOverride.id))
        return [(row.name, row.language, row.text) for row in rows]


async def text_changes(desk: Desk) -> list[AuditEvent]:
    async with desk.database.read() as db:
        return list(
            await db.scalars(
                select(AuditEvent)
                .where(AuditEvent.purpose.like("message text %"))
                .order_by(AuditEvent.id)
            )
        )


async def planned_bodies(desk: Desk, kind: MessageKind) -> list[str]:
    async with desk.database.read() as db:
        rows = await db.scalars(select(Message).where(Message.kind == kind).order_by(Message.id))
        return [row.body or "" for row in rows]


async def plan_checkins_now(desk: Desk) -> None:
    """The planner tick, as the scheduler runs it, with the app's own catalogs."""
    running = runtime(desk)
    await plan_checkins(running.database, running.clock, running.rules, running.catalogs)


async def save(desk: Desk, admin: Staff, path: str, text: str, action: str = "save") -> str:
    async with desk.signed_in(admin) as client:
        response = await desk.post_form(client, path, {"text": text, "action": action})
    return f"{response.status_code} {response.text}"


async def test_the_list_shows_every_message_in_both_languages_with_its_purpose(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        page = await client.get("/texts")
    assert page.status_code == 200
    row = page.text.split('id="CHECKIN_QUESTION"')[1].split("</tr>")[0]
    assert "Check-in: hvordan går det, 1 til 5." in row  # the purpose, in Danish
    assert "Hej {name}. Hvordan går det, fra 1 (meget dårligt) til 5 (meget godt)?" in row
    assert "Hi {name}. How are things going, from 1 (very bad) to 5 (very good)?" in row
    assert "data-overridden" not in row and "standard" in row
    for name in ("CONSENT_REQUEST", "MEETING_REMINDER_24H", "HELP", "ALERT_NO_REPLY"):
        assert f'id="{name}"' in page.text


# (the admin's text, the rule's name and a word of the reason, as the Danish page shows them)
REFUSED = [
    ("Hej! Hvordan har du det, fra 1 til 5?", "Samme pladsholdere", "Pladsholdere mangler"),
    ("Hej {name} {alder}, fra 1 til 5?", "Samme pladsholdere", "{alder}"),
    ("Hej {name} \u2013 hvordan går det, 1 til 5?", "Kun GSM-7", "'\u2013'"),
    ("Hej {name}, svar på www.brobygger.dk, 1-5?", "Ingen links", "www."),
    ("Hej {name}. " + "Lang tekst. " * 13 + "1-5?", "Kan være i SMS'en", "højst 160"),
    ("Hej {name}, hvordan går det efter fængslet?", "Ingen følsomme ord", "fængslet"),
    ("Hej {name}, hvordan er det på Probation?", "Ingen følsomme ord", "Probation"),
    ("Hej {name}. Sover du? Spiser du?", "Ét spørgsmål, til sidst", "højst ét ?"),
]


async def test_each_rule_refuses_the_text_by_name_and_nothing_is_stored(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        for text, rule, detail in REFUSED:
            response = await desk.post_form(
                client, f"{CHECKIN}/da", {"text": text, "action": "save"}
            )
            assert response.status_code == 422, text
            problems = response.text.split('class="error problems"')[1].split("</ul>")[0]
            assert f"{rule}: " in html.unescape(problems), text
            assert detail in html.unescape(problems), text
    assert await stored(desk) == [] and await text_changes(desk) == []
    assert runtime(desk).catalogs.text("da", texts.CHECKIN_QUESTION) == CATALOGS.catalog_text(
        "da", texts.CHECKIN_QUESTION
    )


async def test_a_saved_danish_text_is_what_the_next_check_in_says(desk: Desk) -> None:
    world = await build_world(desk)  # Ole Olsen: Danish, released 1 February, consented
    response = await save(desk, world.admin, f"{CHECKIN}/da", OWN_CHECKIN)
    assert response.startswith("303 ")

    await plan_checkins_now(desk)

    bodies = await planned_bodies(desk, MessageKind.CHECKIN)
    assert bodies and set(bodies) == {"Hej Ole! Hvordan har du det i dag, fra 1 til 5?"}
    assert await stored(desk) == [("CHECKIN_QUESTION", "da", OWN_CHECKIN)]
    [change] = await text_changes(desk)
    assert (change.staff_id, change.action, change.purpose) == (
        world.admin.id,
        "changed",
        "message text CHECKIN_QUESTION",
    )
    assert change.detail == {
        "text": "CHECKIN_QUESTION",
        "language": "da",
        "before": None,
        "after": OWN_CHECKIN,
    }
    # English keeps the catalog's wording.
    assert (
        runtime(desk)
        .catalogs.render("en", texts.CHECKIN_QUESTION, name="Ole")
        .startswith("Hi Ole. How are things going")
    )


async def test_a_meeting_created_after_the_change_asks_in_the_new_words(desk: Desk) -> None:
    world = await build_world(desk)
    own = "Du skal til {kind_label} {date} kl. {time}, {place}. Passer det?"
    assert (
        await save(desk, world.admin, "/texts/MEETING_CONFIRMATION_REQUEST/da", own)
    ).startswith("303 ")
    meeting = {"kind": "jobcentre", "date": "2026-01-20", "time": "10:00", "place": "Torvet 1"}
    async with desk.signed_in(world.consultant) as client:
        created = await desk.post_form(client, f"/participants/{world.mentee.id}/meetings", meeting)
    assert created.status_code == 303
    assert await planned_bodies(desk, MessageKind.CONFIRMATION_REQUEST) == [
        "Du skal til møde på jobcentret tirsdag den 20. januar kl. 10.00, Torvet 1. Passer det?"
    ]


async def test_reset_brings_back_the_catalog_text(desk: Desk) -> None:
    world = await build_world(desk)
    await save(desk, world.admin, f"{CHECKIN}/da", OWN_CHECKIN)
    async with desk.signed_in(world.admin) as client:
        reset = await desk.post_form(client, f"{CHECKIN}/da/reset")
        page = await client.get(reset.headers["location"])
    assert reset.status_code == 303
    assert "Teksten er tilbage til standardteksten." in page.text
    assert await stored(desk) == []

    await plan_checkins_now(desk)

    catalog = CATALOGS.render("da", texts.CHECKIN_QUESTION, name="Ole")
    assert set(await planned_bodies(desk, MessageKind.CHECKIN)) == {catalog}
    saved, undone = await text_changes(desk)
    assert undone.staff_id == world.admin.id
    assert (saved.detail or {})["after"] == OWN_CHECKIN
    assert undone.detail == {
        "text": "CHECKIN_QUESTION",
        "language": "da",
        "before": OWN_CHECKIN,
        "after": None,
    }
    history = page.text.split('id="history"')[1]
    assert "Anna Admin" in history and "tilbage til standardteksten" in history


async def test_saving_the_catalogs_own_wording_is_a_reset(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    await save(desk, admin, f"{CHECKIN}/da", OWN_CHECKIN)
    await save(desk, admin, f"{CHECKIN}/da", CATALOGS.catalog_text("da", texts.CHECKIN_QUESTION))
    assert await stored(desk) == []
    assert [(e.detail or {})["after"] for e in await text_changes(desk)] == [OWN_CHECKIN, None]


async def test_preview_shows_the_sms_with_sample_values_and_stores_nothing(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    response = await save(desk, admin, f"{CHECKIN}/da", OWN_CHECKIN, action="preview")
    assert response.startswith("200 ")
    preview = response.split('data-preview="da">')[1].split("</div>")[0]
    # A question by SMS carries its reply hint.
    assert preview == "Hej Mohammed! Hvordan har du det i dag, fra 1 til 5? Svar 1-5."
    assert "62 / 160" in response
    assert await stored(desk) == [] and await text_changes(desk) == []


async def test_a_text_form_without_its_csrf_token_is_refused(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        save = await client.post(f"{CHECKIN}/da", data={"text": OWN_CHECKIN, "action": "save"})
        reset = await client.post(f"{CHECKIN}/da/reset", data={})
    assert (save.status_code, reset.status_code) == (403, 403)
    assert await stored(desk) == []


async def test_an_unknown_message_or_language_is_not_found(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    async with desk.signed_in(admin) as client:
        unknown = await client.get("/texts/NO_SUCH_TEXT")
        fragment = await client.get("/texts/BUTTON_YES")
        german = await desk.post_form(client, f"{CHECKIN}/de", {"text": "x", "action": "save"})
    assert (unknown.status_code, fragment.status_code, german.status_code) == (404, 404, 404)
