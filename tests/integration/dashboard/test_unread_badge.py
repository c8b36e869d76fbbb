"""The inbox badge in every page's header: unread free text from the participants one follows."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import ColumnElement, or_, true

from bot.db import Database
from bot.models import Participant, SiteKind
from bot.services.staff_messages import unread_count_query
from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import build_world

_BADGE = re.compile(r'id="unread-badge"[^>]*>(\d+)<')


def badge(page: httpx.Response) -> int:
    """The number on the inbox link; 0 when there is no badge at all."""
    assert page.status_code == 200 and "<nav>" in page.text
    match = _BADGE.search(page.text)
    assert match is None or match.group(1) != "0", "a zero badge is shown"
    return int(match.group(1)) if match else 0


async def test_the_badge_counts_a_reply_when_it_arrives_and_drops_it_once_read(
    desk: Desk,
) -> None:
    world = await build_world(desk)
    phone = f"/participants/{world.mentee.id}/phone"
    async with desk.signed_in(world.mentor) as client:
        before = await client.get("/")
        # The citizen writes through the same conversation service as a real SMS.
        await desk.post_form(client, phone, {"text": "Jeg har fået en lejlighed!"})
        one = [await client.get(path) for path in ("/", "/participants", "/inbox")]
        await desk.post_form(client, phone, {"text": "Kan vi ses på torsdag?"})
        two = await client.get(f"/participants/{world.mentee.id}")
        await desk.post_form(client, phone, {"text": "4"})  # a plain answer: not for the inbox
        still_two = await client.get("/")
        await desk.post_form(client, "/inbox/read")
        read = await client.get("/")
    assert badge(before) == 0
    assert [badge(page) for page in one] == [1, 1, 1]
    assert badge(two) == 2 and badge(still_two) == 2
    assert badge(read) == 0


async def test_each_badge_counts_only_the_viewers_participants(desk: Desk) -> None:
    world = await build_world(desk)
    other_prison = await desk.site(SiteKind.PRISON, "Statsfængslet Øst")
    other_mentee = await desk.participant(
        "Per Persen", prison=other_prison, mentor=world.other_mentor
    )
    await desk.inbound(world.mentee, "Jeg har det svært i dag", intent="free_text")
    await desk.inbound(world.mentee, "Tak for i går")
    await desk.inbound(other_mentee, "Hvornår er mødet?", intent="free_text")
    await desk.inbound(other_mentee, "ja", intent="yes")
    counts: dict[str, int] = {}
    for role in ("admin", "consultant", "outsider", "mentor", "other_mentor"):
        async with desk.signed_in(world.by_role(role)) as client:
            counts[role] = badge(await client.get("/"))
    assert counts == {"admin": 3, "consultant": 2, "outsider": 0, "mentor": 2, "other_mentor": 1}


async def _plan(database: Database, scope: ColumnElement[bool]) -> str:
    """The plan of the badge's query as the app sends it: with bound parameters.

    PostgreSQL is asked for its generic plan (what a prepared statement settles on after a few
    runs), which cannot use a partial index whose condition hides behind a parameter.
    """
    engine = database.engine
    compiled = unread_count_query(scope).compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    async with database.read() as db:
        connection = await (await db.connection()).get_raw_connection()
        driver = connection.driver_connection
        assert driver is not None
        if engine.dialect.name == "sqlite":
            cursor = await driver.execute("EXPLAIN QUERY PLAN " + str(compiled), parameters)
            return "\n".join(str(row[-1]) for row in await cursor.fetchall())
        # Empty tables make a sequential scan cheapest; ask whether the index can serve at all.
        await driver.execute("SET LOCAL enable_seqscan = off")
        await driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await driver.execute("PREPARE unread_badge AS " + str(compiled))
        arguments = f"({', '.join(str(value) for value in parameters)})" if parameters else ""
        rows = await driver.fetch(f"EXPLAIN EXECUTE unread_badge{arguments}")
        await driver.execute("DEALLOCATE unread_badge")
        return "\n".join(str(row[0]) for row in rows)


async def test_the_count_reads_messages_through_an_index_never_the_whole_table(
    database: Database,
) -> None:
    # Everyone, one mentor's, a consultant's (their own, or two prisons', or a jobcentre's).
    consultant = or_(
        Participant.consultant_id == 3,
        Participant.prison_id.in_([1, 2]),
        Participant.jobcentre_id.in_([4]),
    )
    for scope in (true(), Participant.mentor_id == 7, consultant):
        plan = await _plan(database, scope)
        # Never the whole table, and on SQLite not every inbound message of every participant
        # in scope by ix_messages_inbound either (240 ms for a consultant at 100,000).
        assert "ix_messages_unread_inbox" in plan, plan
