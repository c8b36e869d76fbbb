"""A tick whose claim comes back full wakes the other workers (``schedules.wakeup``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import make_url

from bot.channels.simulator import Simulator
from bot.db import Database
from bot.models import ChannelKind
from bot.outbox import plan_many
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.wakeup import announce_backlog, listen_for_backlog
from tests.conftest import POSTGRES_URL, require_postgres
from tests.integration.delivery_people import citizen, due_message

OPTIONS = DispatchOptions(tz=ZoneInfo("Europe/Copenhagen"), batch_size=10, concurrency=4)
ANOTHER_WORKER = "another worker's token"


async def plan_due(database, clock, count: int) -> None:
    person = await citizen(database)
    async with database.session() as session:
        due = clock.now() - timedelta(minutes=1)
        await plan_many(session, [due_message(person, due, f"wake:{n}") for n in range(count)])


async def test_more_due_than_one_claim_wakes_the_other_workers_on_postgresql(database, clock):
    await plan_due(database, clock, 30)
    woken = asyncio.Event()
    stop = await listen_for_backlog(database, woken.set, token=ANOTHER_WORKER)

    silent = Simulator(echo=None)
    report = await dispatch_due(database, {ChannelKind.SIMULATOR: silent}, clock, OPTIONS)

    assert report["delivered"] == 30  # three full claims, each message once
    if database.is_sqlite:
        # One writer at a time: there is no one to wake, each worker looks every interval.
        assert stop is None
        return
    assert stop is not None
    try:
        await asyncio.wait_for(woken.wait(), 10)
    finally:
        await stop()


async def test_a_worker_does_not_wake_itself(database, clock):
    heard: list[str] = []
    woken = asyncio.Event()

    def wake() -> None:
        heard.append("woken")
        woken.set()

    stop = await listen_for_backlog(database, wake, token="mine")
    if stop is None:
        assert database.is_sqlite
        return
    try:
        async with database.session() as session:
            await announce_backlog(session, token="mine")
            await announce_backlog(session, token=ANOTHER_WORKER)
        # Notifications arrive in the order they were sent: once the other's is heard, ours
        # would have been too.
        await asyncio.wait_for(woken.wait(), 10)
    finally:
        await stop()
    assert heard == ["woken"]


async def test_a_worker_that_cannot_listen_looks_every_interval(caplog):
    await require_postgres()
    unreachable = Database(
        make_url(POSTGRES_URL).set(database="brobygger_no_such_db").render_as_string(False)
    )
    try:
        with caplog.at_level(logging.WARNING):
            stop = await listen_for_backlog(unreachable, lambda: None)
    finally:
        await unreachable.dispose()

    assert stop is None
    assert "looking every interval only" in caplog.text
