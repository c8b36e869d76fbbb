"""Channels: how a message reaches a person (SMS through Twilio, Telegram, the simulator)."""

from bot.channels.base import Channel, Outgoing, Receipt

__all__ = ["Channel", "Outgoing", "Receipt"]
