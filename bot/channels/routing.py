"""Which address a message goes to, when it was planned without one (the usual case).

A citizen: the first ACTIVE address by priority among the channels they consented on. A consent
recorded without a channel (given on paper) covers every channel, and before any consent (the
consent question itself) every active address may be used. So when one address dies (Twilio
21610, a blocked bot) the next consented address takes over, and when none is left the message
is suppressed with ``NO_REACHABLE_ADDRESS``.

A staff member: their Telegram chat, else their phone, else the simulator.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.models import AddressStatus, ChannelKind

NO_REACHABLE_ADDRESS = "no reachable address"


@dataclass(frozen=True, slots=True)
class Route:
    channel: ChannelKind
    address: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of a citizen's addresses, as the router needs it."""

    channel: ChannelKind
    address: str
    status: AddressStatus
    priority: int
    id: int = 0


def citizen_route(
    addresses: Iterable[Candidate], consent_channels: Collection[ChannelKind | None]
) -> Route | None:
    """The citizen's best address now, or None when no consented address is active."""
    every_channel = not consent_channels or None in consent_channels
    for candidate in sorted(addresses, key=lambda c: (c.priority, c.id)):
        if candidate.status is not AddressStatus.ACTIVE:
            continue
        if every_channel or candidate.channel in consent_channels:
            return Route(candidate.channel, candidate.address)
    return None


def staff_route(staff_id: int, *, telegram_chat_id: str | None, phone: str | None) -> Route:
    """Where a mentor or consultant gets alerts."""
    if telegram_chat_id:
        return Route(ChannelKind.TELEGRAM, telegram_chat_id)
    if phone:
        return Route(ChannelKind.SMS, phone)
    return Route(ChannelKind.SIMULATOR, f"staff-{staff_id}")
