"""Whether a citizen wants messages: STOP and START, and blocking the bot on Telegram.

STOP (any channel) stops everything but one confirmation: the participant's opt-out time is
set, and messages still planned are marked suppressed, not deleted, so the log shows what did
not go and why. START undoes it. Blocking the bot stops Telegram only: that address is opted
out, and the dispatcher sends to the citizen's other consented address instead.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.i18n import Catalogs
from bot.models import Address, AddressStatus, ChannelKind, Message, MessageKind, Participant
from bot.outbox import suppress
from handlers.answers import Reply
from handlers.events import claim_event

logger = logging.getLogger(__name__)


async def opt_out(
    session: AsyncSession, participant: Participant, *, now: datetime, catalogs: Catalogs
) -> Reply:
    """STOP: no more messages; pending ones are suppressed (kept in the log), one confirmation."""
    if participant.opted_out_at is None:
        participant.opted_out_at = now
        participant.updated_at = now
    suppressed = await suppress(
        session, Message.participant_id == participant.id, now=now, reason="opted out"
    )
    logger.info(
        "participant %s opted out; %d pending messages suppressed", participant.id, suppressed
    )
    return Reply(
        MessageKind.STOP_CONFIRMATION,
        catalogs.render(participant.language, texts.STOP_CONFIRMATION),
    )


async def opt_in(
    session: AsyncSession,
    participant: Participant,
    address: Address,
    *,
    now: datetime,
    catalogs: Catalogs,
) -> Reply:
    """START: messages again. The address written from is reachable again too."""
    participant.opted_out_at = None
    participant.updated_at = now
    if address.status is AddressStatus.OPTED_OUT:
        address.status = AddressStatus.ACTIVE
        address.status_reason = "START"
        address.status_changed_at = now
    logger.info("participant %s opted in", participant.id)
    return Reply(
        MessageKind.START_CONFIRMATION,
        catalogs.render(participant.language, texts.START_CONFIRMATION),
    )


async def telegram_membership_changed(
    session: AsyncSession, *, external_id: str, chat_id: str, blocked: bool, now: datetime
) -> None:
    """The citizen blocked (or unblocked) the bot: the chat is opted out (or reachable again).

    Blocking stops this channel only; the citizen's other address, if consented, takes over.
    """
    if not await claim_event(session, "telegram", external_id, now):
        return
    address = await session.scalar(
        select(Address).where(Address.channel == ChannelKind.TELEGRAM, Address.address == chat_id)
    )
    if address is None:
        return
    if blocked and address.status is not AddressStatus.OPTED_OUT:
        address.status = AddressStatus.OPTED_OUT
        address.status_reason = "bot blocked"
        address.status_changed_at = now
        logger.info("participant %s blocked the bot on Telegram", address.participant_id)
    elif not blocked and address.status is AddressStatus.OPTED_OUT:
        address.status = AddressStatus.ACTIVE
        address.status_reason = "bot unblocked"
        address.status_changed_at = now
        logger.info("participant %s unblocked the bot on Telegram", address.participant_id)
