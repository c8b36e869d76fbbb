"""Provider events handled once: a Twilio ``MessageSid`` or a Telegram ``update_id``.

Providers deliver again when an answer is slow or lost, and may deliver the same event several
times at once. The ``inbound_events`` primary key decides: the first unit of work to insert the
id handles the event; every other one finds it taken (on PostgreSQL, after waiting for the first
to commit) and does nothing. The insert happens in the same unit of work as the handling, so a
failed attempt leaves no claim behind and the provider's retry is handled.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import InboundEvent


@functools.cache
def _claim(dialect: str) -> Any:
    """The claiming INSERT, built once per dialect (the values go in as parameters)."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(InboundEvent.__table__)
        .on_conflict_do_nothing(index_elements=["provider", "external_id"])
        .returning(InboundEvent.provider)
    )


async def claim_event(
    session: AsyncSession, provider: str, external_id: str, now: datetime
) -> bool:
    """Record that this provider event is being handled; False if it was handled already."""
    statement = _claim(session.get_bind().dialect.name)
    values = {"provider": provider, "external_id": external_id, "received_at": now}
    return (await session.execute(statement, values)).scalar_one_or_none() is not None


@functools.cache
def _claim_each(dialect: str) -> Any:
    """The claiming INSERT for many events, naming each one it claimed (built once)."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(InboundEvent.__table__)
        .on_conflict_do_nothing(index_elements=["provider", "external_id"])
        .returning(InboundEvent.provider, InboundEvent.external_id)
    )


async def claim_events(
    session: AsyncSession, events: Iterable[tuple[str, str]], now: datetime
) -> set[tuple[str, str]]:
    """``claim_event`` for many (provider, external id) pairs in one statement: the ones this
    unit of work claimed. They are inserted in sorted order, so two units of work that share
    some ids (two web processes given the same redelivery) take them in the same order: one
    waits for the other instead of both deadlocking."""
    ordered = sorted(set(events))
    if not ordered:
        return set()
    statement = _claim_each(session.get_bind().dialect.name)
    values = [
        {"provider": provider, "external_id": external_id, "received_at": now}
        for provider, external_id in ordered
    ]
    return {
        (provider, external_id)
        for provider, external_id in await session.execute(statement, values)
    }
