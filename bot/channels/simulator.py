"""The simulator: a channel that delivers into the ``messages`` table and nowhere else.

The row the dispatcher sends is already stored (body, status, times), which is all the
dashboard's phone simulator needs; "delivering" is marking it delivered. For the demo it prints
a one-line summary (message id, kind, channel) to the console. The recipients of simulated
messages are invented demo people, but bodies still stay out of the console and the logs.
It stands in for SMS and Telegram when their credentials are not configured.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import Outgoing, Receipt
from bot.models import ChannelKind


def _print(line: str) -> None:
    print(line, flush=True)


class Simulator:
    def __init__(
        self,
        kind: ChannelKind = ChannelKind.SIMULATOR,
        *,
        echo: Callable[[str], None] | None = _print,
    ) -> None:
        self.kind = kind
        self._echo = echo

    async def send(self, message: Outgoing) -> Receipt:
        if self._echo is not None:
            self._echo(
                f"simulator: message {message.message_id} ({message.kind or 'message'}) "
                f"delivered on {self.kind}"
            )
        return Receipt(provider_id=f"sim-{message.message_id}", delivered=True)
