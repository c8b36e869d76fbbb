"""Consent: what a citizen agreed to, for which purpose, when, on which channel, and how.

Each purpose (check-ins, meeting reminders, contact from the mentor) is its own row with the
exact text the citizen answered, so a consultant can show what was agreed to. Withdrawing keeps
the rows and stamps them, so the history stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelKind, Consent, ConsentMethod, ConsentPurpose

ALL_PURPOSES: tuple[ConsentPurpose, ...] = tuple(ConsentPurpose)


async def active_consents(session: AsyncSession, participant_id: int) -> set[ConsentPurpose]:
    """The purposes this citizen has consented to and not withdrawn."""
    rows = await session.scalars(
        select(Consent.purpose).where(
            Consent.participant_id == participant_id, Consent.withdrawn_at.is_(None)
        )
    )
    return set(rows)


async def record_consents(
    session: AsyncSession,
    *,
    participant_id: int,
    text: str,
    channel: ChannelKind | None,
    method: ConsentMethod,
    now: datetime,
    purposes: Iterable[ConsentPurpose] = ALL_PURPOSES,
    recorded_by_id: int | None = None,
) -> list[ConsentPurpose]:
    """Record consent for each purpose not already held; returns the purposes newly recorded.

    ``text`` is what the citizen saw and said yes to (the consent question's body), stored as is.
    """
    held = await active_consents(session, participant_id)
    new = [purpose for purpose in dict.fromkeys(purposes) if purpose not in held]
    session.add_all(
        Consent(
            participant_id=participant_id,
            purpose=purpose,
            channel=channel,
            method=method,
            text=text,
            given_at=now,
            recorded_by_id=recorded_by_id,
        )
        for purpose in new
    )
    await session.flush()
    return new


async def withdraw_consents(session: AsyncSession, *, participant_id: int, now: datetime) -> int:
    """Stamp every active consent of this citizen withdrawn; returns how many were active."""
    result = await session.execute(
        update(Consent)
        .where(Consent.participant_id == participant_id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
