"""Dispatcher benchmark: throughput, idle tick and memory (``python -m bench.dispatch``).

For each engine and size, on a private copy of the bench programme (``bench.programme``: N
participants with about ten messages each in the table), in this process with the real
``schedules.dispatcher.dispatch_due``:

1. ``zero-latency channel``: ``--messages`` SMS due now, spread over the programme's active SMS
   participants, through a channel that answers at once (the silent simulator).
2. ``real twilio client``: as many through the real twilio client to the fake Twilio, which runs
   in a process of its own so it does not share our GIL; at most 64 connections.
3. ``100 ms channel``: ``--latency-messages`` through a channel that takes 100 ms per send
   (at the service's concurrency of 64, at most 640/s).
4. ``idle tick``: with ``--future`` planned messages due in a month added to the programme's
   rows, one dispatcher tick with nothing due (median and p99 of 200 ticks).
5. ``claim uses the index``: EXPLAIN of the idle probe and of the claim, as the dispatcher sends
   them, on that table: both must use ``ix_messages_status_send_after``.
6. ``peak memory``: the peak resident memory of the process that did all of the above.

Each (engine, size) runs in a fresh process, so its memory and caches are its own. Results:
``bench/results/dispatch.json`` and a table (``bench.results``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import uvloop
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.arguments import benchmark_arguments, engines_from
from bench.due import add_future_rows, plan_due, sms_recipients, statuses
from bench.fake_twilio_process import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioProcess
from bench.programme import drop_copy, install_bench_keys, programme_copy
from bench.results import Row, percentile, write_results
from bot.channels.base import Channel, Outgoing, Receipt
from bot.channels.simulator import Simulator
from bot.channels.sms import TwilioSms, open_twilio_client
from bot.clock import SystemClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import ChannelKind, Message
from schedules.claims import claim_due, has_work
from schedules.dispatcher import DispatchOptions, dispatch_due
from tests.query_plans import plan_of

BENCHMARK = "dispatch"
CPH = ZoneInfo("Europe/Copenhagen")
CLAIM_INDEX = "ix_messages_status_send_after"
# The service's defaults (DISPATCH_CONCURRENCY, DISPATCH_BATCH_SIZE).
CONCURRENCY = 64
BATCH_SIZE = 500
IDLE_TICKS = 200
WARM_UP_TICKS = 10


@dataclass(frozen=True)
class Options:
    messages: int
    latency_messages: int
    future: int


class LatencyChannel:
    """A channel whose every send takes ``latency`` seconds (a slow provider, no CPU cost)."""

    def __init__(self, kind: ChannelKind, latency: float) -> None:
        self.kind = kind
        self.latency = latency

    async def send(self, message: Outgoing) -> Receipt:
        await asyncio.sleep(self.latency)
        return Receipt(provider_id=f"lat-{message.message_id}", delivered=True)


def lag_summary(lags: list[float]) -> dict[str, float]:
    """Record lags in ms: how long the first answered send of a wave waited for its commit."""
    if not lags:
        return {}
    return {
        "median": round(statistics.median(lags) * 1000, 1),
        "p99": round(percentile(lags, 0.99) * 1000, 1),
        "max": round(max(lags) * 1000, 1),
    }


def load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def every_channel(channel: Channel) -> dict[ChannelKind, Channel]:
    """``channel`` for SMS, the silent simulator for the kinds the batch does not use."""
    quiet = {kind: Simulator(kind, echo=None) for kind in ChannelKind}
    return {**quiet, ChannelKind.SMS: channel}


@dataclass(frozen=True)
class Scenario:
    what: str
    target: str
    minimum: float


ZERO_LATENCY = Scenario("zero-latency channel", ">= 3,000 msg/s", 3_000)
TWILIO = Scenario("real twilio client -> fake Twilio, <= 64 connections", ">= 1,500 msg/s", 1_500)
LATENCY = Scenario("100 ms channel (ceiling 640/s at concurrency 64)", ">= 300 msg/s", 300)


async def throughput(
    database: Database,
    recipients: Sequence[int],
    engine: str,
    size: int,
    scenario: Scenario,
    channel: Channel,
    count: int,
    tag: str,
) -> Row:
    ids = await plan_due(database, recipients, count, tag)
    options = DispatchOptions(tz=CPH, quiet=None, concurrency=CONCURRENCY, batch_size=BATCH_SIZE)
    load = load_average()
    started, cpu_started = time.perf_counter(), time.process_time()
    report = await dispatch_due(database, every_channel(channel), SystemClock(), options)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    outcome = await statuses(database, ids)
    sent = outcome.get("sent", 0) + outcome.get("delivered", 0)
    per_second = round(report.total / elapsed)
    return Row(
        benchmark=BENCHMARK,
        what=f"{scenario.what}, {count:,} due",
        engine=engine,
        participants=size,
        median=per_second,
        p99=None,
        unit="msg/s",
        target=scenario.target,
        # Every message of the batch must have gone out for the number to count.
        met=per_second >= scenario.minimum and sent == count,
        extra={
            "messages": count,
            "handled": report.total,  # the batch, plus anything of the programme's that fell due
            "batch_statuses": outcome,
            "seconds": round(elapsed, 3),
            # Per CPU-second of this process: what one free core would do on a shared machine.
            "per_cpu_second": round(report.total / cpu) if cpu else None,
            "record_lag_ms": lag_summary(report.record_lags),
            "load_average": load,
        },
    )


async def through_twilio(
    database: Database, recipients: Sequence[int], engine: str, size: int, count: int
) -> Row:
    with FakeTwilioProcess() as twilio:
        client, session = open_twilio_client(
            ACCOUNT_SID, AUTH_TOKEN, api_url=twilio.url, max_connections=CONCURRENCY
        )
        try:
            channel = TwilioSms(
                client, from_number="+4570000000", catalogs=Catalogs.load(), timeout=15
            )
            row = await throughput(
                database, recipients, engine, size, TWILIO, channel, count, "twilio"
            )
        finally:
            await session.close()
        row.extra["provider_accepted"] = len(twilio.sends())
    return row


async def idle_tick(database: Database, engine: str, size: int, future: int) -> Row:
    async with database.read() as session:
        rows = await session.scalar(select(func.count()).select_from(Message))
    options = DispatchOptions(tz=CPH, quiet=None)
    channels = every_channel(Simulator(ChannelKind.SMS, echo=None))
    clock = SystemClock()
    load = load_average()
    timings = []
    for _ in range(WARM_UP_TICKS + IDLE_TICKS):
        started = time.perf_counter()
        report = await dispatch_due(database, channels, clock, options)
        timings.append((time.perf_counter() - started) * 1000)
        if report.total:
            raise RuntimeError(f"the idle tick found work: {report.counts}")
    timings = timings[WARM_UP_TICKS:]  # the first ticks warm the connection pool and caches
    median = statistics.median(timings)
    return Row(
        benchmark=BENCHMARK,
        what=f"idle tick, {future:,} future messages added",
        engine=engine,
        participants=size,
        median=round(median, 2),
        p99=round(percentile(timings, 0.99), 2),
        unit="ms",
        target="< 5 ms",
        met=median < 5,
        extra={"messages_in_table": rows, "ticks": IDLE_TICKS, "load_average": load},
    )


def scans_the_table(plan: str) -> bool:
    return "Seq Scan on messages" in plan or "SCAN messages" in plan


async def index_check(database: Database, engine: str, size: int) -> Row:
    """EXPLAIN the statements the idle probe and the claim really send (rolled back)."""
    now = SystemClock().now()

    async def probe(session: AsyncSession) -> object:
        return await has_work(session, now=now, urgent_only=False)

    async def claim(session: AsyncSession) -> object:
        lease = DispatchOptions(tz=CPH).lease
        return await claim_due(session, now=now, limit=BATCH_SIZE, lease=lease, urgent_only=False)

    plans: dict[str, str] = {}
    for name, call in (("idle probe", probe), ("claim", claim)):
        plans[name] = await plan_of(database, call)
    return Row(
        benchmark=BENCHMARK,
        what=f"idle probe and claim use {CLAIM_INDEX}",
        engine=engine,
        participants=size,
        median=None,
        p99=None,
        unit="",
        target="index used",
        met=all(CLAIM_INDEX in plan and not scans_the_table(plan) for plan in plans.values()),
        extra={"plans": plans},
    )


def peak_memory(engine: str, size: int) -> Row:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Row(
        benchmark=BENCHMARK,
        what="peak memory of the benchmark process (all of the above)",
        engine=engine,
        participants=size,
        median=round(peak, 1),
        p99=None,
        unit="MB",
        target="< 150 MB",
        met=peak < 150,
    )


async def measure(engine: str, size: int, options: Options) -> list[Row]:
    programme = await programme_copy(engine, size)
    install_bench_keys()
    database = Database(programme.url)
    try:
        recipients = await sms_recipients(database, programme)
        silent = Simulator(ChannelKind.SMS, echo=None)
        rows = [
            await throughput(
                database, recipients, engine, size, ZERO_LATENCY, silent, options.messages, "zero"
            ),
            await through_twilio(database, recipients, engine, size, options.messages),
            await throughput(
                database,
                recipients,
                engine,
                size,
                LATENCY,
                LatencyChannel(ChannelKind.SMS, 0.1),
                options.latency_messages,
                "latency",
            ),
        ]
        await add_future_rows(database, recipients, options.future)
        rows.append(await idle_tick(database, engine, size, options.future))
        rows.append(await index_check(database, engine, size))
        rows.append(peak_memory(engine, size))
        return rows
    finally:
        await database.dispose()
        await drop_copy(programme)


def _measure_in_child(engine: str, size: int, options: Options, connection: Any) -> None:
    try:
        # On the event loop the service runs on (``brobygger run``: uvicorn with uvloop).
        connection.send(uvloop.run(measure(engine, size, options)))
    except BaseException as error:
        connection.send(f"{type(error).__name__}: {error}")
        raise


def measure_isolated(engine: str, size: int, options: Options) -> list[Row]:
    """``measure`` in a fresh process: its own memory, caches and event loop."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_measure_in_child, args=(engine, size, options, sender))
    child.start()
    sender.close()
    try:
        answer = receiver.recv()
    except EOFError:
        answer = f"the benchmark process died (exit code {child.exitcode})"
    child.join()
    if isinstance(answer, str):
        raise RuntimeError(f"dispatch benchmark, {engine} at {size:,}: {answer}")
    rows: list[Row] = answer
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    arguments = benchmark_arguments(__doc__.splitlines()[0])
    arguments.add_argument("--messages", type=int, default=10_000, help="zero-latency and twilio")
    arguments.add_argument("--latency-messages", type=int, default=3_000)
    arguments.add_argument("--future", type=int, default=1_000_000)
    args = arguments.parse_args(argv)
    options = Options(args.messages, args.latency_messages, args.future)
    rows: list[Row] = []
    for engine in engines_from(args.engine):
        for size in args.sizes:
            rows += measure_isolated(engine, size, options)
    write_results(BENCHMARK, rows)


if __name__ == "__main__":
    main()
