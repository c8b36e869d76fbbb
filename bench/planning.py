"""Planning benchmark: our planner and meetings service beside one APScheduler job per reminder.

``python -m bench.planning [--engine sqlite|postgresql|both] [--sizes 1000,10000,100000]``

On a private copy of the programme at each size, in this order:

1. Nothing is due: whatever the copy holds that fell due since it was built is cancelled.
2. The planner tick (``schedules.planner.plan_checkins``, what the service runs every 5 minutes)
   with the service's 14-day horizon: check-ins planned per second.
3. Idle ticks: the planner again (nothing left to plan) and the dispatcher with nothing due.
4. The whole programme: the check-ins just planned are deleted and the tick plans every
   check-in of every plan to its end (a 365-day horizon); the resident memory it added.
5. Meetings created one at a time through ``bot.services.appointments.create_appointment``
   (confirmation request and reminders), one unit of work each, as the dashboard does.
6. Moving 1,000 meetings: in one unit of work (``move_appointments``), and 1,000 others one unit
   of work each (``move_appointment``): the old reminders cancelled, new ones planned.
7. The other design on the same reminders (``bench.apscheduler_design``, in a process of its
   own per store): ``add_job`` per reminder, an idle wake-up with them stored, rescheduling the
   moved meetings' reminder jobs, and the memory the jobs take.

Results: ``bench/results/planning.json`` and a table (``bench.results``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import uvloop
from sqlalchemy import delete, select, text, update

from bench import apscheduler_design
from bench.apscheduler_design import MeetingMove, Reminder
from bench.programme import ENGINES, SIZES, Programme, drop_copy, programme_copy
from bench.results import Row, percentile, write_results
from bench.service import rss_of
from bot.app import care_rules, dispatch_options
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Checkin,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ParticipantStatus,
)
from bot.services.appointments import (
    MeetingContext,
    Move,
    create_appointment,
    move_appointment,
    move_appointments,
)
from schedules.care_rules import CareRules
from schedules.dispatcher import dispatch_due
from schedules.planner import plan_checkins

BENCHMARK = "planning"
PLANNING_TARGET = 40_000  # messages planned per second
MOVES = 1_000
MOVE_TARGET = 0.5  # seconds for 1,000 moves
WHOLE_PLAN = timedelta(days=365)
# The texts the other design keeps in each job's arguments (ours are in the outbox rows).
CHECKIN = "Hej Jonas. Hvordan går det, fra 1 (meget dårligt) til 5 (meget godt)?"
REMINDER = "Husk dit møde i morgen kl. 10.00. Sted: Jobcenter Aarhus, Værkmestergade 2."


@dataclasses.dataclass
class Measured:
    """What one (engine, size) run found; turned into rows at the end."""

    engine: str
    participants: int
    values: dict[str, Any] = dataclasses.field(default_factory=dict)


def _timings(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 0.99)


async def _timed(action: Callable[[], Awaitable[object]]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (all our threads) and the result of ``action``."""
    started, cpu = time.perf_counter(), time.process_time()
    result = await action()
    return time.perf_counter() - started, time.process_time() - cpu, result


TEMPORARY_INDEXES = ("checkin_id", "in_reply_to_id", "answered_by_id")


async def _nothing_due(database: Database, now: datetime) -> int:
    """Cancel what fell due in the copy since it was built, so the idle ticks find nothing."""
    async with database.session() as session:
        result = await session.execute(
            update(Message)
            .where(Message.status == MessageStatus.PLANNED, Message.send_after <= now)
            .values(status=MessageStatus.CANCELLED, finished_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def _clear_future_checkins(database: Database, now: datetime) -> int:
    """Delete the planned future check-ins, so the next tick plans them all from scratch.

    The service never deletes a message or a check-in (it cancels them; rows stay for the log),
    so nothing indexes the columns that point at them (``checkin_id``, and ``in_reply_to_id``
    and ``answered_by_id`` between messages): each deleted row would make the database scan
    every message for the foreign keys' ``ON DELETE SET NULL`` (hours at 10,000 participants).
    Temporary indexes on the private copy make the deletion quick; they are gone before
    anything is measured.
    """
    async with database.session() as session:
        for column in TEMPORARY_INDEXES:
            await session.execute(text(f"CREATE INDEX bench_{column} ON messages ({column})"))
        checkin_ids = list(
            await session.scalars(
                delete(Message)
                .where(
                    Message.kind == MessageKind.CHECKIN,
                    Message.status == MessageStatus.PLANNED,
                    Message.due_at > now,
                )
                .returning(Message.checkin_id)
            )
        )
        ids = [checkin_id for checkin_id in checkin_ids if checkin_id is not None]
        for start in range(0, len(ids), 2_000):
            await session.execute(delete(Checkin).where(Checkin.id.in_(ids[start : start + 2_000])))
        for column in TEMPORARY_INDEXES:
            await session.execute(text(f"DROP INDEX bench_{column}"))
        return len(checkin_ids)


async def _planner(
    run: Measured, database: Database, settings_rules: CareRules, catalogs: Catalogs
) -> None:
    clock = SystemClock()
    seconds, cpu, result = await _timed(
        lambda: plan_checkins(database, clock, settings_rules, catalogs)
    )
    planned = getattr(result, "planned", 0)
    run.values["planner_14d"] = (planned, seconds, cpu)

    idle = []
    for _ in range(5):
        seconds, _, _ = await _timed(
            lambda: plan_checkins(database, clock, settings_rules, catalogs)
        )
        idle.append(seconds * 1000)
    run.values["planner_idle_ms"] = _timings(idle)

    await _clear_future_checkins(database, clock.now())
    whole = dataclasses.replace(settings_rules, horizon=WHOLE_PLAN)
    rss_before = rss_of(os.getpid())
    seconds, cpu, result = await _timed(lambda: plan_checkins(database, clock, whole, catalogs))
    run.values["planner_whole"] = (getattr(result, "planned", 0), seconds, cpu)
    run.values["planner_rss_delta_mb"] = rss_of(os.getpid()) - rss_before


async def _dispatcher_idle(run: Measured, database: Database, options: Any) -> None:
    clock = SystemClock()
    idle = []
    for _ in range(60):
        seconds, _, report = await _timed(lambda: dispatch_due(database, {}, clock, options))
        assert getattr(report, "total", 0) == 0, "the idle dispatcher tick found something due"
        idle.append(seconds * 1000)
    run.values["dispatcher_idle_ms"] = _timings(idle[10:])


async def _active_participants(database: Database, count: int) -> list[int]:
    async with database.read() as session:
        return list(
            await session.scalars(
                select(Participant.id)
                .where(Participant.status == ParticipantStatus.ACTIVE)
                .order_by(Participant.id)
                .limit(count)
            )
        )


async def _create_meetings(
    run: Measured, database: Database, rules: CareRules, catalogs: Catalogs, count: int
) -> None:
    """One meeting per active participant, one unit of work each, as staff would add them."""
    now = datetime.now(UTC)
    context = MeetingContext(catalogs, rules, now)
    starts = (now + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    latencies = []
    started, cpu = time.perf_counter(), time.process_time()
    for n, participant_id in enumerate(await _active_participants(database, count)):
        tick = time.perf_counter()
        async with database.session() as session:
            await create_appointment(
                session,
                context,
                participant_id=participant_id,
                kind=AppointmentKind.JOBCENTRE,
                starts_at=starts + timedelta(minutes=15 * (n % 24)),
                place="Jobcenter Holstebro, Lægårdvej 2",
            )
        latencies.append((time.perf_counter() - tick) * 1000)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    per_meeting = 1 + len(rules.meeting_reminders(starts, now=now))
    run.values["meetings_created"] = (len(latencies), per_meeting, seconds, cpu)
    run.values["meeting_create_ms"] = _timings(latencies)


async def _meetings_to_move(database: Database, count: int) -> list[Appointment]:
    """Future meetings of active participants, at least a day ahead (their reminders planned)."""
    async with database.read() as session:
        return list(
            await session.scalars(
                select(Appointment)
                .join(Participant, Participant.id == Appointment.participant_id)
                .where(
                    Participant.status == ParticipantStatus.ACTIVE,
                    Appointment.status == AppointmentStatus.SCHEDULED,
                    Appointment.starts_at > datetime.now(UTC) + timedelta(days=1),
                )
                .order_by(Appointment.id)
                .limit(count)
            )
        )


async def _planned_reminders(database: Database, ids: list[int]) -> dict[int, list[Message]]:
    """The planned reminders of these meetings, per meeting (the jobs the other design moves)."""
    found: dict[int, list[Message]] = {}
    async with database.read() as session:
        for start in range(0, len(ids), 2_000):
            rows = await session.scalars(
                select(Message)
                .where(
                    Message.appointment_id.in_(ids[start : start + 2_000]),
                    Message.kind == MessageKind.REMINDER,
                    Message.status == MessageStatus.PLANNED,
                )
                .order_by(Message.id)
            )
            for message in rows:
                assert message.appointment_id is not None
                found.setdefault(message.appointment_id, []).append(message)
    return found


async def _moves(
    run: Measured, database: Database, rules: CareRules, catalogs: Catalogs
) -> tuple[list[Reminder], list[MeetingMove]]:
    """Ours: 1,000 moves in one unit of work, then 1,000 other meetings one unit of work each.

    Returns the first 1,000 as the other design holds and moves them: their reminder jobs
    before the move, and the new times (the same offsets before the new start).
    """
    meetings = await _meetings_to_move(database, 2 * MOVES)
    batch, singles = meetings[:MOVES], meetings[MOVES:]
    reminders = await _planned_reminders(database, [meeting.id for meeting in batch])
    jobs, theirs = [], []
    for meeting in batch:
        later = meeting.starts_at + timedelta(days=1)
        old = [m for m in reminders.get(meeting.id, []) if m.dedupe_key and m.due_at]
        jobs += [
            Reminder(m.dedupe_key or "", m.due_at or later, "+4520000000", REMINDER) for m in old
        ]
        theirs.append(
            MeetingMove(
                job_ids=tuple(m.dedupe_key or "" for m in old),
                run_at=tuple((m.due_at or later) + timedelta(days=1) for m in old),
            )
        )
    context = MeetingContext(catalogs, rules, datetime.now(UTC))
    moves = [Move(meeting.id, meeting.starts_at + timedelta(days=1)) for meeting in batch]

    async def move_all() -> None:
        async with database.session() as session:
            await move_appointments(session, context, moves)

    seconds, cpu, _ = await _timed(move_all)
    run.values["moves_batch"] = (len(moves), seconds, cpu)

    latencies = []
    started = time.perf_counter()
    for meeting in singles:
        tick = time.perf_counter()
        async with database.session() as session:
            await move_appointment(
                session,
                context,
                appointment_id=meeting.id,
                starts_at=meeting.starts_at + timedelta(days=1),
            )
        latencies.append((time.perf_counter() - tick) * 1000)
    if latencies:
        run.values["moves_single"] = (
            len(latencies),
            time.perf_counter() - started,
            *_timings(latencies),
        )
    return jobs, theirs


async def _reminders(database: Database, now: datetime, limit: int) -> list[Reminder]:
    """Every check-in and meeting reminder ahead, as jobs; an even sample of ``limit``."""
    async with database.read() as session:
        rows = (
            await session.execute(
                select(Message.dedupe_key, Message.due_at, Message.participant_id, Message.kind)
                .where(
                    Message.direction == Direction.OUT,
                    Message.status == MessageStatus.PLANNED,
                    Message.kind.in_([MessageKind.CHECKIN, MessageKind.REMINDER]),
                    Message.due_at > now,
                )
                .order_by(Message.id)
            )
        ).all()
    step = max(1, len(rows) // limit) if limit else 1
    return [
        Reminder(
            job_id=key or f"message:{n}",
            run_at=due_at,
            to=f"+452{participant_id or 0:07d}",
            text=CHECKIN if kind == MessageKind.CHECKIN else REMINDER,
        )
        for n, (key, due_at, participant_id, kind) in enumerate(rows)
        if n % step == 0
    ][: limit or None]


async def _apscheduler(
    run: Measured, jobs: list[Reminder], moves: list[MeetingMove], folder: Path
) -> None:
    """The other design, one process per store (spawned: nothing of ours in its memory)."""
    for store in apscheduler_design.STORES:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            result = await asyncio.get_running_loop().run_in_executor(
                pool,
                apscheduler_design.planning,
                store,
                str(folder / f"jobs-{store}.sqlite"),
                jobs,
                moves,
            )
        run.values[f"apscheduler_{store}"] = result


async def measure(engine: str, participants: int, args: argparse.Namespace) -> Measured:
    run = Measured(engine, participants)
    programme: Programme = await programme_copy(engine, participants)
    database = Database(programme.url)
    try:
        settings = load_settings({"BROBYGGER_DATABASE_URL": programme.url})
        rules, catalogs = care_rules(settings), Catalogs.load()
        run.values["cancelled_due"] = await _nothing_due(database, datetime.now(UTC))
        await _planner(run, database, rules, catalogs)
        await _dispatcher_idle(run, database, dispatch_options(settings))
        await _create_meetings(run, database, rules, catalogs, args.meetings)
        # Every reminder ahead before the moves (a sample, if the other design would take too
        # long to add them all), plus the moved meetings' reminders, which it must hold to move.
        sample = await _reminders(database, datetime.now(UTC), args.apscheduler_jobs)
        moved_jobs, moves = await _moves(run, database, rules, catalogs)
        jobs = list({job.job_id: job for job in sample + moved_jobs}.values())
        with TemporaryDirectory(prefix="brobygger-apscheduler-") as folder:
            await _apscheduler(run, jobs, moves, Path(folder))
    finally:
        await database.dispose()
        await drop_copy(programme)
    run.values["load_average"] = [round(load, 2) for load in os.getloadavg()]
    return run


def _rate(count: int, seconds: float) -> float | None:
    return count / seconds if count and seconds else None


def _ratio(ours: float | None, theirs: float | None) -> str:
    """Ours divided by theirs, in the row's own unit: above 1 is better for a rate, below 1 for
    a time or memory."""
    if ours is None or not theirs:
        return ""
    value = ours / theirs
    return f"ours/theirs = {value:,.1f}" if value >= 10 else f"ours/theirs = {value:.2g}"


def rows(run: Measured) -> list[Row]:
    """The table rows of one run: ours, then the other design with the ratio beside it."""
    v = run.values
    out: list[Row] = []

    def row(what: str, median: float | None, p99: float | None, unit: str, **more: Any) -> Row:
        new = Row(BENCHMARK, what, run.engine, run.participants, median, p99, unit, **more)
        out.append(new)
        return new

    for key, what in (
        ("planner_14d", "planner tick: check-ins within the 14-day horizon"),
        ("planner_whole", "planner tick: every check-in to each plan's end"),
    ):
        planned, seconds, cpu = v[key]
        rate = _rate(planned, seconds)
        row(
            what,
            rate,
            None,
            "msg/s",
            target=f">= {PLANNING_TARGET:,}/s",
            met=None if rate is None else rate >= PLANNING_TARGET,
            extra={"messages": planned, "seconds": seconds, "per_cpu_second": _rate(planned, cpu)},
        )
    ours_rate = _rate(v["planner_whole"][0], v["planner_whole"][1])
    count, per_meeting, seconds, cpu = v["meetings_created"]
    row(
        "meetings created one unit of work each (confirmation + reminders)",
        _rate(count * per_meeting, seconds),
        None,
        "msg/s",
        extra={"meetings": count, "per_meeting_ms": v["meeting_create_ms"]},
    )
    moved, seconds, cpu = v["moves_batch"]
    row(
        f"moving {moved:,} meetings in one unit of work (move_appointments)",
        seconds,
        None,
        "s",
        target=f"< {MOVE_TARGET} s",
        met=seconds < MOVE_TARGET if moved == MOVES else None,
        extra={"meetings": moved, "cpu_seconds": cpu},
    )
    if "moves_single" in v:
        moved, total, median, p99 = v["moves_single"]
        row(
            f"moving {moved:,} meetings one unit of work each, per move",
            median,
            p99,
            "ms",
            extra={"meetings": moved, "total_seconds": total},
        )
    row("planner tick with nothing to plan", *v["planner_idle_ms"], "ms")
    row("dispatcher tick with nothing due", *v["dispatcher_idle_ms"], "ms")
    row(
        f"memory added by planning every check-in ({v['planner_whole'][0]:,} rows; RSS)",
        v["planner_rss_delta_mb"],
        None,
        "MB",
    )

    for store, label in (
        ("sqlalchemy", "SQLAlchemyJobStore on SQLite"),
        ("memory", "MemoryJobStore"),
    ):
        theirs = v[f"apscheduler_{store}"]
        jobs = theirs["jobs"]
        ratio = _ratio(ours_rate, theirs["per_second"])
        row(
            f"APScheduler {label}: add_job per reminder ({ratio})",
            theirs["per_second"],
            None,
            "jobs/s",
            extra=theirs,
        )
        ours_moves = v["moves_batch"][1]
        row(
            f"APScheduler {label}: reschedule_job, {theirs['moves']:,} meetings "
            f"({_ratio(ours_moves, theirs['moves_seconds'])})",
            theirs["moves_seconds"],
            None,
            "s",
            extra={"per_move_ms": theirs["move_ms"]},
        )
        wake_median, wake_p99 = theirs["wakeup_ms"]
        row(
            f"APScheduler {label}: wake-up with {jobs:,} jobs stored "
            f"({_ratio(v['dispatcher_idle_ms'][0], wake_median)}, our dispatcher tick)",
            wake_median,
            wake_p99,
            "ms",
        )
        row(
            f"APScheduler {label}: memory for {jobs:,} jobs (RSS)",
            theirs["rss_delta_mb"],
            None,
            "MB",
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument(
        "--meetings", type=int, default=1_000, help="meetings to create one by one (default 1,000)"
    )
    parser.add_argument(
        "--apscheduler-jobs",
        type=int,
        default=10_000,
        help="at most this many reminders (an even sample) for the APScheduler side; 0: all",
    )
    args = parser.parse_args(argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    results: list[Row] = []
    for size in (int(part) for part in args.sizes.split(",")):
        for engine in engines:
            # On the event loop the service runs on (``brobygger run``: uvicorn with uvloop).
            run = uvloop.run(measure(engine, size, args))
            for row in rows(run):
                row.extra["load_average"] = run.values["load_average"]
                results.append(row)
    write_results(BENCHMARK, results)


if __name__ == "__main__":
    main()
