"""Waking a tick (schedules.scheduler.Ticks): real APScheduler, real event loop, no database."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from schedules.scheduler import REPEAT_GAP, Ticks
from tests.e2e.waiting import eventually
from tests.support_logs import LogCollector

HOUR = timedelta(hours=1)  # only a wake-up can make these ticks run during a test


class GatedTick:
    """A tick that counts its runs and, while ``gate`` is closed, waits inside its run."""

    def __init__(self) -> None:
        self.runs = 0
        self.inside = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> None:
        self.runs += 1
        self.inside.set()
        await self.gate.wait()


async def busy_tick(ticks: Ticks) -> GatedTick:
    """The "dispatch" tick, woken and now inside its first run, held there by its gate."""
    tick = GatedTick()
    tick.gate.clear()
    ticks.every(HOUR, "dispatch", tick)
    ticks.start()
    ticks.wake("dispatch")
    await asyncio.wait_for(tick.inside.wait(), 10)
    return tick


@pytest.fixture
async def ticks() -> AsyncIterator[Ticks]:
    ticks = Ticks(ZoneInfo("Europe/Copenhagen"))
    yield ticks
    ticks.shutdown()


async def test_a_wake_up_during_a_run_runs_the_tick_once_more_after_it(ticks: Ticks) -> None:
    tick = await busy_tick(ticks)

    for _ in range(50):  # fifty commits while the first run is busy
        ticks.wake("dispatch")
    tick.gate.set()

    await eventually(lambda: tick.runs == 2)
    # Nothing woke it after the second run started: it stays at two until the next wake-up.
    ticks.wake("dispatch")
    await eventually(lambda: tick.runs == 3)
    assert tick.runs == 3


async def test_waking_a_busy_tick_logs_nothing(ticks: Ticks, all_logs: LogCollector) -> None:
    tick = await busy_tick(ticks)
    for _ in range(20):
        ticks.wake("dispatch")
        await asyncio.sleep(0)
    tick.gate.set()
    await eventually(lambda: tick.runs == 2)

    warnings = [r.getMessage() for r in all_logs.records if r.levelno >= logging.WARNING]
    assert warnings == []


async def test_the_interval_coming_round_during_a_run_is_no_warning(
    ticks: Ticks, all_logs: LogCollector
) -> None:
    tick = GatedTick()
    tick.gate.clear()
    ticks.every(timedelta(milliseconds=50), "dispatch", tick)
    ticks.start()
    await asyncio.wait_for(tick.inside.wait(), 10)
    await asyncio.sleep(0.3)  # the interval comes round about six times during this run
    tick.gate.set()
    await eventually(lambda: tick.runs >= 2)

    warnings = [r.getMessage() for r in all_logs.records if r.levelno >= logging.WARNING]
    assert warnings == []


async def test_a_short_tick_woken_again_and_again_runs_at_most_every_repeat_gap(
    ticks: Ticks,
) -> None:
    starts: list[float] = []

    async def tick() -> None:
        starts.append(time.monotonic())

    ticks.every(HOUR, "dispatch", tick)
    ticks.start()
    ticks.wake("dispatch")
    await eventually(lambda: len(starts) == 1)
    for _ in range(50):  # a stream of commits, each after the tick has finished
        ticks.wake("dispatch")
        await asyncio.sleep(0)
    await eventually(lambda: len(starts) == 2)
    await asyncio.sleep(REPEAT_GAP * 2)
    assert len(starts) == 2  # the fifty wake-ups made one run
    assert starts[1] - starts[0] >= REPEAT_GAP
