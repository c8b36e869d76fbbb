"""Provider events handled once: a Twilio ``MessageSid`` or a Telegram ``update_id``.

Providers deliver again when an answer is slow or lost, and may deliver the same event several
times at once. The ``inbound_events`` primary key decides: the first unit of work to insert the
id handles the event; every other one finds it taken (on PostgreSQL, after waiting for the first
to commit) and does nothing. The insert happens in the same unit of work as the handling, so a
failed attempt leaves no claim behind and the provider's retry is handled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import InboundEvent


async def claim_event(
    session: AsyncSession, provider: str, external_id: str, now: datetime
) -> bool:
    """Record that this provider event is being handled; False if it was handled already."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(InboundEvent)
        .values(provider=provider, external_id=external_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["provider", "external_id"])
        .returning(InboundEvent.provider)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None
