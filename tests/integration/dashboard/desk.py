"""A running dashboard for tests: the real app and lifespan on a test database, plus factories.

``Desk.signed_in(staff)`` signs in through the real login form, so every test exercises the
session cookie and the CSRF token the way a browser does.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from bot.app import create_app
from bot.clock import Clock, FakeClock
from bot.config import load_settings
from bot.db import Database
from bot.models import (
    Address,
    Alert,
    AlertReason,
    Appointment,
    AppointmentKind,
    ChannelKind,
    ConsentMethod,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    Role,
    Site,
    SiteKind,
    Staff,
    staff_sites,
)
from bot.services.api_tokens import create_token
from bot.services.consent import record_consents
from bot.services.staff import add_staff
from tests.conftest import TEST_DATA_KEY, TEST_LOOKUP_KEY

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_numbers = itertools.count(10_000_000)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class Desk:
    def __init__(self, app: FastAPI, database: Database, clock: Clock) -> None:
        self.app = app
        self.database = database
        self.clock = clock

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    async def sign_in(
        self, client: httpx.AsyncClient, email: str, password: str = PASSWORD
    ) -> httpx.Response:
        form = await client.get("/login")
        return await client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        )

    @asynccontextmanager
    async def signed_in(self, staff: Staff) -> AsyncIterator[httpx.AsyncClient]:
        async with self.client() as client:
            response = await self.sign_in(client, staff.email)
            assert response.status_code == 303, response.text
            yield client

    async def csrf(self, client: httpx.AsyncClient, path: str = "/") -> str:
        return csrf_of((await client.get(path)).text)

    async def post_form(
        self, client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await client.post(path, data={**(data or {}), "csrf_token": await self.csrf(client)})

    # --- factories ---------------------------------------------------------------------------

    async def site(self, kind: SiteKind, name: str) -> Site:
        async with self.database.session() as db:
            site = Site(
                kind=kind, name=name, municipality=name if kind is SiteKind.JOBCENTRE else None
            )
            db.add(site)
            await db.flush()
            return site

    async def staff(self, role: Role, name: str, sites: list[Site] | None = None) -> Staff:
        async with self.database.session() as db:
            staff = await add_staff(
                db,
                email=f"{name.split()[0].lower()}@brobygger.test",
                name=name,
                role=role,
                password=PASSWORD,
            )
            for site in sites or []:
                await db.execute(insert(staff_sites).values(staff_id=staff.id, site_id=site.id))
            return staff

    async def token(self, staff: Staff) -> str:
        async with self.database.session() as db:
            _, token = await create_token(db, email=staff.email)
            return token

    async def participant(
        self,
        name: str,
        *,
        prison: Site | None = None,
        jobcentre: Site | None = None,
        mentor: Staff | None = None,
        consultant: Staff | None = None,
        release_date: date | None = None,
        channel: ChannelKind = ChannelKind.SMS,
        enrolled_at: datetime | None = None,
    ) -> Participant:
        async with self.database.session() as db:
            participant = Participant(
                name=name,
                prison_id=prison.id if prison else None,
                jobcentre_id=jobcentre.id if jobcentre else None,
                mentor_id=mentor.id if mentor else None,
                consultant_id=consultant.id if consultant else None,
                release_date=release_date,
                enrolled_at=enrolled_at or self.clock.now(),
            )
            db.add(participant)
            await db.flush()
            address = (
                f"+4520{next(_numbers) % 1_000_000:06d}"
                if channel is ChannelKind.SMS
                else f"sim-{participant.id}"
            )
            db.add(Address(participant_id=participant.id, channel=channel, address=address))
            return participant

    async def consent(self, participant: Participant) -> None:
        """The participant said yes to every purpose (by SMS)."""
        async with self.database.session() as db:
            await record_consents(
                db,
                participant_id=participant.id,
                text="Må vi sende dig beskeder?",
                channel=ChannelKind.SMS,
                method=ConsentMethod.REPLY,
                now=self.clock.now(),
            )

    async def wait_for_status(self, message_id: int, *statuses: MessageStatus) -> Message:
        """Poll (at most 15 s) until the dispatcher has moved the message to one of ``statuses``."""
        async with asyncio.timeout(15):
            while True:
                async with self.database.read() as db:
                    message = await db.get_one(Message, message_id)
                if message.status in statuses:
                    return message
                await asyncio.sleep(0.05)

    async def inbound(
        self,
        participant: Participant,
        body: str,
        *,
        intent: str | None = None,
        at: datetime | None = None,
    ) -> Message:
        async with self.database.session() as db:
            message = Message(
                direction=Direction.IN,
                participant_id=participant.id,
                channel=ChannelKind.SMS,
                kind=MessageKind.INBOUND,
                body=body,
                status=MessageStatus.RECEIVED,
                received_at=at or self.clock.now(),
                intent=intent,
            )
            db.add(message)
            await db.flush()
            return message

    async def alert(
        self, participant: Participant, reason: AlertReason = AlertReason.NO_REPLY
    ) -> Alert:
        async with self.database.session() as db:
            alert = Alert(
                participant_id=participant.id,
                reason=reason,
                dedupe_key=f"test:{participant.id}:{reason}:{next(_numbers)}",
                created_at=self.clock.now(),
            )
            db.add(alert)
            await db.flush()
            return alert

    async def meeting(
        self, participant: Participant, starts_at: datetime, place: str = "Jobcentret, Søndergade 3"
    ) -> Appointment:
        async with self.database.session() as db:
            meeting = Appointment(
                participant_id=participant.id,
                kind=AppointmentKind.JOBCENTRE,
                starts_at=starts_at,
                place=place,
            )
            db.add(meeting)
            await db.flush()
            return meeting


@asynccontextmanager
async def running_desk(
    database: Database, clock: FakeClock, **settings: str
) -> AsyncIterator[Desk]:
    environ = {
        "BROBYGGER_DATABASE_URL": database.url,
        "BROBYGGER_SECRET_KEY": "test-secret-key-for-sessions-only",
        "BROBYGGER_DEMO": "false",
        "BROBYGGER_DATA_KEY": TEST_DATA_KEY,
        "BROBYGGER_LOOKUP_KEY": TEST_LOOKUP_KEY,
        **{f"BROBYGGER_{key.upper()}": value for key, value in settings.items()},
    }
    app = create_app(load_settings(environ), clock=clock)
    async with app.router.lifespan_context(app):
        yield Desk(app, database, clock)
