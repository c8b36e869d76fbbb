"""Group commit: inbound messages that arrive together are handled in one unit of work.

Why: a unit of work per message paid a connection check-out, ``BEGIN``, ``COMMIT`` (a flush of
the write-ahead log on either database) and every statement's round trip once per message;
under load that was most of what a webhook cost. Here each message is queued and one task
handles whatever is queued in one unit of work (``handlers.conversation.handle_many``):

1. Natural batching: the task takes everything that queued while the previous batch was in
   the database (at most ``max_batch``). No timer waits for more: a message that finds the
   task idle is handled at once, alone, so batches grow only with the load.
2. A message's ``receive`` returns only after the commit that holds its row. A crash before
   that commit loses nothing: the provider gets no answer and delivers again, and the event
   claim was not committed either, so the redelivery is handled.
3. Copies of one provider event in a batch count once (``handle_many``); each copy is answered
   after the commit, as a duplicate.
4. If a batch fails (a message that raises, a deadlock with another process's batch), it is
   rolled back whole and each of its messages is retried alone, in a unit of work of its own.
   The others are then handled as if the bad one had never come, and the bad one's
   ``receive`` raises, so its webhook answers an error status and the provider retries it.
5. The dispatcher is woken once per batch: the batch's session planned the replies
   (``bot.outbox.PLANNED_FLAG``).

On SQLite every batch is one write transaction (``BEGIN IMMEDIATE``, see ``bot.db``), so it
holds the write lock once for all of its messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.clock import Clock
from bot.db import Database
from handlers.conversation import Conversation, Handled, Inbound, handle_many

logger = logging.getLogger(__name__)

MAX_BATCH = 100


class InboundFailed(Exception):
    """Handling this inbound message failed, alone too; nothing of it was committed."""


@dataclass(slots=True)
class _Waiting:
    inbound: Inbound
    answer: asyncio.Future[Handled] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    """The queue of inbound messages and the task that handles them in batches."""

    def __init__(
        self,
        database: Database,
        conversation: Conversation,
        clock: Clock,
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.database = database
        self.conversation = conversation
        self.clock = clock
        self.max_batch = max_batch
        self._queue: deque[_Waiting] = deque()
        self._queued = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # Kept from batch to batch: a connection checked out of the pool for each batch cost a
        # round trip (the pool's liveness ping) and a fifth of a small batch's CPU.
        self._connection: AsyncConnection | None = None

    async def receive(self, inbound: Inbound) -> Handled:
        """Handle ``inbound`` in the next batch; returns once that batch has committed.

        Raises what handling it alone raised (see the module docstring, 4.)."""
        if self._closing:
            raise RuntimeError("the service is shutting down")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbound group commit")
        waiting = _Waiting(inbound)
        self._queue.append(waiting)
        self._queued.set()
        return await asyncio.shield(waiting.answer)

    async def close(self) -> None:
        """Handle what is queued, then stop the task."""
        self._closing = True
        task, self._task = self._task, None
        if task is None:
            return
        self._queued.set()
        try:
            await task
        finally:
            await self._close_connection()

    async def _run(self) -> None:
        while True:
            await self._queued.wait()
            self._queued.clear()
            while self._queue:
                size = min(self.max_batch, len(self._queue))
                await self._handle([self._queue.popleft() for _ in range(size)])
            if self._closing:
                return

    async def _handle(self, batch: list[_Waiting]) -> None:
        try:
            handled = await self._unit_of_work(batch)
        except Exception:
            if len(batch) == 1:
                logger.exception("an inbound message failed; its provider will deliver it again")
                _fail(batch[0])
                return
            logger.warning(
                "a batch of %d inbound messages failed; each is retried alone",
                len(batch),
                exc_info=True,
            )
            for waiting in batch:
                await self._handle([waiting])
            return
        for waiting, result in zip(batch, handled, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(result)

    async def _unit_of_work(self, batch: list[_Waiting]) -> list[Handled]:
        """One batch in one transaction, on the connection the task keeps (see ``close``)."""
        if self._connection is None:
            self._connection = await self.database.engine.connect()
        try:
            session = AsyncSession(bind=self._connection, expire_on_commit=False)
            async with session, session.begin():
                return await handle_many(
                    session,
                    [waiting.inbound for waiting in batch],
                    conversation=self.conversation,
                    now=self.clock.now(),
                )
        except BaseException:
            # It may be the connection that failed: the next batch opens a new one.
            await self._close_connection()
            raise

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


def _fail(waiting: _Waiting) -> None:
    if not waiting.answer.done():
        waiting.answer.set_exception(InboundFailed())
