"""Load for the inbound SMS webhook: Twilio-signed form posts over raw HTTP/1.1 keep-alive.

``run_load(spec)`` is the body of one load process (the webhook benchmark starts it with
multiprocessing, never in the service's process):

1. It builds every request before the clock starts: the form Twilio posts for an inbound SMS
   (``MessageSid``, ``AccountSid``, ``From``, ``To``, ``Body``, ``NumMedia``, ...) and its
   ``X-Twilio-Signature``, computed with the twilio library's ``RequestValidator`` over the
   service's ``PUBLIC_URL`` plus the path, exactly as Twilio signs it. Request ``k`` comes from
   the programme's SMS participant ``k % len(senders)`` and says "4" the first time round (the
   answer to the open check-in question each active participant has) and free text after.
2. It opens its connections (asyncio protocols, no HTTP library: a Python client must spend as
   little CPU as possible, since it shares the machine with the service it measures).
3. Closed loop (``rate`` None): each connection sends its next request as soon as the previous
   one is answered, until ``seconds`` have passed; requests in flight then finish.
   Open loop (``rate`` set): request ``i`` is due at ``start + i / rate`` by the clock, whether
   or not earlier ones were answered, on whichever connection is free (a new one is opened when
   none is, up to ``MAX_OPEN_LOOP_CONNECTIONS``). Latency is counted from the moment a request
   was due, so waiting for a connection or for the loop counts as the service's queueing would.

Only 127.0.0.1 is ever a target (the service's own address).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

SMS_PATH = "/twilio/sms"
ANSWER = "4"
# Free text that reads like a reply, with no risk word (handlers.risk_words), so no alert.
FREE_TEXTS = (
    "Tak, det går fint i dag. Jeg har været til samtale på jobcentret.",
    "Hej, kan vi mødes på torsdag i stedet for onsdag?",
    "Jeg er lige kommet hjem fra arbejde, ringer i morgen.",
    "Fint nok, jeg kommer til mødet.",
)
MAX_OPEN_LOOP_CONNECTIONS = 256


@dataclass(frozen=True)
class LoadSpec:
    host: str
    port: int
    public_url: str  # the service's PUBLIC_URL: the signature covers it
    auth_token: str
    account_sid: str
    to_number: str  # our Twilio number
    senders: tuple[str, ...]  # the programme's active SMS participants' numbers
    nonce: str  # 8 hex digits: keeps this run's MessageSids apart from any other run's
    indices: range  # which requests (global index k) this process may send, in order
    connections: int
    seconds: float | None = None  # closed loop: stop sending after this long
    rate: float | None = None  # open loop: requests per second, by the clock


@dataclass
class LoadResult:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0  # connection errors: no answer at all
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    started: float = 0.0  # time.monotonic(), comparable across processes on Linux
    finished: float = 0.0
    answers: int = 0  # how many of the requests sent said ANSWER
    cpu_seconds: float = 0.0  # this load process's own CPU time during the run
    connections_opened: int = 0


def message_sid(nonce: str, index: int) -> str:
    return f"SM{nonce}{index:024x}"


def sms_form(spec: LoadSpec, index: int) -> dict[str, str]:
    """What Twilio posts for an inbound SMS (Danish numbers: no city, state or zip)."""
    senders = spec.senders
    body = ANSWER if index < len(senders) else FREE_TEXTS[index % len(FREE_TEXTS)]
    sid = message_sid(spec.nonce, index)
    return {
        "ToCountry": "DK",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "DK",
        "To": spec.to_number,
        "ToZip": "",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": spec.account_sid,
        "From": senders[index % len(senders)],
        "ApiVersion": "2010-04-01",
    }


def signed_request(spec: LoadSpec, validator: RequestValidator, index: int) -> bytes:
    form = sms_form(spec, index)
    signature = validator.compute_signature(spec.public_url + SMS_PATH, form)
    body = urlencode(form).encode("ascii")
    head = (
        f"POST {SMS_PATH} HTTP/1.1\r\n"
        f"Host: {spec.host}:{spec.port}\r\n"
        "User-Agent: TwilioProxy/1.1\r\n"
        "Accept: */*\r\n"
        "Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n"
        f"X-Twilio-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; ``exchange`` sends a request and waits for its status."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop > 0 else None])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buffer[: end + 4 + length]
        self.waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the service closed the connection"))

    async def exchange(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _connect(spec: LoadSpec, result: LoadResult) -> _Connection:
    loop = asyncio.get_running_loop()
    _, connection = await loop.create_connection(_Connection, spec.host, spec.port)
    result.connections_opened += 1
    return connection


async def _closed_loop(spec: LoadSpec, requests: list[bytes], result: LoadResult) -> None:
    assert spec.seconds is not None
    connections = [await _connect(spec, result) for _ in range(spec.connections)]
    pending = iter(requests)
    clock = time.perf_counter
    result.started = time.monotonic()
    deadline = clock() + spec.seconds

    async def worker(connection: _Connection) -> None:
        for request in pending:
            if clock() >= deadline:
                return
            result.sent += 1
            started = clock()
            try:
                status = await connection.exchange(request)
            except ConnectionError:
                result.failures += 1
                connection = await _connect(spec, result)
                continue
            result.latencies.append(clock() - started)
            result.statuses[status] += 1

    await asyncio.gather(*(worker(connection) for connection in connections))
    result.finished = time.monotonic()
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()


async def _open_loop(spec: LoadSpec, requests: list[bytes], result: LoadResult) -> None:
    assert spec.rate is not None and spec.seconds is not None
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(spec.connections):
        pool.put_nowait(await _connect(spec, result))
    opened = spec.connections
    clock = time.perf_counter
    count = min(len(requests), int(spec.rate * spec.seconds))
    in_flight: set[asyncio.Task[None]] = set()

    async def one(request: bytes, due: float) -> None:
        nonlocal opened
        if pool.empty() and opened < MAX_OPEN_LOOP_CONNECTIONS:
            opened += 1
            connection = await _connect(spec, result)
        else:
            connection = await pool.get()
        try:
            status = await connection.exchange(request)
        except ConnectionError:
            result.failures += 1
            opened -= 1
            return
        result.latencies.append(clock() - due)
        result.statuses[status] += 1
        pool.put_nowait(connection)

    result.started = time.monotonic()
    start = clock()
    for i in range(count):
        due = start + i / spec.rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        result.sent += 1
        task = asyncio.create_task(one(requests[i], due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    while in_flight:
        await asyncio.wait(set(in_flight))
    result.finished = time.monotonic()
    while not pool.empty():
        transport = pool.get_nowait().transport
        if transport is not None:
            transport.close()


def build_requests(spec: LoadSpec) -> list[bytes]:
    validator = RequestValidator(spec.auth_token)
    return [signed_request(spec, validator, index) for index in spec.indices]


def run_load(spec: LoadSpec, ready: Any, go: Any, results: Any) -> None:
    """One load process: build, connect, wait for ``go`` (a multiprocessing Event), run, report.

    ``ready`` is a Barrier shared with the other load processes and the parent; ``results`` a
    Queue that gets ``(first index, LoadResult)``.
    """
    requests = build_requests(spec)
    result = LoadResult(answers=sum(1 for k in spec.indices if k < len(spec.senders)))
    gc.collect()
    gc.freeze()  # the prebuilt requests need no collecting: keep pauses out of the latencies
    ready.wait()
    go.wait()
    run = _open_loop if spec.rate is not None else _closed_loop
    cpu = time.process_time()
    asyncio.run(run(spec, requests, result))
    result.cpu_seconds = time.process_time() - cpu
    # Only the requests actually sent count; the unsent tail of the prebuilt ones does not.
    sent_indices = spec.indices[: result.sent]
    result.answers = sum(1 for k in sent_indices if k < len(spec.senders))
    results.put((spec.indices.start, result))
