"""The design most bots start with, measured beside ours: one APScheduler ``date`` job per reminder.

APScheduler 3.x (the version our own ticks use), as its documentation shows it: an
``AsyncIOScheduler`` with a ``SQLAlchemyJobStore`` on a SQLite file (a synchronous store: every
``add_job`` is a transaction of its own, on the event loop) or a ``MemoryJobStore``, each job
calling a coroutine that sends one SMS through the twilio client, with APScheduler's defaults
(``misfire_grace_time`` = 1 s: a job whose time passed more than a second before the scheduler
saw it is dropped with a warning).

Every measurement runs in a process of its own (``spawn``), so its memory, its event loop and its
restart are its own and never share ours.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bench.results import RESULTS, percentile
from bench.service import rss_of
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN

STORES = ("sqlalchemy", "memory")


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder as the bot would schedule it: a job id, when, to whom, what."""

    job_id: str
    run_at: datetime
    to: str
    text: str


@dataclass(frozen=True, slots=True)
class MeetingMove:
    """A meeting that moves: its reminder jobs and the new times they go at."""

    job_ids: tuple[str, ...]
    run_at: tuple[datetime, ...]


def scheduler_with(store: str, path: str) -> AsyncIOScheduler:
    """The scheduler as most bots build it; ``path`` is the SQLite file of the SQLAlchemy store."""
    jobstore = (
        SQLAlchemyJobStore(url=f"sqlite:///{path}") if store == "sqlalchemy" else MemoryJobStore()
    )
    return AsyncIOScheduler(jobstores={"default": jobstore}, timezone=UTC)


def add_jobs(scheduler: AsyncIOScheduler, reminders: list[Reminder]) -> None:
    """One ``date`` job per reminder, the job id its key (as a bot would, to move it later)."""
    for reminder in reminders:
        scheduler.add_job(
            send_sms,
            "date",
            run_date=reminder.run_at,
            args=[reminder.to, reminder.text, reminder.job_id],
            id=reminder.job_id,
        )


# --- The job --------------------------------------------------------------------------------

# The bot's one twilio client, built on first use inside the running loop (``serve`` sets
# where the provider is).
_twilio: dict[str, Any] = {}


async def send_sms(to: str, text: str, job_id: str) -> None:
    """What each job does when its time comes: one SMS through the twilio client.

    ``job_id`` travels in the status callback so the fake provider's log says which reminder
    each SMS was.
    """
    client = _twilio.get("client")
    if client is None:
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AsyncTwilioHttpClient())
        client.api.base_url = _twilio["url"]
        _twilio["client"] = client
    await client.messages.create_async(
        to=to,
        from_="+4570000000",
        body=text,
        status_callback=f"http://127.0.0.1:9/status?job={job_id}",
    )


# --- Planning: add, wake up, reschedule, memory (run in a process of its own) ----------------


def planning(
    store: str, path: str, reminders: list[Reminder], moves: list[MeetingMove]
) -> dict[str, Any]:
    """Add every reminder as a job, time idle wake-ups, move meetings; the numbers as a dict."""
    return asyncio.run(_planning(store, path, reminders, moves))


async def _planning(
    store: str, path: str, reminders: list[Reminder], moves: list[MeetingMove]
) -> dict[str, Any]:
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = scheduler_with(store, path)
    scheduler.start()
    await asyncio.sleep(0.1)  # the first wake-up, with an empty store
    rss_before = rss_of(os.getpid())
    started, cpu_started = time.perf_counter(), time.process_time()
    add_jobs(scheduler, reminders)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await asyncio.sleep(0.1)
    rss_after = rss_of(os.getpid())

    # A wake-up is what the scheduler does each time its timer fires: ask every store for the
    # due jobs and the next run time (``_process_jobs``; nothing here is due).
    wakeups = []
    for _ in range(60):
        tick = time.perf_counter()
        scheduler._process_jobs()
        wakeups.append((time.perf_counter() - tick) * 1000)
    wakeups = wakeups[10:]

    per_move = []
    moves_started = time.perf_counter()
    for move in moves:
        tick = time.perf_counter()
        for job_id, run_at in zip(move.job_ids, move.run_at, strict=True):
            scheduler.reschedule_job(job_id, trigger="date", run_date=run_at)
        per_move.append((time.perf_counter() - tick) * 1000)
    moves_seconds = time.perf_counter() - moves_started
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)
    return {
        "jobs": len(reminders),
        "seconds": seconds,
        "per_second": len(reminders) / seconds,
        "per_cpu_second": len(reminders) / cpu if cpu else None,
        "rss_delta_mb": rss_after - rss_before,
        "wakeup_ms": (statistics.median(wakeups), percentile(wakeups, 0.99)),
        "moves": len(moves),
        "moves_seconds": moves_seconds,
        "move_ms": (statistics.median(per_move), percentile(per_move, 0.99)) if per_move else None,
    }


# --- The outage: a bot process that runs its jobs until it is stopped -------------------------


def serve(path: str, reminders: list[Reminder], ready: Any, twilio_url: str) -> None:
    """Run the bot with a SQLite job store at ``path``: add ``reminders`` (none on a restart),
    set ``ready``, then run jobs, sending to the provider at ``twilio_url``, until SIGTERM (a
    clean shutdown) or SIGKILL."""
    _twilio["url"] = twilio_url
    asyncio.run(_serve(path, reminders, ready))


async def _serve(path: str, reminders: list[Reminder], ready: Any) -> None:
    # The bot's log goes beside the results, as the service's does: each dropped misfire is a
    # WARNING there ("Run time of job ... was missed by ..."); the benchmark counts at the
    # provider.
    RESULTS.mkdir(exist_ok=True)
    logging.basicConfig(filename=RESULTS / "apscheduler.log", level=logging.WARNING, force=True)
    scheduler = scheduler_with("sqlalchemy", path)
    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    scheduler.start()
    add_jobs(scheduler, reminders)
    ready.set()
    await stopped.wait()
    scheduler.shutdown(wait=True)
    await asyncio.sleep(0.5)  # let a job in flight finish its send


def stored_jobs(path: str) -> int:
    """How many jobs are still in the SQLite job store (run jobs and dropped misfires are gone)."""
    import sqlite3

    with sqlite3.connect(path) as raw:
        return int(raw.execute("SELECT count(*) FROM apscheduler_jobs").fetchone()[0])
