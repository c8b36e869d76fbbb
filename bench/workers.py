"""Worker scaling on PostgreSQL: 1, 2 and 4 ``brobygger run`` processes (python -m bench.workers).

For each size, on a private copy of the bench programme on PostgreSQL:

1. The fake Twilio runs in a process of its own and answers every request after 100 ms
   (``--latency``), like a distant provider.
2. For N in ``--workers`` (1, 2, 4): N real ``brobygger run`` processes (``bench.service``) start
   with the real twilio client pointed at the fake; once all answer ``/healthz``, the benchmark
   plans ``--messages`` SMS due now, spread over the programme's active SMS participants, in
   one transaction, and waits until none of them is planned or sending any more.
3. Throughput is counted as the provider saw it: the batch's messages divided by the time from
   the first request's arrival to the last one's answer. Every message of the batch must have
   reached the fake exactly once and be ``sent`` in the table.

The workers keep the service's defaults (DISPATCH_CONCURRENCY 64, DISPATCH_BATCH_SIZE 500,
DISPATCH_INTERVAL_SECONDS 2) unless ``--setting KEY=VALUE`` says otherwise, so the numbers are
what a deployment gets. Target: 2 workers >= 1.7 x one worker's throughput. Results:
``bench/results/workers.json`` and a table (``bench.results``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench.arguments import benchmark_arguments, engines_from
from bench.due import chunks, plan_due, sms_recipients, statuses
from bench.fake_twilio_process import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioProcess, Send
from bench.programme import Programme, drop_copy, install_bench_keys, programme_copy
from bench.results import Row, write_results
from bench.service import Service, start_service
from bot.db import Database
from bot.models import Message, MessageStatus

BENCHMARK = "workers"
SCALING_TARGET = 1.7
UNFINISHED = (MessageStatus.PLANNED, MessageStatus.SENDING)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LABEL_PORT = 9100  # never listened on: see worker_label


@dataclass(frozen=True)
class Options:
    workers: tuple[int, ...]
    messages: int
    latency: float
    settings: dict[str, str]


@dataclass(frozen=True)
class Run:
    """One batch through N workers, as the fake provider saw it."""

    workers: int
    messages: int
    per_second: float
    seconds: float
    exactly_once: bool
    statuses: dict[str, int]
    duplicates: int
    missing: int
    cpu_seconds: list[float]
    load_average: list[float]
    # Per worker: messages sent, and its first and last send in seconds after the batch's first.
    per_worker: list[dict[str, float]]


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def has_exited(service: Service) -> bool:
    try:
        return _stat(service.pid)[0] in ("Z", "X")
    except FileNotFoundError:
        return True


async def unfinished(database: Database, ids: Sequence[int]) -> int:
    count = 0
    async with database.read() as session:
        for part in chunks(ids):
            count += (
                await session.scalar(
                    select(func.count()).where(Message.id.in_(part), Message.status.in_(UNFINISHED))
                )
                or 0
            )
    return count


async def wait_until_finished(
    database: Database, ids: Sequence[int], services: Sequence[Service], deadline: float
) -> None:
    while await unfinished(database, ids):
        dead = [service.pid for service in services if has_exited(service)]
        if dead:
            raise RuntimeError(f"worker processes {dead} exited during the run")
        if time.monotonic() > deadline:
            left = await unfinished(database, ids)
            raise RuntimeError(f"{left} of {len(ids)} messages not finished in time")
        await asyncio.sleep(0.2)


def worker_label(index: int) -> str:
    return f"http://127.0.0.1:{LABEL_PORT + index}"


def worker_settings(twilio: FakeTwilioProcess, extra: dict[str, str]) -> dict[str, str]:
    return {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from": "+4570000000",
        "twilio_api_url": twilio.url,
        "quiet_hours": "off",
        "demo": "false",
        **extra,
    }


async def one_run(
    programme: Programme,
    database: Database,
    recipients: Sequence[int],
    twilio: FakeTwilioProcess,
    workers: int,
    options: Options,
) -> Run:
    settings = worker_settings(twilio, options.settings)
    services: list[Service] = []
    try:
        for index in range(workers):
            # PUBLIC_URL only labels the status callback URL: it tells the fake who sent what.
            label = {"public_url": worker_label(index)}
            services.append(await asyncio.to_thread(start_service, programme, **settings, **label))
        pids = [service.pid for service in services] + [twilio.pid]
        cpu_before = [cpu_seconds(pid) for pid in pids]
        load = [round(load, 2) for load in os.getloadavg()]
        ids = await plan_due(database, recipients, options.messages, f"workers-{workers}")
        deadline = time.monotonic() + 60 + options.messages / 50
        await wait_until_finished(database, ids, services, deadline)
        # The workers' CPU seconds for the batch, then the fake provider's.
        cpu = [round(cpu_seconds(pid) - was, 2) for pid, was in zip(pids, cpu_before, strict=True)]
    finally:
        for service in services:
            await service.stop()
    return summarise(workers, ids, twilio.sends(), await statuses(database, ids), cpu, load)


def summarise(
    workers: int,
    ids: Sequence[int],
    sends: Sequence[Send],
    outcome: dict[str, int],
    cpu: list[float],
    load: list[float],
) -> Run:
    batch = set(ids)
    ours = [send for send in sends if send.message_id in batch]
    seen = Counter(send.message_id for send in ours)
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    missing = len(batch - seen.keys())
    first = min((s.received_at for s in ours), default=0.0)
    seconds = max(s.accepted_at for s in ours) - first if ours else 0.0
    per_worker = []
    for index in range(workers):
        sender = worker_label(index).split("//", 1)[1]
        sent = [s for s in ours if s.sender == sender]
        per_worker.append(
            {
                "sent": len(sent),
                "first_s": round(min((s.received_at for s in sent), default=first) - first, 3),
                "last_s": round(max((s.accepted_at for s in sent), default=first) - first, 3),
            }
        )
    return Run(
        workers=workers,
        messages=len(ids),
        per_second=round(len(ours) / seconds, 1) if seconds else 0.0,
        seconds=round(seconds, 3),
        exactly_once=not duplicates and not missing and outcome.get("sent") == len(ids),
        statuses=outcome,
        duplicates=duplicates,
        missing=missing,
        cpu_seconds=cpu,
        load_average=load,
        per_worker=per_worker,
    )


def rows_for(programme: Programme, runs: Sequence[Run], options: Options) -> list[Row]:
    one = next((run.per_second for run in runs if run.workers == 1), None)
    rows = []
    for run in runs:
        ratio = round(run.per_second / one, 2) if one else None
        # Throughput counts only if every message went out exactly once.
        met: bool | None = None if run.exactly_once else False
        if run.workers == 2 and ratio is not None:
            met = ratio >= SCALING_TARGET and run.exactly_once
        rows.append(
            Row(
                benchmark=BENCHMARK,
                what=(
                    f"{run.workers} worker{'s' if run.workers > 1 else ''}, "
                    f"{options.latency * 1000:g} ms fake Twilio, {run.messages:,} due"
                ),
                engine=programme.engine,
                participants=programme.participants,
                median=run.per_second,
                p99=None,
                unit="msg/s",
                target=f">= {SCALING_TARGET} x 1 worker" if run.workers == 2 else "",
                met=met,
                extra={
                    "x_one_worker": ratio,
                    "seconds": run.seconds,
                    "exactly_once": run.exactly_once,
                    "duplicates": run.duplicates,
                    "missing": run.missing,
                    "statuses": run.statuses,
                    "worker_cpu_seconds": run.cpu_seconds[:-1],
                    "fake_twilio_cpu_seconds": run.cpu_seconds[-1],
                    "per_worker": run.per_worker,
                    "settings": options.settings,
                    "load_average": run.load_average,
                },
            )
        )
    return rows


async def measure(size: int, options: Options) -> list[Row]:
    programme = await programme_copy("postgresql", size)
    install_bench_keys()
    database = Database(programme.url)
    try:
        recipients = await sms_recipients(database, programme)
        with FakeTwilioProcess(latency=options.latency) as twilio:
            runs = [
                await one_run(programme, database, recipients, twilio, workers, options)
                for workers in options.workers
            ]
        return rows_for(programme, runs, options)
    finally:
        await database.dispose()
        await drop_copy(programme)


def setting(value: str) -> tuple[str, str]:
    key, equals, setting_value = value.partition("=")
    if not equals or not key:
        message = f"expected KEY=VALUE, e.g. dispatch_concurrency=128: {value!r}"
        raise argparse.ArgumentTypeError(message)
    return key.strip().lower(), setting_value.strip()


def main(argv: Sequence[str] | None = None) -> None:
    arguments = benchmark_arguments(__doc__.splitlines()[0])
    arguments.add_argument(
        "--workers", type=lambda v: tuple(int(n) for n in v.split(",")), default=(1, 2, 4)
    )
    arguments.add_argument("--messages", type=int, default=10_000)
    arguments.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    arguments.add_argument(
        "--setting",
        type=setting,
        action="append",
        default=[],
        help="a BROBYGGER_ setting for every worker, e.g. dispatch_interval_seconds=0.5",
    )
    args = arguments.parse_args(argv)
    if "postgresql" not in engines_from(args.engine):
        print("workers: PostgreSQL only (on SQLite one writer at a time claims); nothing to run")
        return
    options = Options(args.workers, args.messages, args.latency, dict(args.setting))
    rows: list[Row] = []
    for size in args.sizes:
        rows += asyncio.run(measure(size, options))
    write_results(BENCHMARK, rows)


if __name__ == "__main__":
    main()
