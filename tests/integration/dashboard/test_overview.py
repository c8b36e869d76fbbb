"""The overview's lists: who has gone quiet (and in which order), and messages that failed."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from bot.models import (
    ChannelKind,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ParticipantStatus,
    Role,
    Site,
    SiteKind,
)
from tests.integration.dashboard.desk import Desk


def section(html: str, name: str) -> str:
    match = re.search(rf'<section class="card" id="{name}">(.*?)</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(1)


async def test_the_quiet_list_puts_the_never_heard_first_then_the_longest_silent(
    desk: Desk,
) -> None:
    now = desk.clock.now()
    nord = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    syd = await desk.site(SiteKind.PRISON, "Statsfængslet Syd")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent", [nord])
    long_ago = now - timedelta(days=60)

    async def person(name: str, *, enrolled_days_ago: int = 60, prison: Site = nord) -> Participant:
        enrolled = now - timedelta(days=enrolled_days_ago)
        return await desk.participant(name, prison=prison, enrolled_at=enrolled)

    never = await person("Aldrig Svaret")
    twenty = await person("Tyve Dage")
    ten = await person("Ti Dage")
    recent = await person("For Nylig")
    new = await person("Ny Tilmeldt", enrolled_days_ago=1)
    closed = await person("Afsluttet")
    other_prison = await person("Andet Fængsel", prison=syd)
    await desk.inbound(twenty, "hej", at=now - timedelta(days=20))
    await desk.inbound(ten, "gammel", at=now - timedelta(days=30))
    await desk.inbound(ten, "hej", at=now - timedelta(days=10))
    await desk.inbound(recent, "gammel", at=long_ago)
    await desk.inbound(recent, "hej", at=now - timedelta(days=2))
    await desk.inbound(other_prison, "hej", at=now - timedelta(days=15))
    async with desk.database.session() as db:
        await db.execute(
            update(Participant)
            .where(Participant.id == closed.id)
            .values(status=ParticipantStatus.CLOSED, closed_at=now)
        )

    async with desk.signed_in(consultant) as client:
        quiet = section((await client.get("/")).text, "quiet")

    listed = re.findall(r'<a href="/participants/(\d+)">', quiet)
    assert listed == [str(never.id), str(twenty.id), str(ten.id)]
    assert "har aldrig svaret" in quiet  # never heard from: said so, no date
    for hidden in (recent, new, closed, other_prison):
        assert f'/participants/{hidden.id}"' not in quiet


async def test_a_failed_message_is_listed_with_its_reason(desk: Desk) -> None:
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    ole = await desk.participant("Ole Olsen")
    async with desk.database.session() as db:
        db.add(
            Message(
                direction=Direction.OUT,
                participant_id=ole.id,
                channel=ChannelKind.SMS,
                kind=MessageKind.CHECKIN,
                body="Hvordan går det?",
                status=MessageStatus.FAILED,
                error="21211 invalid number",
                created_at=desk.clock.now() - timedelta(days=1),
            )
        )
    async with desk.signed_in(admin) as client:
        failed = section((await client.get("/")).text, "failed")
    assert f'/participants/{ole.id}">Ole Olsen' in failed
    assert "21211 invalid number" in failed
    assert "Hvordan går det?" not in failed
