"""Export per citizen: every row about that participant, nothing about anyone else."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db import Database
from bot.models import AuditEvent
from bot.services.subject_export import (
    export_and_record,
    participant_tables,
    render_html,
    to_json,
)
from tests.privacy_scenario import seed_two


async def test_export_holds_every_tables_rows_for_that_participant_and_nothing_of_others(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, second, mentor = await seed_two(session, clock.now())
    async with database.session() as session:
        document = await export_and_record(
            session, first.id, clock.now(), staff_id=mentor.id, purpose="CLI participant export"
        )
    exported = json.loads(to_json(document))

    async with database.read() as session:
        for table in participant_tables():
            ids = await session.scalars(
                select(table.c.id).where(table.c.participant_id == first.id)
            )
            expected = sorted(ids)
            assert expected, f"the scenario has rows in {table.name}"
            assert sorted(row["id"] for row in exported["records"][table.name]) == expected
    assert set(exported["records"]) == {t.name for t in participant_tables()}
    assert all(
        row["participant_id"] == first.id for rows in exported["records"].values() for row in rows
    )
    others = exported["other_messages_about_them"]
    assert [m["id"] for m in others] == list(first.unlinked_ids)
    # The mentor's number is not theirs; their own number as an unknown sender is.
    assert ["address" in m for m in others] == [False, False, True]
    assert exported["profile"]["name"] == first.name
    assert exported["profile"]["prison"] == "Fængsel Nord"

    text = to_json(document)
    for value in (first.phone, first.chat_id, *first.texts, first.note, first.place):
        assert value in text, value
    for value in (second.name, second.phone, second.chat_id, second.texts[2], second.place):
        assert value not in text, value
    assert "Mona Mentorsen" not in text and "mentor.m@example.org" not in text

    # The access history has dates and purposes, no staff, and includes this export.
    assert [(e["action"], e["purpose"]) for e in exported["access_history"]] == [
        ("viewed", "GET /participants/{id}"),
        ("exported", "CLI participant export"),
    ]
    assert all(set(entry) == {"at", "action", "purpose"} for entry in exported["access_history"])
    async with database.read() as session:
        row = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "exported"))
        ).one()
    assert (row.participant_id, row.staff_id) == (first.id, mentor.id)


async def test_the_html_summary_is_readable_and_escapes_the_citizens_words(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, _second, _mentor = await seed_two(session, clock.now())
    async with database.session() as session:
        document = await export_and_record(
            session, first.id, clock.now(), staff_id=None, purpose="test"
        )
    document["records"]["messages"][0]["body"] = "<script>alert(1)</script>"
    html = render_html(document)
    assert f"Oplysninger om {first.name}" in html
    assert first.texts[2] in html and first.phone in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "adgangshistorik" in html
    assert f"{first.name} har det skidt" in html  # the notice their mentor got
