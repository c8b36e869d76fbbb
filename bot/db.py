"""The database: an async engine and session factories for SQLite or PostgreSQL.

SQLite is set up so that it behaves under concurrency (see STACK.md):

1. We take control of transactions from the driver (``isolation_level=None``) and emit
   ``BEGIN IMMEDIATE`` ourselves, so a unit of work that writes holds the write lock from its
   start and never dies with "database is locked" when it upgrades from a read.
2. Read-only units (``Database.read()``) begin with a plain deferred ``BEGIN``; in WAL mode they
   never block writers.
3. WAL journal, foreign keys, a busy timeout, and ``synchronous=FULL`` so that a committed outbox
   row survives a power cut.
4. WAL checkpoints (copying committed pages from the WAL into the database file, and syncing
   it) run in the background, at most once per ``CHECKPOINT_INTERVAL`` after a commit that
   wrote, instead of in whichever commit passes SQLite's 1,000-page threshold: at 100,000
   participants that commit (moving 1,000 meetings, a batch of the planner, or a webhook that
   happened to come next) took an extra 1.3 s of random writes into a 1 GB file. A commit only
   appends to the WAL and syncs it, so it is as durable as before; the checkpoint runs on a
   connection (and thread) of its own, ``PASSIVE``: it never blocks readers or writers.
5. A unit of work that is redone anyway if it is lost (the planner's batches:
   ``session(durable=False)``) commits with ``synchronous=NORMAL``: appended to the WAL but
   not synced on its own (a sync per batch was a fifth of a planner tick). A power cut may
   roll back the last of them, never corrupt the file, and never one that a later durable
   commit builds on (a dispatcher's claim of what it planned): the WAL is one file written in
   order, and that commit's sync covers everything before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from bot.errors import DatabaseError

BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_INTERVAL = 1.0  # seconds from a commit that wrote to the checkpoint that follows it
_READ_ONLY = "brobygger_read_only"
_NOT_DURABLE = "brobygger_not_durable"
_SYNCHRONOUS = "brobygger_synchronous"  # the setting a connection has now (its record's info)

logger = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_file(url: str) -> Path | None:
    path = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
    return None if path in ("", ":memory:") else Path(path)


class _Checkpointer:
    """Runs SQLite's WAL checkpoints after commits, off the commit path (point 4 above)."""

    def __init__(self, engine: AsyncEngine, interval: float) -> None:
        self._engine = engine
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._after_commit: Callable[[Session], None] | None = None

    def follow_commits(self) -> None:
        """Call ``committed`` after each commit of a session on the engine, or on one of its
        connections (``Database.session``, a group commit's session), until ``close``."""
        engine = self._engine.sync_engine

        def after_commit(session: Session) -> None:
            # The engine, one with options (the planner's not durable sessions), or one of
            # their connections; read-only units of work write nothing to checkpoint.
            target = getattr(session.bind, "engine", session.bind)
            if target is None or getattr(target, "pool", None) is not engine.pool:
                return
            if not target.get_execution_options().get(_READ_ONLY, False):
                self.committed()

        self._after_commit = after_commit
        event.listen(Session, "after_commit", after_commit)

    def committed(self) -> None:
        """A unit of work wrote: make sure a checkpoint follows within the interval."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to run it: SQLite checkpoints when the file closes
            return
        task = self._task
        if task is not None and not task.done() and task.get_loop() is loop:
            return  # the one already waiting covers this commit too
        self._task = loop.create_task(self._after_interval())

    async def _after_interval(self) -> None:
        await asyncio.sleep(self._interval)
        try:
            await self.checkpoint()
        except Exception:  # the next commit tries again; SQLite would checkpoint on close
            logger.warning("WAL checkpoint failed", exc_info=True)

    async def checkpoint(self) -> None:
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            # On the driver's connection, outside any transaction (no BEGIN from our listener).
            assert raw.driver_connection is not None
            cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            await cursor.close()

    async def wait(self) -> None:
        """Until the checkpoint that follows the last commit has run (tests, shutdown)."""
        task = self._task
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            await task

    async def close(self) -> None:
        if self._after_commit is not None:
            event.remove(Session, "after_commit", self._after_commit)
            self._after_commit = None
        task, self._task = self._task, None
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver (Python 3.11 sqlite3 legacy mode).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer does it (point 4)
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        read_only = options.get(_READ_ONLY, False)
        if not read_only:
            wanted = "NORMAL" if options.get(_NOT_DURABLE, False) else "FULL"
            info = connection.connection.info
            if info.get(_SYNCHRONOUS, "FULL") != wanted:
                connection.exec_driver_sql(f"PRAGMA synchronous = {wanted}")
                info[_SYNCHRONOUS] = wanted
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """The engine plus two session factories: ``session()`` for writes, ``read()`` for reads."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        checkpoint_interval: float = CHECKPOINT_INTERVAL,
    ) -> None:
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self._checkpointer: _Checkpointer | None = None
        if self.is_sqlite:
            path = _sqlite_file(url)
            if path is not None and not path.parent.is_dir():
                raise DatabaseError(
                    f"the folder for the database file does not exist: {path.parent}"
                )
            engine = create_async_engine(url, echo=echo)
            self._checkpointer = _Checkpointer(engine, checkpoint_interval)
            _configure_sqlite(engine)
            self._checkpointer.follow_commits()
        else:
            engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
        self.engine = engine
        self._read_engine = engine.execution_options(**{_READ_ONLY: True})
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self._read_engine, expire_on_commit=False)
        self._not_durable_sessions = async_sessionmaker(
            engine.execution_options(**{_NOT_DURABLE: True}), expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self, *, durable: bool = True) -> AsyncIterator[AsyncSession]:
        """One unit of work that writes: commits on success, rolls back on error.

        ``durable=False``: only for work redone anyway if lost (see point 5 above; the same
        as ``durable=True`` on PostgreSQL)."""
        factory = self.sessions if durable else self._not_durable_sessions
        async with factory.begin() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One read-only unit of work (never blocks writers on SQLite)."""
        async with self.read_sessions.begin() as session:
            yield session

    async def checkpointed(self) -> None:
        """Until the WAL checkpoint that follows the last write has run (SQLite; see point 4)."""
        if self._checkpointer is not None:
            await self._checkpointer.wait()

    async def dispose(self) -> None:
        # SQLite checkpoints the WAL itself when the last connection to the file closes.
        if self._checkpointer is not None:
            await self._checkpointer.close()
        await self.engine.dispose()


def describe(url: str) -> str:
    """The URL with its password hidden, for banners and error messages."""
    return make_url(url).render_as_string(hide_password=True)


async def check_reachable(database: Database) -> None:
    """Open one connection or raise :class:`DatabaseError` with one line saying why."""
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError) as error:
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise DatabaseError(
            f"cannot open the database {describe(database.url)}: {reason}"
        ) from None
