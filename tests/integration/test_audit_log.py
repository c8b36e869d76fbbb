"""The audit log is append-only: no code path through a session updates or deletes a row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import AppendOnlyError
from bot.models import AuditEvent
from bot.services import audit


async def _change_loaded_row(session: AsyncSession, event_id: int) -> None:
    event = await session.get(AuditEvent, event_id)
    assert event is not None
    event.purpose = "something else"
    await session.flush()


async def _delete_loaded_row(session: AsyncSession, event_id: int) -> None:
    event = await session.get(AuditEvent, event_id)
    await session.delete(event)
    await session.flush()


async def _bulk_orm_update(session: AsyncSession, event_id: int) -> None:
    await session.execute(update(AuditEvent).values(action="viewed"))


async def _bulk_orm_delete(session: AsyncSession, event_id: int) -> None:
    await session.execute(delete(AuditEvent).where(AuditEvent.id == event_id))


async def _core_update(session: AsyncSession, event_id: int) -> None:
    table = AuditEvent.metadata.tables["audit_events"]
    await session.execute(update(table).values(purpose=None))


async def _textual_delete(session: AsyncSession, event_id: int) -> None:
    await session.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": event_id})


async def _textual_update(session: AsyncSession, event_id: int) -> None:
    await session.execute(text('update "audit_events" set purpose = NULL'))


@pytest.mark.parametrize(
    "attempt",
    [
        _change_loaded_row,
        _delete_loaded_row,
        _bulk_orm_update,
        _bulk_orm_delete,
        _core_update,
        _textual_delete,
        _textual_update,
    ],
)
async def test_no_code_path_changes_or_deletes_an_audit_row(
    database: Database,
    clock: FakeClock,
    attempt: Callable[[AsyncSession, int], Awaitable[None]],
) -> None:
    async with database.session() as session:
        event = await audit.record(
            session,
            staff_id=None,
            action=audit.Action.VIEWED,
            participant_id=7,
            purpose="GET /participants/7",
            at=clock.now(),
        )
    with pytest.raises(AppendOnlyError):
        async with database.session() as session:
            await attempt(session, event.id)
    async with database.read() as session:
        history = await audit.access_history(session, 7)
    assert [(e.action, e.purpose, e.at) for e in history] == [
        ("viewed", "GET /participants/7", clock.now())
    ]


async def test_access_history_lists_one_participants_events_in_order(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        for minutes, (action, participant_id) in enumerate(
            [("exported", 1), ("viewed", 2), ("viewed", 1), ("erased", 1)]
        ):
            await audit.record(
                session,
                staff_id=None,
                action=action,
                participant_id=participant_id,
                purpose=f"step {minutes}",
                at=clock.now() + timedelta(minutes=minutes),
            )
    async with database.read() as session:
        history = await audit.access_history(session, 1)
    assert [(e.action, e.purpose) for e in history] == [
        ("exported", "step 0"),
        ("viewed", "step 2"),
        ("erased", "step 3"),
    ]
    with pytest.raises(ValueError):
        async with database.session() as session:
            await audit.record(
                session, staff_id=None, action="peeked", participant_id=1, purpose="x"
            )
