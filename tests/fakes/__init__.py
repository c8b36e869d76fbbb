"""Fake provider servers on 127.0.0.1 for tests and benchmarks: Twilio REST and Telegram Bot API.

Each runs a real HTTP server (aiohttp) on a free port in a thread of its own, so both sync tests
(that drive ``brobygger`` subprocesses) and async tests (whose event loop must not be blocked)
can use it. The shared API, on both servers::

    with FakeTwilio() as twilio:            # or FakeTwilio().start() ... .stop()
        twilio.url                          # http://127.0.0.1:PORT, for TWILIO_API_URL
        twilio.fail_next(status=400, code=21211, message="invalid number", times=1)
        twilio.latency = 0.1                # seconds before every answer (or FakeTwilio(latency=))
        gate = twilio.hold("before_accept") # or "after_accept": the next send waits at that point
        gate.wait_arrived(timeout=10); gate.release()
        twilio.requests                     # every request, as Recorded(method, path, form, json)
        twilio.messages                     # the messages the provider accepted
        twilio.accepted                     # the same, with arrival and acceptance times

``FakeTelegram`` adds ``push_update(update_dict)`` (served by ``getUpdates``) and records
``sent`` (accepted ``sendMessage`` calls); see its module.
"""

from tests.fakes.server import FakeServer, Fault, Gate, Recorded
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

__all__ = ["FakeServer", "FakeTelegram", "FakeTwilio", "Fault", "Gate", "Recorded"]
