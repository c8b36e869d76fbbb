"""Outage benchmark: stop the service while messages fall due, start it again, count what went.

``python -m bench.outage [--engine ...] [--sizes ...] [--outage 60] [--per-second 5]``

Ours: a real ``brobygger run`` (``bench.service``) sends SMS through the real twilio client to
the fake Twilio (``tests.fakes``, in a process of its own: ``serve_fake_twilio`` below).
Messages fall due ``--per-second`` each second, from a few seconds after start for ``--before``
seconds, the ``--outage`` (60 s) and ``--after`` seconds. After ``--before`` seconds the service
is stopped, by SIGKILL (a crash) or SIGTERM (a clean stop), for ``--outage`` seconds, then
started again on the same database. Counted from what the fake provider accepted (each SMS names
its message id in its status callback): every message due sent, each exactly once, and how late
(from its due time, and from the restart).

Theirs, side by side (``bench.apscheduler_design``): the same schedule as one APScheduler ``date``
job per message in a SQLAlchemyJobStore on SQLite, with APScheduler's default 1 s misfire grace,
in a bot process of its own that is stopped and restarted the same way.

Results: ``bench/results/outage.json`` and a table (``bench.results``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import Queue, get_context
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from bench import apscheduler_design
from bench.apscheduler_design import Reminder
from bench.programme import ENGINES, SIZES, Programme, drop_copy, programme_copy
from bench.results import Row, percentile, write_results
from bench.service import Service, start_service
from bot.db import Database
from bot.models import (
    Address,
    ChannelKind,
    Message,
    MessageKind,
    Participant,
    ParticipantStatus,
)
from bot.outbox import Planned, plan_many
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN

BENCHMARK = "outage"
STOPS = ("kill", "term")
TEXT = "Husk dit møde i morgen kl. 10.00. Sted: Jobcenter Aarhus, Værkmestergade 2."
DRAIN = 120.0  # seconds after the last due time to wait for the backlog before counting


def serve_fake_twilio(port_queue: Queue, log: Connection) -> None:  # type: ignore[type-arg]
    """The fake Twilio server in this (separate) process; its URL goes to ``port_queue``.

    Each number ``n`` sent on ``log`` (a pipe end) is answered with the messages the server
    accepted from the ``n``-th on, whole (the status callback tells ours from APScheduler's).
    ``bench.fake_twilio_process`` serves the other benchmarks, which need only message ids.
    """
    from tests.fakes import FakeTwilio

    server = FakeTwilio().start()
    port_queue.put(server.url)
    while True:
        if log.poll(1.0):
            since = log.recv()
            log.send(server.messages[since:])


class ProviderLog:
    """What the fake Twilio (in its own process) accepted, each with the time we first saw it.

    A thread asks the server for new messages every 50 ms, so an arrival time is at most that
    late; lateness is measured in seconds.
    """

    def __init__(self) -> None:
        context = get_context("spawn")
        ports = context.Queue()
        self._ours, theirs = context.Pipe()
        self._process = context.Process(target=serve_fake_twilio, args=(ports, theirs), daemon=True)
        self._process.start()
        self.url: str = ports.get(timeout=60)
        self.seen: list[tuple[float, dict[str, str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(0.05):
            self._ours.send(len(self.seen))
            new = self._ours.recv()
            arrived = time.time()
            self.seen += [(arrived, message) for message in new]

    def mark(self) -> int:
        """Where the log stands: pass it to ``arrivals`` to count only what comes after."""
        return len(self.seen)

    def arrivals(self, key: str, since: int) -> list[tuple[float, str]]:
        """(arrival, value) of each SMS accepted since ``since`` whose status callback carries
        ``key=value`` (message ids repeat from one programme copy to the next)."""
        found = []
        for arrived, message in self.seen[since:]:
            query = parse_qs(urlsplit(message.get("StatusCallback", "")).query)
            if key in query:
                found.append((arrived, query[key][0]))
        return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._process.terminate()
        self._process.join(5)


@dataclass
class Schedule:
    """When each message falls due, and when the outage starts and ends (epoch seconds)."""

    due: list[float]
    stop_at: float
    restart_at: float
    last_due: float

    @classmethod
    def starting(cls, start: float, args: argparse.Namespace) -> Schedule:
        seconds = args.before + args.outage + args.after
        due = [start + n / args.per_second for n in range(seconds * args.per_second)]
        stop_at = start + args.before
        return cls(due, stop_at, stop_at + args.outage, due[-1])


@dataclass
class Outcome:
    """What one design delivered of one schedule."""

    design: str
    stop: str
    planned: int
    delivered: int = 0
    dropped: int = 0
    duplicates: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds, messages due in the outage
    drained_after_restart: float | None = None  # seconds from restart to the last backlog SMS
    extra: dict[str, Any] = field(default_factory=dict)


def count(
    outcome: Outcome, schedule: Schedule, due: dict[str, float], arrivals: list[tuple[float, str]]
) -> Outcome:
    """Fill ``outcome`` from the provider's arrivals of the ids in ``due`` (id -> due time)."""
    times = Counter(identifier for _, identifier in arrivals)
    first: dict[str, float] = {}
    for arrived, identifier in sorted(arrivals):
        first.setdefault(identifier, arrived)
    outcome.delivered = sum(1 for identifier in due if identifier in first)
    outcome.dropped = len(due) - outcome.delivered
    outcome.duplicates = sum(n - 1 for identifier, n in times.items() if identifier in due)
    in_outage = [
        identifier
        for identifier, at in due.items()
        if schedule.stop_at <= at < schedule.restart_at and identifier in first
    ]
    outcome.lateness = [first[identifier] - due[identifier] for identifier in in_outage]
    if in_outage:
        outcome.drained_after_restart = max(first[i] for i in in_outage) - schedule.restart_at
    before = [first[i] - at for i, at in due.items() if at < schedule.stop_at and i in first]
    outcome.extra["lateness_before_outage_s"] = _summary(before)
    outcome.extra["due_in_outage"] = sum(
        1 for at in due.values() if schedule.stop_at <= at < schedule.restart_at
    )
    return outcome


def _summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "median": round(statistics.median(values), 3),
        "p99": round(percentile(values, 0.99), 3),
        "max": round(max(values), 3),
    }


async def _wait_until(epoch: float) -> None:
    await asyncio.sleep(max(0.0, epoch - time.time()))


async def _wait_for(
    log: ProviderLog, key: str, since: int, wanted: set[str], deadline: float
) -> None:
    """Until every id in ``wanted`` has arrived, or ``deadline`` (epoch) has passed."""
    while time.time() < deadline:
        if wanted <= {identifier for _, identifier in log.arrivals(key, since)}:
            return
        await asyncio.sleep(0.25)


# --- Ours ----------------------------------------------------------------------------------


async def _sms_participants(database: Database, count: int) -> list[int]:
    async with database.read() as session:
        return list(
            await session.scalars(
                select(Participant.id)
                .join(Address, Address.participant_id == Participant.id)
                .where(
                    Participant.status == ParticipantStatus.ACTIVE,
                    Participant.opted_out_at.is_(None),
                    Address.channel == ChannelKind.SMS,
                )
                .order_by(Participant.id)
                .limit(count)
            )
        )


async def _plan(database: Database, schedule: Schedule, run: str) -> dict[str, float]:
    """Plan the schedule's messages through the outbox; returns message id -> due time."""
    people = await _sms_participants(database, len(schedule.due))
    keys = {f"outage:{run}:{n}": at for n, at in enumerate(schedule.due)}
    async with database.session() as session:
        await plan_many(
            session,
            [
                Planned(
                    kind=MessageKind.REMINDER,
                    body=TEXT,
                    due_at=datetime.fromtimestamp(at, UTC),
                    dedupe_key=key,
                    participant_id=people[n % len(people)],
                )
                for n, (key, at) in enumerate(keys.items())
            ],
        )
    async with database.read() as session:
        rows = await session.execute(
            select(Message.id, Message.dedupe_key).where(Message.dedupe_key.in_(list(keys)))
        )
        return {str(message_id): keys[key or ""] for message_id, key in rows}


def _service(programme: Programme, twilio_url: str) -> Service:
    return start_service(
        programme,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from="+4570000000",
        twilio_api_url=twilio_url,
        quiet_hours="off",
    )


async def _stop(service: Service, stop: str) -> None:
    if stop == "kill":
        service.kill()
    else:
        await service.stop()


async def ours(
    programme: Programme, log: ProviderLog, stop: str, args: argparse.Namespace
) -> Outcome:
    database = Database(programme.url)
    since = log.mark()
    try:
        service = await asyncio.to_thread(_service, programme, log.url)
        schedule = Schedule.starting(time.time() + 3, args)
        due = await _plan(database, schedule, stop)
        await _wait_until(schedule.stop_at)
        schedule.stop_at = time.time()  # due from here on: due while the service was down
        await _stop(service, stop)
        await _wait_until(schedule.restart_at)
        service = await asyncio.to_thread(_service, programme, log.url)
        schedule.restart_at = time.time()  # the service answers again from here
        await _wait_until(schedule.last_due)
        await _wait_for(log, "message", since, set(due), schedule.last_due + DRAIN)
        rss = service.rss_mb()
        await service.stop()
        arrivals = log.arrivals("message", since)
        outcome = count(Outcome("ours", stop, len(due)), schedule, due, arrivals)
        async with database.read() as session:
            statuses = await session.execute(
                select(Message.status, func.count())
                .where(Message.id.in_([int(i) for i in due]))
                .group_by(Message.status)
            )
            outcome.extra["statuses"] = {str(s): n for s, n in statuses}
        outcome.extra["service_rss_mb"] = round(rss, 1)
        return outcome
    finally:
        await database.dispose()


# --- Theirs --------------------------------------------------------------------------------


def _bot(path: Path, reminders: list[Reminder], url: str) -> tuple[Any, Any]:
    context = get_context("spawn")
    ready = context.Event()
    process = context.Process(
        target=apscheduler_design.serve, args=(str(path), reminders, ready, url), daemon=True
    )
    process.start()
    return process, ready


async def theirs(log: ProviderLog, stop: str, args: argparse.Namespace, folder: Path) -> Outcome:
    path = folder / f"jobs-{stop}.sqlite"
    seconds = args.before + args.outage + args.after
    # Adding the jobs takes a transaction each: start the schedule once that is surely done.
    start = time.time() + 5 + 0.02 * seconds * args.per_second
    schedule = Schedule.starting(start, args)
    due = {f"outage-{stop}-{n}": at for n, at in enumerate(schedule.due)}
    reminders = [
        Reminder(job_id, datetime.fromtimestamp(at, UTC), f"+452{n:07d}", TEXT)
        for n, (job_id, at) in enumerate(due.items())
    ]
    since = log.mark()
    process, ready = _bot(path, reminders, log.url)
    on_time = await asyncio.to_thread(ready.wait, max(1.0, start - time.time()))
    await _wait_until(schedule.stop_at)
    assert process.pid is not None
    schedule.stop_at = time.time()
    os.kill(process.pid, signal.SIGKILL if stop == "kill" else signal.SIGTERM)
    await asyncio.to_thread(process.join, 60)
    await _wait_until(schedule.restart_at)
    process, ready = _bot(path, [], log.url)
    await asyncio.to_thread(ready.wait, 60)
    schedule.restart_at = time.time()
    await _wait_until(schedule.last_due)
    await _wait_for(log, "job", since, set(due), schedule.last_due + 10)
    left = apscheduler_design.stored_jobs(str(path))
    assert process.pid is not None
    os.kill(process.pid, signal.SIGTERM)
    await asyncio.to_thread(process.join, 60)
    arrivals = log.arrivals("job", since)
    outcome = count(Outcome("apscheduler", stop, len(due)), schedule, due, arrivals)
    outcome.extra.update({"jobs_left_in_store": left, "ready_before_first_due": on_time})
    return outcome


# --- Rows ------------------------------------------------------------------------------------


async def measure(engine: str, participants: int, args: argparse.Namespace) -> list[Outcome]:
    outcomes = []
    log = ProviderLog()
    try:
        for stop in args.stops:
            programme = await programme_copy(engine, participants)
            try:
                outcomes.append(await ours(programme, log, stop, args))
            finally:
                await drop_copy(programme)
        with TemporaryDirectory(prefix="brobygger-outage-") as folder:
            for stop in args.stops:
                outcomes.append(await theirs(log, stop, args, Path(folder)))
    finally:
        log.close()
    return outcomes


def rows(engine: str, participants: int, outcomes: list[Outcome], outage: int) -> list[Row]:
    out = []
    ours_by_stop = {o.stop: o for o in outcomes if o.design == "ours"}
    for outcome in outcomes:
        label = "SIGKILL" if outcome.stop == "kill" else "SIGTERM"
        who = "ours" if outcome.design == "ours" else "APScheduler SQLAlchemyJobStore, 1 s grace"
        mine = ours_by_stop.get(outcome.stop)
        note = ""
        if outcome.design != "ours" and mine is not None:
            note = f" (ours: {mine.dropped} dropped, {mine.duplicates} twice)"
        clean = outcome.dropped == 0 and outcome.duplicates == 0
        extra = {
            "planned": outcome.planned,
            "delivered": outcome.delivered,
            "duplicates": outcome.duplicates,
            "lateness_s": _summary(outcome.lateness),
            "drained_after_restart_s": outcome.drained_after_restart,
            **outcome.extra,
        }
        out.append(
            Row(
                BENCHMARK,
                f"{who}, {label} for {outage} s: dropped of {outcome.planned} due{note}",
                engine,
                participants,
                outcome.dropped,
                None,
                "messages",
                target="0 dropped, each once" if outcome.design == "ours" else "",
                met=clean if outcome.design == "ours" else None,
                extra=extra,
            )
        )
        if outcome.lateness:
            out.append(
                Row(
                    BENCHMARK,
                    f"{who}, {label} for {outage} s: lateness of those due in the outage",
                    engine,
                    participants,
                    statistics.median(outcome.lateness),
                    percentile(outcome.lateness, 0.99),
                    "s",
                    extra={"max": max(outcome.lateness)},
                )
            )
        if outcome.drained_after_restart is not None:
            out.append(
                Row(
                    BENCHMARK,
                    f"{who}, {label} for {outage} s: the backlog was out this long after restart",
                    engine,
                    participants,
                    outcome.drained_after_restart,
                    None,
                    "s",
                )
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--outage", type=int, default=60, help="seconds stopped (default 60)")
    parser.add_argument("--per-second", type=int, default=5, help="messages due each second")
    parser.add_argument("--before", type=int, default=10, help="seconds running before the stop")
    parser.add_argument("--after", type=int, default=10, help="seconds of due messages after")
    parser.add_argument("--stop", choices=[*STOPS, "both"], default="both")
    args = parser.parse_args(argv)
    args.stops = STOPS if args.stop == "both" else (args.stop,)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    results: list[Row] = []
    for size in (int(part) for part in args.sizes.split(",")):
        for engine in engines:
            outcomes = asyncio.run(measure(engine, size, args))
            load = [round(value, 2) for value in os.getloadavg()]
            for row in rows(engine, size, outcomes, args.outage):
                row.extra["load_average"] = load
                results.append(row)
    write_results(BENCHMARK, results)


if __name__ == "__main__":
    main()
