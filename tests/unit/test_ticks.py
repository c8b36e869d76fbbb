"""Ticks on the real APScheduler: a wake while a tick runs is not lost."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from schedules.scheduler import Ticks


async def test_a_tick_woken_while_it_runs_runs_once_more_right_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks = Ticks(ZoneInfo("Europe/Copenhagen"))
    first_started, release_first, second_ran = asyncio.Event(), asyncio.Event(), asyncio.Event()
    runs: list[int] = []

    async def tick() -> None:
        runs.append(len(runs) + 1)
        if len(runs) == 1:
            first_started.set()
            await release_first.wait()
        else:
            second_ran.set()

    ticks.every(timedelta(hours=1), "work", tick)  # its timer never fires during the test
    ticks.start()
    try:
        ticks.wake("work")
        await asyncio.wait_for(first_started.wait(), 5)
        with caplog.at_level(logging.WARNING):
            ticks.wake("work")  # e.g. a message planned after the running tick last looked
            ticks.wake("work")  # several wakes while it runs ask for one more run
            release_first.set()
            await asyncio.wait_for(second_ran.wait(), 5)
            await asyncio.sleep(0.2)  # time enough for a wrongly repeated run to show
    finally:
        ticks.shutdown()

    assert runs == [1, 2]
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]


async def test_a_tick_that_outlasts_its_interval_never_overlaps_and_warns_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks = Ticks(ZoneInfo("Europe/Copenhagen"))
    running, most_at_once, runs = 0, 0, 0
    second_ran = asyncio.Event()

    async def long_tick() -> None:
        nonlocal running, most_at_once, runs
        running += 1
        most_at_once = max(most_at_once, running)
        runs += 1
        if runs == 1:
            await asyncio.sleep(0.6)  # six times its interval, like a long dispatch
        else:
            second_ran.set()
        running -= 1

    ticks.every(timedelta(seconds=0.1), "long", long_tick)
    with caplog.at_level(logging.WARNING):
        ticks.start()
        try:
            await asyncio.wait_for(second_ran.wait(), 5)
        finally:
            ticks.shutdown()

    assert most_at_once == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
