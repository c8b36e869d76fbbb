"""Invented people for delivery tests: a citizen with addresses and consents, a mentor."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

from bot.db import Database
from bot.models import (
    Address,
    ChannelKind,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    MessageKind,
    Participant,
    Role,
    Staff,
)
from bot.outbox import Planned, plan

_numbers = itertools.count(1)


async def citizen(
    database: Database,
    *,
    addresses: list[tuple[ChannelKind, str]] | None = None,
    consents: list[tuple[ConsentPurpose, ChannelKind | None]] | None = None,
    opted_out_at: datetime | None = None,
    name: str = "Mikkel Testesen",
) -> int:
    """A citizen; by default one simulator address and every consent (given on paper)."""
    if addresses is None:
        addresses = [(ChannelKind.SIMULATOR, f"sim-{next(_numbers)}")]
    if consents is None:
        consents = [(purpose, None) for purpose in ConsentPurpose]
    async with database.session() as session:
        person = Participant(name=name, language="da", opted_out_at=opted_out_at)
        session.add(person)
        await session.flush()
        for priority, (channel, address) in enumerate(addresses):
            session.add(
                Address(
                    participant_id=person.id, channel=channel, address=address, priority=priority
                )
            )
        for purpose, consent_channel in consents:
            session.add(
                Consent(
                    participant_id=person.id,
                    purpose=purpose,
                    channel=consent_channel,
                    method=ConsentMethod.STAFF_RECORDED,
                    text="Samtykke (test)",
                    given_at=datetime(2026, 1, 1).astimezone(),
                )
            )
        return person.id


async def mentor(
    database: Database, *, telegram_chat_id: str | None = None, phone: str | None = None
) -> int:
    async with database.session() as session:
        member = Staff(
            email=f"mentor{next(_numbers)}@example.org",
            name="Mette Mentorsen",
            role=Role.MENTOR,
            telegram_chat_id=telegram_chat_id,
            phone=phone,
        )
        session.add(member)
        await session.flush()
        return member.id


def due_message(
    participant_id: int,
    due_at: datetime,
    key: str,
    *,
    kind: MessageKind = MessageKind.CHECKIN,
    body: str = "Hej Mikkel, hvordan går det?",
) -> Planned:
    """A message to a citizen, due at ``due_at``."""
    return Planned(
        kind=kind, body=body, due_at=due_at, dedupe_key=key, participant_id=participant_id
    )


def sqlite_status(path: Path, message_id: int) -> str:
    """A message's status, read straight from a SQLite file (while a worker may hold it)."""
    with closing(sqlite3.connect(path)) as connection:
        row = connection.execute("SELECT status FROM messages WHERE id = ?", (message_id,))
        return str(row.fetchone()[0])


async def plan_one(database: Database, message: Planned) -> int:
    """Plan a message that must be new; returns its id."""
    new_id = await plan_again(database, message)
    assert new_id is not None, "that dedupe key was planned before"
    return new_id


async def plan_again(database: Database, message: Planned) -> int | None:
    async with database.session() as session:
        return await plan(session, message)
