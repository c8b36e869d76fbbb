"""Dispatcher benchmark: throughput, idle tick and memory, on SQLite (``python -m bench.dispatch``).

Scenarios (each on a fresh SQLite file with the real schema, one citizen, all messages due):

1. ``in_process``: a zero-latency in-process channel (the simulator, silent).
2. ``twilio``: the real twilio client against the fake Twilio server, run in a separate process
   so it does not share our CPU core's GIL; at most DISPATCH_CONCURRENCY (64) connections.
3. ``latency_100ms``: a channel that takes 100 ms per send.
4. ``idle_tick``: one tick with nothing due, with a million future messages in the table.

Results: a table on stdout and JSON in bench/results/dispatch.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.channels.base import Outgoing, Receipt
from bot.channels.simulator import Simulator
from bot.channels.sms import TwilioSms, open_twilio_client
from bot.clock import SystemClock
from bot.crypto import Keyring, generate_key, install_keyring
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import Address, ChannelKind, Participant
from bot.outbox import Planned, plan_many
from bot.schema import upgrade
from schedules.dispatcher import DispatchOptions, dispatch_due

RESULTS = Path(__file__).parent / "results"
CPH = ZoneInfo("Europe/Copenhagen")


class LatencyChannel:
    def __init__(self, kind: ChannelKind, latency: float) -> None:
        self.kind = kind
        self.latency = latency

    async def send(self, message: Outgoing) -> Receipt:
        await asyncio.sleep(self.latency)
        return Receipt(provider_id=f"lat-{message.message_id}", delivered=True)


def lag_summary(lags: list[float]) -> dict[str, float]:
    ordered = sorted(lags) or [0.0]
    return {
        "median": round(statistics.median(ordered) * 1000, 1),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fresh_database(folder: Path, name: str, channel: ChannelKind) -> tuple[Database, int]:
    database = Database(f"sqlite+aiosqlite:///{folder / name}.db")
    await upgrade(database)
    async with database.session() as session:
        person = Participant(name="Bent Benchmark", language="da")
        session.add(person)
        await session.flush()
        session.add(Address(participant_id=person.id, channel=channel, address="+4520000000"))
        return database, person.id


async def plan_due(database: Database, person: int, count: int, prefix: str) -> None:
    now = datetime.now(UTC)
    async with database.session() as session:
        for start in range(0, count, 5_000):
            await plan_many(
                session,
                [
                    Planned(
                        kind="reply",
                        body="Tak for din besked. Din kontaktperson læser den.",
                        due_at=now - timedelta(seconds=1),
                        dedupe_key=f"{prefix}:{n}",
                        participant_id=person,
                    )
                    for n in range(start, min(count, start + 5_000))
                ],
            )


async def throughput(
    folder: Path, name: str, channel_kind: ChannelKind, channel: object, count: int
) -> dict[str, float]:
    database, person = await fresh_database(folder, name, channel_kind)
    try:
        await plan_due(database, person, count, name)
        options = DispatchOptions(tz=CPH, quiet=None, concurrency=64, batch_size=500)
        started, cpu_started = time.perf_counter(), time.process_time()
        report = await dispatch_due(database, {channel_kind: channel}, SystemClock(), options)  # type: ignore[dict-item]
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        done = report.total
        assert done == count, f"{name}: sent {done} of {count}: {report.counts}"
        return {
            "messages": count,
            "seconds": round(elapsed, 3),
            "per_second": round(count / elapsed),
            # Messages per CPU-second of this process (all its threads): what one free core
            # would do, whatever else the shared machine was running.
            "per_cpu_second": round(count / cpu),
            "record_lag_ms": lag_summary(report.record_lags),
        }
    finally:
        await database.dispose()


def serve_fake_twilio(
    port_queue: multiprocessing.Queue,  # type: ignore[type-arg]
    log: Connection | None = None,
) -> None:
    """The fake Twilio server in this (separate) process; its URL goes to ``port_queue``.

    With ``log`` (a pipe end), each number ``n`` sent on it is answered with the messages the
    server accepted from the ``n``-th on, so another process can count them (``bench.outage``).
    """
    from tests.fakes import FakeTwilio

    server = FakeTwilio().start()
    port_queue.put(server.url)
    while True:
        if log is None:
            time.sleep(3600)
        elif log.poll(1.0):
            since = log.recv()
            log.send(server.messages[since:])


async def through_twilio(folder: Path, count: int) -> dict[str, float]:
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=serve_fake_twilio, args=(ports,), daemon=True)
    process.start()
    try:
        url = ports.get(timeout=30)
        from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN

        client, session = open_twilio_client(
            ACCOUNT_SID, AUTH_TOKEN, api_url=url, max_connections=64
        )
        try:
            channel = TwilioSms(
                client, from_number="+4570000000", catalogs=Catalogs.load(), timeout=15
            )
            result = await throughput(folder, "twilio", ChannelKind.SMS, channel, count)
            result["max_connections"] = 64
            return result
        finally:
            await session.close()
    finally:
        process.terminate()
        process.join(5)


async def idle_tick(folder: Path, future: int) -> dict[str, float]:
    database, person = await fresh_database(folder, "idle", ChannelKind.SIMULATOR)
    await database.dispose()
    path = folder / "idle.db"
    # A million future rows, inserted directly (planning them one by one would take minutes).
    later = (datetime.now(UTC) + timedelta(days=30)).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO messages (direction, participant_id, kind, body, status, due_at, "
            "send_after, dedupe_key, expects_reply, urgent, attempts, escalation_step, created_at) "
            "VALUES ('out', ?, 'checkin', 'Hvordan går det?', 'planned', ?, ?, ?, 0, 0, 0, 0, ?)",
            ((person, later, later, f"future:{n}", later) for n in range(future)),
        )
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        options = DispatchOptions(tz=CPH, quiet=None)
        channels = {ChannelKind.SIMULATOR: Simulator(echo=None)}
        clock = SystemClock()
        timings = []
        for _ in range(60):
            started = time.perf_counter()
            report = await dispatch_due(database, channels, clock, options)  # type: ignore[arg-type]
            timings.append((time.perf_counter() - started) * 1000)
            assert report.total == 0
        timings = timings[10:]  # the first ticks warm the connection pool and caches
        return {
            "future_rows": future,
            "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(sorted(timings)[int(len(timings) * 0.95)], 2),
        }
    finally:
        await database.dispose()


async def run(args: argparse.Namespace) -> dict[str, object]:
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="brobygger-bench-") as tmp:
        folder = Path(tmp)
        results["in_process"] = await throughput(
            folder, "in_process", ChannelKind.SIMULATOR, Simulator(echo=None), args.messages
        )
        results["twilio"] = await through_twilio(folder, args.messages)
        results["latency_100ms"] = await throughput(
            folder,
            "latency",
            ChannelKind.SIMULATOR,
            LatencyChannel(ChannelKind.SIMULATOR, 0.1),
            args.latency_messages,
        )
        results["idle_tick"] = await idle_tick(folder, args.future)
    results["max_rss_mb"] = round(rss_mb(), 1)
    results["load_average"] = [round(load, 2) for load in os.getloadavg()]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-messages", type=int, default=3_000)
    parser.add_argument("--future", type=int, default=1_000_000)
    args = parser.parse_args()
    # Phone numbers and bodies are encrypted at rest, as in the service: throw-away keys.
    install_keyring(Keyring([generate_key()], generate_key()))
    results = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dispatch.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'scenario':<16} result")
    for name, value in results.items():
        print(f"{name:<16} {value}")


if __name__ == "__main__":
    main()
