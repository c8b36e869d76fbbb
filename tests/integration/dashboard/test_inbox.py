"""Staff write to a participant from the timeline; the inbox shows what citizens wrote."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import ChannelKind, Message, MessageKind, MessageStatus
from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import build_world


async def test_a_mentor_writes_to_a_mentee_through_the_outbox(desk: Desk) -> None:
    world = await build_world(desk)
    async with desk.signed_in(world.mentor) as client:
        sent = await desk.post_form(
            client, f"/participants/{world.mentee.id}/messages", {"body": "Hej Ole!"}
        )
        empty = await desk.post_form(
            client, f"/participants/{world.mentee.id}/messages", {"body": "  "}
        )
        timeline = await client.get(f"/participants/{world.mentee.id}")
    async with desk.signed_in(world.other_mentor) as client:
        foreign = await desk.post_form(
            client, f"/participants/{world.mentee.id}/messages", {"body": "Hej"}
        )
    assert sent.status_code == 303
    assert empty.status_code == 422
    assert foreign.status_code == 404
    async with desk.database.read() as db:
        messages = (
            await db.scalars(select(Message).where(Message.kind == MessageKind.STAFF_MESSAGE))
        ).all()
    assert [(m.body, m.author_id, m.participant_id) for m in messages] == [
        ("Hej Ole!", world.mentor.id, world.mentee.id)
    ]
    delivered = await desk.wait_for_status(messages[0].id, MessageStatus.DELIVERED)
    assert delivered.channel is ChannelKind.SMS
    assert "Hej Ole!" in timeline.text and "Mads Mentor" in timeline.text


async def test_the_inbox_marks_new_free_text_until_read(desk: Desk) -> None:
    world = await build_world(desk)
    words = await desk.inbound(world.mentee, "Jeg har fået job!", intent="free_text")
    await desk.inbound(world.mentee, "4", intent="score")  # a plain answer: not for the inbox
    async with desk.signed_in(world.mentor) as client:
        before = await client.get("/inbox")
        await desk.post_form(client, "/inbox/read", {"message_id": str(words.id)})
        after = await client.get("/inbox")
    async with desk.signed_in(world.other_mentor) as client:
        foreign = await client.get("/inbox")
    assert 'id="unread">1<' in before.text
    assert "Jeg har fået job!" in before.text and 'class="unread"' in before.text
    assert ">4<" not in before.text
    assert 'id="unread">0<' in after.text and 'class="read"' in after.text
    assert "Jeg har fået job!" not in foreign.text
