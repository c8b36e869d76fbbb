"""Waking the other workers when there is more due than one worker takes (PostgreSQL).

Each worker's dispatcher ticks every DISPATCH_INTERVAL_SECONDS, so when a burst falls due at once
(quiet hours end, an outage is over, a bulk plan by another process) the workers would join it
one by one, each at its own next tick: up to a whole interval late. A worker whose claim comes
back full therefore announces a backlog (``announce_backlog``: ``NOTIFY`` on PostgreSQL, sent
when its claim commits), and every other worker listening (``listen_for_backlog``) wakes its
dispatcher at once. A worker ignores its own announcements.

On SQLite there is nothing to announce: one process writes at a time, so a second worker could
only wait for the write lock. There the interval alone decides when a worker looks.

If the listening connection cannot be opened or is lost (the database restarted), the worker
falls back to its interval, with a warning; the next start listens again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database

logger = logging.getLogger(__name__)

CHANNEL = "brobygger_dispatch_backlog"
# Tells this process's announcements from the others' (a process hears its own NOTIFY too).
PROCESS_TOKEN = uuid.uuid4().hex


async def announce_backlog(session: AsyncSession, *, token: str = PROCESS_TOKEN) -> None:
    """Tell the other workers (after this transaction commits) that more is due."""
    if session.get_bind().dialect.name == "postgresql":
        notify = text("SELECT pg_notify(:channel, :token)")
        await session.execute(notify, {"channel": CHANNEL, "token": token})


async def listen_for_backlog(
    database: Database, wake: Callable[[], None], *, token: str = PROCESS_TOKEN
) -> Callable[[], Awaitable[None]] | None:
    """Call ``wake`` whenever another worker announces a backlog; returns ``stop``.

    Announcements made with our own ``token`` (this process's) are ignored. None on SQLite,
    where nothing is announced. The listening connection is one of the pool's, held until
    ``stop``.
    """
    if database.is_sqlite:
        return None
    try:
        # Checked out of the pool (never in a transaction) for as long as we listen.
        connection = await database.engine.connect()
    except (OSError, SQLAlchemyError) as error:
        logger.warning(
            "dispatch: cannot listen for other workers (%s); looking every interval only",
            type(error).__name__,
        )
        return None
    driver: Any = (await connection.get_raw_connection()).driver_connection

    def heard(_connection: object, _pid: int, _channel: str, announcer: str) -> None:
        if announcer != token:
            wake()

    def lost(_connection: object) -> None:
        logger.warning("dispatch: lost the backlog listener; workers look every interval only")

    await driver.add_listener(CHANNEL, heard)
    driver.add_termination_listener(lost)

    async def stop() -> None:
        try:
            if not driver.is_closed():
                driver.remove_termination_listener(lost)
                await driver.remove_listener(CHANNEL, heard)
        finally:
            await connection.close()

    return stop
