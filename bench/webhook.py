"""Inbound SMS webhook benchmark: ``python -m bench.webhook [--engine E] [--sizes N,...]``.

For each engine and programme size, on a private copy of the generated programme:

1. Start a real ``brobygger run`` (``bench.service``) with Twilio credentials, ``PUBLIC_URL`` set
   to the address Twilio would call (the service is reached on 127.0.0.1, as behind a proxy) and
   a fake Twilio on 127.0.0.1 as its API, so nothing can leave the machine. Quiet hours cover
   the whole day except one minute far from now, so the reply each webhook plans stays planned:
   this measures receiving (signature, parse, log, answer the open question, plan the reply),
   not sending, which ``bench.dispatch`` measures. ``--send-replies`` turns quiet hours off, so
   the same process also sends every reply to the fake Twilio while it serves the webhooks.
2. Resident memory at rest, a few seconds after start-up.
3. Latency at a fixed 200 requests/s, open loop (requests go out by the clock, so a slow answer
   delays nothing and its queueing shows in the latency): p50 and p99.
4. Saturation with 16 and 64 connections, closed loop: requests/s, latency, peak memory of each
   service process, CPU seconds the service used per request.
5. After every run: each request was answered 200, none failed, and the ``messages`` table holds
   exactly one inbound row per request (found by this run's MessageSids), linked to its sender.
6. On PostgreSQL, the same saturation runs again with ``WEB_PROCESSES=2``.

Load comes from separate processes (``bench.twilio_load``). Results: a table and
bench/results/webhook.json.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.process_tree import PeakMemory, memory_by_process, tree_cpu_seconds
from bench.programme import ENGINES, SIZES, Programme, drop_copy, install_bench_keys, programme_copy
from bench.results import Row, write_results
from bench.service import Service, start_service
from bench.twilio_load import LoadResult, LoadSpec, message_sid, run_load
from bot.db import Database
from bot.models import Direction, InboundEvent, Message

BENCHMARK = "webhook"
PUBLIC_URL = "https://sms.brobygger.example"  # only signed, never called
ACCOUNT_SID = "AC" + "be" * 16
AUTH_TOKEN = "bench-webhook-twilio-auth-token"
OUR_NUMBER = "+4570000000"
CPH = ZoneInfo("Europe/Copenhagen")

TARGET_RPS = 2_000
TARGET_P99_MS = 25.0
TARGET_MB = 250.0
FIXED_RATE = 200.0


@dataclass
class Options:
    latency_seconds: float = 15.0
    saturation_seconds: float = 10.0
    connections: tuple[int, ...] = (16, 64)
    load_processes: int = 1
    send_replies: bool = False
    multi_process: tuple[int, ...] = (2,)


@dataclass
class Run:
    """One load run's merged results, and what the database says about it."""

    what: str
    results: list[LoadResult]
    cpu_seconds: float = 0.0  # the service's, all its processes
    peak_mb: dict[int, float] = field(default_factory=dict)
    inbound_rows: int = -1
    unlinked_rows: int = -1
    events: int = -1
    replies: int = -1
    answered: int = -1

    @property
    def sent(self) -> int:
        return sum(r.sent for r in self.results)

    @property
    def statuses(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for r in self.results:
            total.update(r.statuses)
        return total

    @property
    def failures(self) -> int:
        return sum(r.failures for r in self.results)

    @property
    def seconds(self) -> float:
        return max(r.finished for r in self.results) - min(r.started for r in self.results)

    @property
    def latencies_ms(self) -> list[float]:
        return sorted(x * 1000 for r in self.results for x in r.latencies)

    @property
    def correct(self) -> bool:
        return (
            self.failures == 0
            and self.statuses == Counter({200: self.sent})
            and self.inbound_rows == self.sent
            and self.events == self.sent
            and self.unlinked_rows == 0
        )

    def checks(self) -> dict[str, object]:
        return {
            "requests": self.sent,
            "statuses": dict(self.statuses),
            "connection_failures": self.failures,
            "inbound_rows": self.inbound_rows,
            "inbound_events": self.events,
            "rows_without_sender": self.unlinked_rows,
            "replies_planned": self.replies,
            "answers_sent": sum(r.answers for r in self.results),
            "questions_answered": self.answered,
            "correct": self.correct,
        }


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def always_quiet() -> str:
    """Quiet hours covering all but the minute ~23 h 57 min from now (local time)."""
    now = datetime.now(CPH)
    start, end = now - timedelta(minutes=2), now - timedelta(minutes=3)
    return f"{start:%H:%M}-{end:%H:%M}"


def serve_fake_twilio(urls: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from tests.fakes import FakeTwilio

    server = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    urls.put(server.url)
    while True:
        time.sleep(3600)


class Bench:
    """One engine and size: the programme copy, its service, and the runs against it."""

    def __init__(self, programme: Programme, options: Options, twilio_url: str) -> None:
        self.programme = programme
        self.options = options
        self.twilio_url = twilio_url
        self.context = multiprocessing.get_context("spawn")
        self.nonce = secrets.token_hex(4)
        self.next_index = 0  # request k: sender k % senders; "4" on the first pass
        self.senders = tuple(programme.sms_number(i) for i in range(programme.sms_participants))
        self.database = Database(programme.url)

    def start(self, web_processes: int) -> Service:
        settings = {
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from": OUR_NUMBER,
            "twilio_api_url": self.twilio_url,
            "public_url": PUBLIC_URL,
            "quiet_hours": "off" if self.options.send_replies else always_quiet(),
            "demo": "false",
            "log_level": "WARNING",
        }
        if web_processes > 1:
            settings["web_processes"] = str(web_processes)
        return start_service(self.programme, **settings)

    def specs(
        self, service: Service, *, connections: int, seconds: float, rate: float | None
    ) -> list[LoadSpec]:
        """One LoadSpec per load process; each gets its own interleaved request indices."""
        address = urlsplit(service.url)
        processes = 1 if rate is not None else self.options.load_processes
        per_second = rate if rate is not None else 6_000.0  # a ceiling, to prebuild enough
        capacity = int(per_second * seconds * 1.1) + connections
        first = self.next_index
        self.next_index += capacity * processes
        return [
            LoadSpec(
                host=address.hostname or "127.0.0.1",
                port=address.port or 80,
                public_url=PUBLIC_URL,
                auth_token=AUTH_TOKEN,
                account_sid=ACCOUNT_SID,
                to_number=OUR_NUMBER,
                senders=self.senders,
                nonce=self.nonce,
                indices=range(first + n, first + capacity * processes, processes),
                connections=max(1, connections // processes),
                seconds=seconds,
                rate=rate,
            )
            for n in range(processes)
        ]

    async def load(self, service: Service, what: str, specs: list[LoadSpec]) -> Run:
        """Run the load processes together; sample the service meanwhile; check the rows."""
        before = await self._max_message_id()
        ready = self.context.Barrier(len(specs) + 1)
        go = self.context.Event()
        queue = self.context.Queue()
        workers = [
            self.context.Process(target=run_load, args=(spec, ready, go, queue), daemon=True)
            for spec in specs
        ]
        for worker in workers:
            worker.start()
        await asyncio.to_thread(ready.wait, 120)
        cpu_before = tree_cpu_seconds(service.pid)
        with PeakMemory(service.pid) as memory:
            go.set()
            results = [await asyncio.to_thread(queue.get, 600) for _ in workers]
        run = Run(what, [result for _, result in sorted(results, key=lambda item: item[0])])
        run.cpu_seconds = tree_cpu_seconds(service.pid) - cpu_before
        run.peak_mb = memory.peak
        for worker in workers:
            worker.join(30)
        await self._check(run, before, specs)
        return run

    async def _max_message_id(self) -> int:
        async with self.database.read() as session:
            return int(await session.scalar(select(func.max(Message.id))) or 0)

    async def _check(self, run: Run, before: int, specs: list[LoadSpec]) -> None:
        sids = [message_sid(self.nonce, k) for spec in specs for k in spec.indices]
        low, high = min(sids), max(sids)
        async with self.database.read() as session:
            inbound = select(func.count()).where(
                Message.direction == Direction.IN, Message.id > before
            )
            run.inbound_rows = int(await session.scalar(inbound) or 0)
            run.unlinked_rows = int(
                await session.scalar(inbound.where(Message.participant_id.is_(None))) or 0
            )
            run.answered = int(
                await session.scalar(inbound.where(Message.in_reply_to_id.is_not(None))) or 0
            )
            run.events = int(
                await session.scalar(
                    select(func.count()).where(
                        InboundEvent.provider == "twilio",
                        InboundEvent.external_id.between(low, high),
                    )
                )
                or 0
            )
            run.replies = int(
                await session.scalar(
                    select(func.count()).where(
                        Message.direction == Direction.OUT,
                        Message.id > before,
                        Message.dedupe_key.between(f"reply:twilio:{low}", f"reply:twilio:{high}"),
                    )
                )
                or 0
            )
        if not run.correct:
            print(f"  !! {run.what}: {run.checks()}", flush=True)


def _rows_for(
    bench: Bench, runs: list[Run], rest_mb: dict[int, float], web_processes: int
) -> list[Row]:
    programme = bench.programme
    suffix = "" if web_processes == 1 else f", {web_processes} processes"
    rows: list[Row] = []

    def row(
        what: str,
        median: float | None,
        p99: float | None,
        unit: str,
        target: str,
        met: bool | None,
        extra: dict[str, object],
    ) -> None:
        rows.append(
            Row(
                BENCHMARK,
                what + suffix,
                programme.engine,
                programme.participants,
                None if median is None else round(median, 1),
                None if p99 is None else round(p99, 1),
                unit,
                target,
                met,
                extra,
            )
        )

    at_rest = max(rest_mb.values())
    row(
        "resident memory at rest, per process",
        at_rest,
        None,
        "MB",
        f"< {TARGET_MB:.0f} MB",
        at_rest < TARGET_MB,
        {"processes_mb": {str(k): round(v, 1) for k, v in rest_mb.items()}},
    )
    peak = 0.0
    for run in runs:
        latencies = run.latencies_ms
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        extra: dict[str, object] = {
            **run.checks(),
            "seconds": round(run.seconds, 2),
            "service_cpu_ms_per_request": round(run.cpu_seconds * 1000 / max(run.sent, 1), 3),
            # Whether the load generator could have been the limit: its CPU per request.
            "load_cpu_ms_per_request": round(
                sum(r.cpu_seconds for r in run.results) * 1000 / max(run.sent, 1), 3
            ),
            "latency_ms": {
                "p50": round(p50, 2),
                "p99": round(p99, 2),
                "max": round(latencies[-1], 2) if latencies else None,
            },
            "connections_opened": sum(r.connections_opened for r in run.results),
        }
        if run.peak_mb:
            peak = max(peak, max(run.peak_mb.values()))
        if run.what.startswith("latency"):
            row(
                f"signed inbound SMS at {FIXED_RATE:.0f} req/s (open loop): latency",
                p50,
                p99,
                "ms",
                f"p99 < {TARGET_P99_MS:.0f} ms",
                run.correct and p99 < TARGET_P99_MS,
                extra,
            )
        else:
            rate = run.sent / run.seconds
            extra["achieved_rps"] = round(rate)
            row(
                f"signed inbound SMS, saturation, {run.what}",
                rate,
                None,
                "req/s",
                f">= {TARGET_RPS:,} req/s",
                run.correct and rate >= TARGET_RPS,
                extra,
            )
    row(
        "resident memory under load (peak), per process",
        peak,
        None,
        "MB",
        f"< {TARGET_MB:.0f} MB",
        peak < TARGET_MB,
        {"processes_mb": {str(k): round(v, 1) for r in runs for k, v in r.peak_mb.items()}},
    )
    return rows


async def measure(
    engine: str, size: int, options: Options, twilio_url: str, web_processes: int
) -> list[Row]:
    programme = await programme_copy(engine, size)
    bench = Bench(programme, options, twilio_url)
    service = bench.start(web_processes)
    runs: list[Run] = []
    processes = f"{web_processes} web process" + ("es" if web_processes > 1 else "")
    try:
        await asyncio.sleep(3)  # start-up ticks settle
        rest_mb = memory_by_process(service.pid)
        print(f"{engine} {size:,}: {FIXED_RATE:.0f} req/s, {processes}", flush=True)
        specs = bench.specs(
            service, connections=8, seconds=options.latency_seconds, rate=FIXED_RATE
        )
        runs.append(await bench.load(service, "latency", specs))
        for connections in options.connections:
            print(
                f"{engine} {size:,}: saturation, {connections} connections, {processes}", flush=True
            )
            specs = bench.specs(
                service, connections=connections, seconds=options.saturation_seconds, rate=None
            )
            runs.append(await bench.load(service, f"{connections} connections", specs))
    finally:
        await service.stop()
        await bench.database.dispose()
        await drop_copy(programme)
    return _rows_for(bench, runs, rest_mb, web_processes)


async def run(engines: list[str], sizes: list[int], options: Options) -> list[Row]:
    install_bench_keys()
    context = multiprocessing.get_context("spawn")
    urls = context.Queue()
    twilio = context.Process(target=serve_fake_twilio, args=(urls,), daemon=True)
    twilio.start()
    rows: list[Row] = []
    try:
        twilio_url = urls.get(timeout=60)
        for engine in engines:
            for size in sizes:
                rows += await measure(engine, size, options, twilio_url, 1)
                if engine == "postgresql":
                    for processes in options.multi_process:
                        rows += await measure(engine, size, options, twilio_url, processes)
    finally:
        twilio.terminate()
        twilio.join(5)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.webhook", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="programme sizes, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="each saturation run")
    parser.add_argument(
        "--latency-seconds", type=float, default=15.0, help=f"the run at {FIXED_RATE:.0f} req/s"
    )
    parser.add_argument("--connections", default="16,64")
    parser.add_argument(
        "--load-processes",
        type=int,
        default=1,
        help="load generator processes for the saturation runs",
    )
    parser.add_argument(
        "--web-processes",
        default="2",
        help="PostgreSQL only: also measure with these WEB_PROCESSES ('' none)",
    )
    parser.add_argument(
        "--send-replies",
        action="store_true",
        help="quiet hours off: the service also sends every reply to the fake Twilio",
    )
    args = parser.parse_args(argv)
    options = Options(
        latency_seconds=args.latency_seconds,
        saturation_seconds=args.seconds,
        connections=tuple(int(c) for c in args.connections.split(",")),
        load_processes=args.load_processes,
        send_replies=args.send_replies,
        multi_process=tuple(int(p) for p in args.web_processes.split(",") if p.strip()),
    )
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = asyncio.run(run(engines, sizes, options))
    write_results(BENCHMARK, rows)


if __name__ == "__main__":
    main()
