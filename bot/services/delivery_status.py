"""Delivery status reported by a provider after the send (Twilio status callbacks).

Callbacks arrive late, twice and out of order, and may even overtake the dispatcher recording
the provider id. So a status only ever moves forward (``sending``/``unknown`` < ``sent`` <
``delivered``; ``failed`` and ``delivered`` are final), a repeat changes nothing, and the message
is found by our own id (which the SMS channel puts in the callback URL) with the provider id as
a check, or by the provider id alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelKind, Message, MessageStatus

# Twilio's MessageStatus values, as our statuses.
TWILIO_STATUSES: dict[str, MessageStatus] = {
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}

_RANK = {
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.FAILED: 3,
}


async def record_provider_status(
    session: AsyncSession,
    *,
    provider_id: str,
    provider_status: str,
    now: datetime,
    message_id: int | None = None,
    error_code: str | None = None,
) -> MessageStatus | None:
    """Move the message forward to what the provider reports; returns the new status, if any."""
    new = TWILIO_STATUSES.get(provider_status.lower())
    if new is None or not provider_id:
        return None
    query = select(Message).where(Message.channel.is_(None) | (Message.channel == ChannelKind.SMS))
    if message_id is not None:
        query = query.where(Message.id == message_id)
    else:
        query = query.where(Message.provider_id == provider_id)
    message = (await session.execute(query.with_for_update())).scalars().first()
    if message is None or message.provider_id not in (None, provider_id):
        return None
    current = _RANK.get(message.status)
    if current is None or current >= _RANK[new]:
        return None
    message.status = new
    message.provider_id = provider_id
    message.lease_until = None
    if message.sent_at is None:
        message.sent_at = now
    if new is MessageStatus.DELIVERED:
        message.delivered_at = now
        message.finished_at = now
    elif new is MessageStatus.FAILED:
        message.error = f"twilio: {provider_status.lower()}" + (
            f" (error {error_code})" if error_code else ""
        )
        message.finished_at = now
    return new
