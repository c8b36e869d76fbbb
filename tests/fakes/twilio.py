"""A fake Twilio REST API (the Messages resource) for the real twilio client.

Point the client at it with ``client.api.base_url = fake.url`` (``BROBYGGER_TWILIO_API_URL``).
Accepted messages are in ``messages`` (the form Twilio got: ``To``, ``From``, ``Body``,
``StatusCallback``, plus the ``sid`` given back); ``accepted`` has the same messages with when
each request arrived and when the provider took it, for throughput benchmarks.
``FakeTwilio(latency=0.1)`` makes every answer take 100 ms, like a distant provider.
``error(...)`` builds a Fault shaped like Twilio's own error answers; ``sign(url, params)``
signs a webhook the way Twilio does, for tests of inbound SMS and status callback routes.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.fakes.server import FakeServer, Fault

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message the fake provider took, with its times (``time.monotonic()``)."""

    message: dict[str, str]
    received_at: float  # the request had arrived
    accepted_at: float  # the provider took it, after any latency; the answer goes out now


class FakeTwilio(FakeServer):
    def __init__(
        self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, *, latency: float = 0.0
    ) -> None:
        super().__init__(latency=latency)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._accepted: list[Accepted] = []
        self._accepted_lock = threading.Lock()
        self._sids = itertools.count(1)

    @property
    def messages(self) -> list[dict[str, str]]:
        """Every message the fake provider accepted, in order."""
        return [accepted.message for accepted in self.accepted]

    @property
    def accepted(self) -> list[Accepted]:
        """Every accepted message with its arrival and acceptance times, in order."""
        with self._accepted_lock:
            return list(self._accepted)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create_message)

    async def _create_message(self, request: web.Request) -> web.StreamResponse:
        outcome = await self.gatekeep(request)
        if isinstance(outcome, web.StreamResponse):
            return outcome
        sid = f"SM{next(self._sids):032x}"
        message = {**outcome.form, "sid": sid}
        accepted = Accepted(message, outcome.received_at, time.monotonic())
        with self._accepted_lock:
            self._accepted.append(accepted)
        payload = {
            "sid": sid,
            "account_sid": request.match_info["sid"],
            "to": message.get("To"),
            "from": message.get("From"),
            "body": message.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{request.match_info['sid']}/Messages/{sid}.json",
        }
        return await self.answer(request, payload, status=201)

    @staticmethod
    def error(status: int, code: int | None = None, message: str = "error", **extra: Any) -> Fault:
        """A Twilio-shaped error answer, e.g. ``error(400, 21211, "invalid 'To' number")``."""
        body = {"status": status, "code": code, "message": message, "more_info": ""}
        return Fault(status=status, body=body, **extra)

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """The ``X-Twilio-Signature`` Twilio would send for a POST of ``params`` to ``url``."""
        signature: str = RequestValidator(self.auth_token).compute_signature(url, dict(params))
        return signature
