"""A message that came in, in our own terms, and what is written for it.

Shared by the two ways the conversation handles messages (``handlers.conversation`` one by one,
``handlers.common_messages`` many at once), so both log a message and plan its reply alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Catalogs
from bot.models import ChannelKind, Direction, MessageKind, MessageStatus
from bot.outbox import Planned
from handlers.replies import Intent

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message in, whatever the channel, in our own terms."""

    provider: str  # "twilio" or "telegram": with external_id, what makes a delivery unique
    external_id: str  # Twilio MessageSid, Telegram update_id
    channel: ChannelKind
    address: str  # the sender: E.164 number, or Telegram chat id
    text: str
    received_at: datetime
    # Set by the Telegram handler for a button press or a command; otherwise the text is parsed.
    intent: Intent | None = None
    start_code: str | None = None  # Telegram deep link "/start <code>"
    # The sender's own language setting (Telegram's language_code), for someone we do not know.
    language_hint: str | None = None

    @property
    def event(self) -> tuple[str, str]:
        """What makes this delivery unique (``inbound_events``' key)."""
        return (self.provider, self.external_id)


@dataclass(frozen=True, slots=True)
class Handled:
    duplicate: bool
    message_id: int | None = None  # the logged inbound row
    reply_id: int | None = None  # the planned reply, if any


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the service needs besides the session: texts and the local time zone."""

    catalogs: Catalogs
    tz: ZoneInfo


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer the sender: the message kind (for the consent rules) and its text."""

    kind: MessageKind
    body: str


def storable(text: str) -> str:
    """``text`` as the database can hold it: lone surrogates and NUL become U+FFFD.

    Both come only from broken or hostile input (PostgreSQL refuses NUL in text, and neither
    database stores an unpaired surrogate); everything else is kept exactly.
    """
    # A str holds a valid pair as one code point, so any surrogate left is unpaired.
    return _UNSTORABLE.sub("\ufffd", text)


def stored_form(inbound: Inbound) -> Inbound:
    """``inbound`` as it is stored: the ids within their columns, nothing unstorable."""
    return replace(
        inbound,
        external_id=storable(inbound.external_id)[:64],
        address=storable(inbound.address)[:64],
        text=storable(inbound.text),
    )


def inbound_row(
    inbound: Inbound,
    intent: Intent,
    *,
    participant_id: int | None = None,
    staff_id: int | None = None,
    in_reply_to_id: int | None = None,
) -> dict[str, Any]:
    """The ``messages`` row that logs ``inbound`` (exact text, channel, sender, intent)."""
    value = intent.score or intent.language or intent.reference
    return {
        "direction": Direction.IN,
        "status": MessageStatus.RECEIVED,
        "kind": MessageKind.INBOUND,
        "participant_id": participant_id,
        "staff_id": staff_id,
        "channel": inbound.channel,
        "address": inbound.address,
        "body": inbound.text,
        "received_at": inbound.received_at,
        "intent": intent.kind,
        "intent_value": None if value is None else str(value),
        "in_reply_to_id": in_reply_to_id,
        "created_at": inbound.received_at,
    }


def reply_to(
    inbound: Inbound,
    reply: Reply,
    *,
    now: datetime,
    language: str,
    participant_id: int | None = None,
    staff_id: int | None = None,
) -> Planned:
    """The reply to ``inbound``, on the channel and address it came from, due at once; its
    dedupe key is made from the provider's event id, so a redelivery plans nothing more."""
    return Planned(
        kind=reply.kind,
        body=reply.body,
        due_at=now,
        dedupe_key=f"reply:{inbound.provider}:{inbound.external_id}",
        participant_id=participant_id,
        staff_id=staff_id,
        channel=inbound.channel,
        address=inbound.address,
        language=language,
    )
