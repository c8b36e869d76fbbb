"""The fake Twilio (``tests.fakes.FakeTwilio``) in a process of its own, for benchmarks.

In the benchmark's own process it would share the GIL and a core with the code it measures;
here it has its own interpreter. The benchmark asks it, over a pipe, for what it accepted::

    with FakeTwilioProcess(latency=0.1) as twilio:   # every answer 100 ms after the request
        ... point BROBYGGER_TWILIO_API_URL (or open_twilio_client) at twilio.url ...
        sends = twilio.sends()   # one Send per accepted message, in order
"""

from __future__ import annotations

import contextlib
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN

__all__ = ["ACCOUNT_SID", "AUTH_TOKEN", "FakeTwilioProcess", "Send"]

START_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Send:
    """One accepted message as the fake provider saw it (times: ``time.monotonic()``)."""

    # Our message id, from the status callback URL (None when the channel asks for no callback).
    message_id: int | None
    # The status callback's host:port: the sender's PUBLIC_URL, which tells workers apart.
    sender: str | None
    received_at: float
    accepted_at: float


def _from_callback(callback: str | None) -> tuple[int | None, str | None]:
    """Our message id and the sender's host:port, from a status callback URL."""
    if not callback or "message=" not in callback:
        return None, None
    parts = urlsplit(callback)
    return int(parse_qs(parts.query)["message"][0]), parts.netloc


def _serve(latency: float, connection: Connection) -> None:
    from tests.fakes import FakeTwilio

    fake = FakeTwilio(latency=latency).start()
    connection.send(fake.url)
    try:
        while (command := connection.recv()) != "stop":
            assert command == "sends", command
            connection.send(
                [
                    (*_from_callback(a.message.get("StatusCallback")), a.received_at, a.accepted_at)
                    for a in fake.accepted
                ]
            )
    except EOFError:  # the benchmark went away
        pass
    finally:
        fake.stop()


class FakeTwilioProcess:
    """A started fake Twilio in a child process; ``stop()`` (or leave the ``with``) ends it."""

    account_sid = ACCOUNT_SID
    auth_token = AUTH_TOKEN

    def __init__(self, *, latency: float = 0.0) -> None:
        # spawn, not fork: the parent may hold an event loop, threads and open connections.
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(latency, child), name="fake-twilio", daemon=True
        )
        self._process.start()
        child.close()
        if not self._connection.poll(START_TIMEOUT):
            self._process.kill()
            raise RuntimeError(f"the fake Twilio did not start within {START_TIMEOUT:g} s")
        self.url: str = self._connection.recv()
        self.pid: int = self._process.pid or 0

    def sends(self) -> list[Send]:
        """Every message accepted so far, in the order they were accepted."""
        self._connection.send("sends")
        return [Send(*fields) for fields in self._connection.recv()]

    def stop(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._connection.send("stop")
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
        self._connection.close()

    def __enter__(self) -> FakeTwilioProcess:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
