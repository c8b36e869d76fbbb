"""Consent as records: which purposes a participant has agreed to, paper consent, withdrawal.

Consent is per purpose (check-ins, meeting reminders, mentor contact), so a citizen can stop the
"how are you" questions and still get reminders of their meetings. Each consent row keeps when,
on which channel, how (a reply, or paper recorded by staff) and the exact text agreed to;
withdrawing stamps ``withdrawn_at`` on the row rather than deleting it, so the record of what was
agreed and when it ended stays.

At send time the dispatcher asks ``active_purposes`` and passes the set to
``bot.consent_rules.blocked_reason(kind, opted_out=..., consents=...)``. Consent given by a
``JA`` reply is recorded by the conversation (``bot.services.consent``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelKind, Consent, ConsentMethod, ConsentPurpose
from bot.services import audit


async def active_purposes(session: AsyncSession, participant_id: int) -> set[ConsentPurpose]:
    """The purposes this participant has consented to and not withdrawn."""
    purposes = await session.scalars(
        select(Consent.purpose).where(
            Consent.participant_id == participant_id, Consent.withdrawn_at.is_(None)
        )
    )
    return set(purposes)


async def record_paper_consent(
    session: AsyncSession,
    *,
    participant_id: int,
    purposes: Iterable[ConsentPurpose],
    text: str,
    given_at: datetime,
    by_staff_id: int,
    channel: ChannelKind | None = None,
) -> list[Consent]:
    """Record consent the citizen gave on paper (``text`` is what they signed), per purpose.

    A purpose that is already actively consented to is left as it is (no duplicate rows).
    """
    if not text.strip():
        raise ValueError("record the exact text the citizen consented to")
    active = await active_purposes(session, participant_id)
    added = [
        Consent(
            participant_id=participant_id,
            purpose=purpose,
            channel=channel,
            method=ConsentMethod.STAFF_RECORDED,
            text=text,
            given_at=given_at,
            recorded_by_id=by_staff_id,
        )
        for purpose in dict.fromkeys(purposes)
        if purpose not in active
    ]
    session.add_all(added)
    if added:
        await audit.record(
            session,
            staff_id=by_staff_id,
            action=audit.Action.CREATED,
            participant_id=participant_id,
            purpose="consent recorded on paper",
            detail={"purposes": [str(c.purpose) for c in added]},
        )
    await session.flush()
    return added


async def withdraw(
    session: AsyncSession,
    participant_id: int,
    purpose: ConsentPurpose,
    now: datetime,
    by_staff_id: int | None,
) -> int:
    """Withdraw consent for one purpose; returns how many active consent rows it ended.

    ``by_staff_id`` is the staff member recording the withdrawal (None: the citizen themselves,
    through the bot). Messages already planned for that purpose are stopped at send time by
    ``bot.consent_rules``; nothing else about the participant changes.
    """
    rows = list(
        await session.scalars(
            select(Consent).where(
                Consent.participant_id == participant_id,
                Consent.purpose == purpose,
                Consent.withdrawn_at.is_(None),
            )
        )
    )
    for consent in rows:
        consent.withdrawn_at = now
    if rows:
        await audit.record(
            session,
            staff_id=by_staff_id,
            action=audit.Action.CHANGED,
            participant_id=participant_id,
            purpose="consent withdrawn",
            detail={"purpose": str(purpose)},
            at=now,
        )
    await session.flush()
    return len(rows)
