"""A channel that records what it was asked to send, for tests of the dispatcher.

``fail_next(error)`` makes the next sends raise that ``DeliveryError``; ``latency`` delays each
send. Messages it accepted are in ``sent`` (``Outgoing`` objects, in order).
"""

from __future__ import annotations

import asyncio
from collections import deque

from bot.channels.base import Outgoing, Receipt
from bot.errors import DeliveryError
from bot.models import ChannelKind


class RecordingChannel:
    def __init__(self, kind: ChannelKind, *, delivered: bool = False, latency: float = 0.0) -> None:
        self.kind = kind
        self.delivered = delivered
        self.latency = latency
        self.sent: list[Outgoing] = []
        self.attempts: list[Outgoing] = []
        self._errors: deque[DeliveryError] = deque()

    def fail_next(self, error: DeliveryError, times: int = 1) -> None:
        self._errors.extend([error] * times)

    async def send(self, message: Outgoing) -> Receipt:
        self.attempts.append(message)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._errors:
            raise self._errors.popleft()
        self.sent.append(message)
        return Receipt(provider_id=f"{self.kind}-{message.message_id}", delivered=self.delivered)
