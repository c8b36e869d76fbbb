"""The APScheduler wiring: a few periodic, idempotent ticks. The database holds every reminder.

A tick is a plain async function that tests call directly; here it only gets a timer. A tick
never runs twice at once and is never replayed (``coalesce=True``): when its timer fires while
it still runs (a dispatch of 10,000 messages outlasts a 2 s interval), that firing ends at once,
quietly; APScheduler's own ``max_instances=1`` would log a warning every interval instead.
``wake`` runs a tick now; a tick woken while it runs runs once more right after (what woke it
may have come after its last look).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

Tick = Callable[[], Awaitable[object]]


class Ticks:
    """The scheduler and the ticks it runs."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self.names: list[str] = []
        self._running: set[str] = set()
        self._woken_while_running: set[str] = set()

    def every(self, interval: timedelta, name: str, tick: Tick) -> None:
        async def run() -> None:
            if name in self._running:
                return  # the timer fired during a long run, which is looking already
            self._running.add(name)
            try:
                while True:
                    self._woken_while_running.discard(name)
                    try:
                        await tick()
                    except Exception:
                        # A failing tick is logged and tried again next time; it never stops
                        # the loop.
                        logger.exception("tick %s failed", name)
                        return
                    if name not in self._woken_while_running:
                        return
            finally:
                self._running.discard(name)

        self._scheduler.add_job(
            run,
            "interval",
            seconds=interval.total_seconds(),
            id=name,
            name=name,
            # Two, so a firing during a run reaches run() above and ends there without the
            # "maximum number of running instances reached" warning.
            max_instances=2,
            coalesce=True,
            misfire_grace_time=None,
        )
        self.names.append(name)

    def wake(self, name: str) -> None:
        """Run ``name`` as soon as possible (e.g. a message due now was just planned)."""
        if name in self._running:
            self._woken_while_running.add(name)
            return
        job = self._scheduler.get_job(name)
        if job is not None and self._scheduler.running:
            job.modify(next_run_time=datetime.now(self._scheduler.timezone))

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
