"""The demo programme seeded on first start without credentials: people, history, logins."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.db import Database
from bot.models import (
    Alert,
    AlertReason,
    Appointment,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    Staff,
)
from tests.integration.dashboard.desk import running_desk


async def test_first_start_seeds_a_demo_whose_logins_work(
    database: Database, clock: FakeClock
) -> None:
    async with running_desk(database, clock, demo="true") as desk:
        logins = desk.app.state.runtime.demo_logins
        assert {str(login.role) for login in logins} == {"admin", "consultant", "mentor"}
        assert len(logins) == 4
        consultant = next(login for login in logins if login.role == "consultant")
        async with desk.client() as client:
            signed_in = await desk.sign_in(client, consultant.email, consultant.password)
            overview = await client.get("/")
        assert signed_in.status_code == 303
        assert "Ali Prøvesen" in overview.text  # his missed meeting is an open alert
        # Jonas's confirmation request reaches his simulated phone; he declines as the demo says.
        async with database.read() as db:
            jonas = await db.scalar(select(Participant).where(Participant.name == "Jonas Testesen"))
            assert jonas is not None
            request = await db.scalar(
                select(Message.id).where(
                    Message.participant_id == jonas.id,
                    Message.kind == MessageKind.CONFIRMATION_REQUEST,
                )
            )
        assert request is not None
        await desk.wait_for_status(request, MessageStatus.DELIVERED)
        address = jonas.addresses[0]
        await desk.app.state.citizen_reply(address.channel, address.address, "NEJ")
        async with database.read() as db:
            declined = await db.scalar(
                select(Alert).where(
                    Alert.participant_id == jonas.id, Alert.reason == AlertReason.DECLINED_MEETING
                )
            )
        assert declined is not None
    async with database.read() as db:
        assert await db.scalar(select(func.count(Participant.id))) == 5
        reasons = (await db.scalars(select(Alert.reason))).all()
        assert AlertReason.MISSED_MEETING in reasons
        assert await db.scalar(select(func.count(Appointment.id))) == 3
        kinds = set((await db.scalars(select(Message.kind))).all())
        assert {MessageKind.CONSENT_REQUEST, MessageKind.CONFIRMATION_REQUEST} <= kinds
    async with running_desk(database, clock, demo="true") as again:
        assert again.app.state.runtime.demo_logins == []
    async with database.read() as db:
        assert await db.scalar(select(func.count(Staff.id))) == 4


async def test_no_demo_when_switched_off(database: Database, clock: FakeClock) -> None:
    async with running_desk(database, clock, demo="false") as desk:
        assert desk.app.state.runtime.demo_logins == []
    async with database.read() as db:
        assert await db.scalar(select(func.count(Staff.id))) == 0
