"""``plan_many`` writes through the driver (``bot.driver_rows``) exactly what ``plan`` writes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.dialects import sqlite

from bot.db import Database
from bot.driver_rows import DriverValues
from bot.models import ChannelKind, Message, MessageKind, ReplyChoices
from bot.outbox import Planned, plan, plan_many
from tests import factories

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
OWN = {"id", "dedupe_key", "body", "address", "created_at"}


async def _raw(database: Database, row_id: int) -> dict[str, object]:
    async with database.read() as session:
        row = (await session.execute(text(f"SELECT * FROM messages WHERE id = {row_id}"))).one()
    return dict(row._mapping)


async def test_plan_many_stores_a_message_as_plan_does(database: Database) -> None:
    async with database.session() as session:
        author = await factories.add_staff(session)
        participant = await factories.add_participant(session, now=NOW)
        message = Planned(
            kind=MessageKind.STAFF_MESSAGE,
            body="Husk at tage dit sundhedskort med.",
            due_at=NOW,
            dedupe_key="one",
            participant_id=participant.id,
            channel=ChannelKind.SMS,
            address="+4520123456",
            language="da",
            choices=ReplyChoices.YES_NO,
            expects_reply=True,
            deadline_at=NOW + timedelta(hours=24),
            urgent=True,
            author_id=author.id,
        )
        one = await plan(session, message)
        created = await plan_many(session, [dataclasses.replace(message, dedupe_key="many")])
        again = await plan_many(session, [message])  # its key is taken: nothing new
    assert (created, again) == (1, 0)
    async with database.read() as session:
        many = await session.scalar(text("SELECT id FROM messages WHERE dedupe_key = 'many'"))
    assert one is not None and many is not None

    ours, theirs = await _raw(database, many), await _raw(database, one)
    assert {k: v for k, v in ours.items() if k not in OWN} == {
        k: v for k, v in theirs.items() if k not in OWN
    }
    assert type(ours["created_at"]) is type(theirs["created_at"])
    async with database.read() as session:
        stored = {(m.body, m.address) for m in await session.scalars(select(Message))}
    assert stored == {(message.body, message.address)}


def test_an_encrypted_column_is_never_memoized() -> None:
    """Equal texts would share a ciphertext; only the planner does that, where it is harmless."""
    values = DriverValues(cast(Table, Message.__table__), sqlite.dialect())
    instant = values.memoized("due_at")
    assert instant(NOW) is instant(NOW)
    with pytest.raises(ValueError, match="encrypted"):
        values.memoized("body")
