"""The APScheduler wiring: a few periodic, idempotent ticks. The database holds every reminder.

A tick is a plain async function that tests call directly; here it only gets a timer. A slow
tick is never stacked or replayed: ``coalesce=True``, and a run that starts while the tick is
still running (its interval came round, or it was woken) only asks the running one to go round
once more and returns. (APScheduler's own ``max_instances=1`` would skip that run with a warning
every interval while a busy dispatcher works through a stream of commits.)

``wake(name)`` runs a tick now instead of at its next interval (the runtime wakes the dispatcher
after every commit that planned a message). Wake-ups are coalesced here, not in APScheduler:

1. Woken while it is not running, the tick is scheduled to run at once, or ``REPEAT_GAP``
   seconds after its previous run started if that is later; further wake-ups before it starts
   change nothing (one ``modify`` of the job, not one per commit). A short tick woken by a
   stream of small commits (the inbound group commit's batches, hundreds a second) so runs at
   most every ``REPEAT_GAP`` too, each run taking what the commits meanwhile planned.
2. Woken while it runs, the tick runs once more when it finishes, at least ``REPEAT_GAP``
   seconds after the previous run started. A message planned after the running tick looked for
   due rows is so sent at once too, instead of waiting for the next interval; and under a stream
   of commits (hundreds of inbound webhooks a second) the tick runs back to back at most every
   ``REPEAT_GAP``, not once per commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

Tick = Callable[[], Awaitable[object]]

# Seconds between the starts of back-to-back runs of a tick that was woken while running.
REPEAT_GAP = 0.05


@dataclass
class _TickState:
    running: bool = False
    woken: bool = False  # a run is scheduled for now and has not started yet
    again: bool = False  # woken while running: run once more
    started: float = float("-inf")  # time.monotonic() when the last run started


class Ticks:
    """The scheduler and the ticks it runs."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self._states: dict[str, _TickState] = {}
        self.names: list[str] = []

    def every(self, interval: timedelta, name: str, tick: Tick) -> None:
        state = self._states[name] = _TickState()

        async def run() -> None:
            if state.running:
                state.again = True
                return
            state.woken, state.running = False, True
            try:
                while True:
                    state.again = False
                    started = state.started = time.monotonic()
                    try:
                        await tick()
                    except Exception:
                        # A failing tick is logged and tried again next time; it never stops
                        # the loop.
                        logger.exception("tick %s failed", name)
                    if not state.again:
                        return
                    await asyncio.sleep(max(0.0, started + REPEAT_GAP - time.monotonic()))
            finally:
                state.running = False

        self._scheduler.add_job(
            run,
            "interval",
            seconds=interval.total_seconds(),
            id=name,
            name=name,
            max_instances=2,  # the second only sets ``again`` (see the module docstring)
            coalesce=True,
            misfire_grace_time=None,
        )
        self.names.append(name)

    def wake(self, name: str) -> None:
        """Run ``name`` as soon as possible (e.g. a message due now was just planned)."""
        state = self._states.get(name)
        if state is None or not self._scheduler.running:
            return
        if state.running:
            state.again = True
            return
        if state.woken:
            return
        job = self._scheduler.get_job(name)
        if job is not None:
            state.woken = True
            wait = max(0.0, state.started + REPEAT_GAP - time.monotonic())
            now = datetime.now(self._scheduler.timezone)
            job.modify(next_run_time=now + timedelta(seconds=wait))

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
