"""The channel port: one ``send()``; failures raise :class:`bot.errors.DeliveryError`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.models import ChannelKind, ReplyChoices


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one address, as the dispatcher hands it to a channel."""

    message_id: int
    address: str
    text: str
    language: str = "da"
    # A question's answer format: SMS adds "Svar JA eller NEJ", Telegram shows buttons.
    choices: ReplyChoices | None = None
    kind: str = ""
    # What an ACK button acknowledges (an alert); YES/NO and 1-5 buttons answer message_id.
    alert_id: int | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """The provider accepted the message. ``delivered``: acceptance is delivery (Telegram)."""

    provider_id: str
    delivered: bool = False


class Channel(Protocol):
    kind: ChannelKind

    async def send(self, message: Outgoing) -> Receipt:
        """Send or raise ``DeliveryError`` (permanent or transient, maybe with retry_after)."""
        ...
