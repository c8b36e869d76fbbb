"""The common part of the fake provider servers: a real aiohttp server in a thread of its own.

A subclass adds its routes in ``routes()`` and answers accepted requests in its handlers, which
call ``await self.gatekeep(request)`` first. That one call records the request, applies the
scripted latency, faults and gates, and returns the ``Recorded`` request, or a response to send
instead (a fault), or raises to drop the connection.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

STAGES = ("before_accept", "after_accept")


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    # time.monotonic() when the request had arrived (the same clock in every process on a host).
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted answer instead of success: an HTTP status and body, or a dropped connection."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client's timeout = a timeout)
    drop: bool = False  # close the connection without any answer


class Gate:
    """Stops the next request that reaches ``stage`` until the test calls ``release()``.

    ``before_accept``: the request has arrived but the provider has not taken it; if the client
    is gone when released, the provider never accepts it. ``after_accept``: the provider has
    accepted the message; the answer is withheld until released (``responded`` is set once
    it has been written).
    """

    def __init__(self, stage: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        self.stage = stage
        self.arrived = threading.Event()
        self.responded = threading.Event()
        self._released = threading.Event()
        self.client_gone = False

    def wait_arrived(self, timeout: float = 10.0) -> None:
        if not self.arrived.wait(timeout):
            raise AssertionError(f"no request reached {self.stage} within {timeout} s")

    def release(self) -> None:
        self._released.set()

    async def _wait_released(self) -> None:
        await asyncio.to_thread(self._released.wait)


class FakeServer:
    """Base class: start/stop, request log, latency, scripted faults and gates."""

    def __init__(self, *, latency: float = 0.0) -> None:
        # Seconds every request waits before it is taken or answered (also settable later).
        self.latency = latency
        self.url = ""
        self.port = 0
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._faults: deque[tuple[Fault, Callable[[Recorded], bool]]] = deque()
        self._gates: dict[str, Gate] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    # --- what subclasses provide -------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    # --- the test's side -----------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def fail_next(
        self, fault: Fault, *, times: int = 1, when: Callable[[Recorded], bool] | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with ``fault`` instead of success."""
        with self._lock:
            for _ in range(times):
                self._faults.append((fault, when or (lambda _: True)))

    def hold(self, stage: str) -> Gate:
        """Stop the next request at ``stage`` (see :class:`Gate`)."""
        gate = Gate(stage)
        with self._lock:
            self._gates[stage] = gate
        return gate

    def start(self) -> FakeServer:
        ready = threading.Event()
        errors: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(ready))
            except BaseException as error:  # surfaced in start()
                errors.append(error)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        if not self.url:
            raise AssertionError(f"{type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        with self._lock:
            for gate in self._gates.values():
                gate.release()
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- the server's side ---------------------------------------------------------------------

    async def _serve(self, ready: threading.Event) -> None:
        self._stopped = asyncio.Event()
        app = web.Application()
        self.routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.port}"
        ready.set()
        try:
            await self._stopped.wait()
        finally:
            await runner.cleanup()

    async def gatekeep(self, request: web.Request) -> Recorded | web.StreamResponse:
        """Record ``request``, then apply latency, gates and faults, in that order."""
        recorded = await _record(request)
        with self._lock:
            self._requests.append(recorded)
        if self.latency:
            await asyncio.sleep(self.latency)
        gate = self._take_gate("before_accept")
        if gate is not None:
            gate.arrived.set()
            await gate._wait_released()
            if request.transport is None or request.transport.is_closing():
                gate.client_gone = True  # the provider never takes it
                return web.Response(status=499)
        fault = self._take_fault(recorded)
        if fault is None:
            return recorded
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        body = fault.body if isinstance(fault.body, str) else json.dumps(fault.body)
        return web.Response(
            status=fault.status, text=body, content_type="application/json", headers=fault.headers
        )

    async def answer(self, request: web.Request, payload: Any, status: int = 200) -> web.Response:
        """Answer an accepted request, honouring an ``after_accept`` gate."""
        response = web.json_response(payload, status=status)
        gate = self._take_gate("after_accept")
        if gate is None:
            return response
        gate.arrived.set()
        await gate._wait_released()
        await response.prepare(request)
        await response.write_eof()
        gate.responded.set()
        return response

    def _take_gate(self, stage: str) -> Gate | None:
        with self._lock:
            return self._gates.pop(stage, None)

    def _take_fault(self, recorded: Recorded) -> Fault | None:
        with self._lock:
            for index, (fault, when) in enumerate(self._faults):
                if when(recorded):
                    del self._faults[index]
                    return fault
        return None


async def _record(request: web.Request) -> Recorded:
    form: dict[str, str] = {}
    payload: Any = None
    if request.content_type == "application/json":
        payload = await request.json()
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            if isinstance(value, str):
                form[key] = value
            elif isinstance(value, bytes | bytearray):
                form[key] = value.decode()
            else:
                form[key] = value.file.read().decode()
    form.update({key: value for key, value in request.query.items() if key not in form})
    return Recorded(request.method, request.path, form, payload, dict(request.headers))
