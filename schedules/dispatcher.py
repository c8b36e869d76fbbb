"""The dispatcher: sends due outbox rows through the channels, each exactly once or visibly not.

``dispatch_due`` is one tick, a plain async function; APScheduler only calls it (and the runtime
wakes it when a unit of work planned a message). One tick:

1. gives up the leases of dead workers (``claims.expire_leases``: those rows become ``unknown``);
2. claims due rows (``claims.claim_due``), never more than ``options.window``
   (``DISPATCH_BATCH_SIZE``) claimed and unrecorded at once: large enough that one transaction
   serves many sends, small enough to bound the rows a crash leaves ``unknown``;
3. decides each row's address, or cancels/suppresses it (``recipients.resolve``), in the same
   transaction as the claim;
4. sends at most ``concurrency`` at once (also the most connections open to a provider);
5. records each wave of finished sends in one transaction (``outcomes.record_outcomes``);
6. repeats while due rows remain, then returns a ``DispatchReport``.

The first claim of a tick that comes back full (more may be due than this worker takes) also
wakes the other workers at once (``schedules.wakeup``, PostgreSQL), instead of each joining the
burst at its own next tick.

Crash safety, in numbers: a worker killed after the claim and before recording leaves its rows
``sending``; when the lease runs out they become ``unknown`` (never resent blindly). So a
message is sent at most once, and "may have gone out" is said only about rows that were inside
a provider call or waiting for their outcome to commit when the worker died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Channel, Outgoing
from bot.clock import Clock
from bot.db import Database
from bot.errors import DeliveryError
from bot.models import ChannelKind
from schedules.claims import claim_due, expire_leases, has_work
from schedules.outcomes import Backoff, DispatchReport, Outcome, record_closed, record_outcomes
from schedules.quiet_hours import QuietHours, is_quiet
from schedules.recipients import Ready, resolve
from schedules.wakeup import announce_backlog

logger = logging.getLogger(__name__)

__all__ = ["DispatchOptions", "DispatchReport", "dispatch_due"]


@dataclass(frozen=True, slots=True)
class DispatchOptions:
    """How the dispatcher works; ``bot.app`` fills it from the settings."""

    tz: ZoneInfo
    quiet: QuietHours | None = None
    batch_size: int = 500
    concurrency: int = 64
    lease: timedelta = timedelta(seconds=120)
    send_timeout: float = 15.0
    max_attempts: int = 6
    backoff: Backoff = field(default_factory=Backoff)
    # Seconds finished sends may wait to be recorded together (fewer commits).
    gather: float = 0.02

    @property
    def window(self) -> int:
        """Most rows claimed and not yet recorded: the sends in progress plus a queue."""
        return max(self.concurrency, self.batch_size)


async def dispatch_due(
    database: Database,
    channels: Mapping[ChannelKind, Channel],
    clock: Clock,
    options: DispatchOptions,
    *,
    rng: random.Random | None = None,
) -> DispatchReport:
    """Send everything that is due now; see the module docstring for the steps."""
    tick = _Tick(database, channels, clock, options, rng or random.Random())
    if await _anything_to_do(database, clock.now(), options):
        await tick.run()
    if tick.report.counts:
        counts = tick.report.counts
        logger.info("dispatch: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return tick.report


class _Tick:
    """The state of one ``dispatch_due`` call."""

    def __init__(
        self,
        database: Database,
        channels: Mapping[ChannelKind, Channel],
        clock: Clock,
        options: DispatchOptions,
        rng: random.Random,
    ) -> None:
        self.database = database
        self.channels = channels
        self.clock = clock
        self.options = options
        self.rng = rng
        self.report = DispatchReport()
        self.slots = asyncio.Semaphore(options.concurrency)
        # Claim again once a quarter of the window is free: fewer, larger claims.
        self.refill_at = max(1, options.window // 4)
        self.sends = _Sends(want=self.refill_at)
        self.more_due = True
        self.first_claim = True
        self.announced = False

    async def run(self) -> None:
        try:
            finished: list[Outcome] = []
            while True:
                # Whatever finished meanwhile is recorded with the next claim, not after it.
                finished += self.sends.take_finished()
                free = self.options.window - self.sends.count
                claim = self.more_due and (free >= self.refill_at or not self.sends.count)
                if finished or claim:
                    await self._record_and_claim(finished, claim, free)
                    finished = []
                elif self.sends.idle:
                    return
                else:
                    finished = await self.sends.take_wave(self.options.gather)
        except BaseException:
            # The database failed or the tick was cancelled: let the sends in progress finish
            # (none is cut off mid-call) and try once to record them; rows left unrecorded stay
            # ``sending`` until their lease makes them ``unknown``.
            finished = await self.sends.drain(self.options.send_timeout + 5)
            with contextlib.suppress(Exception):
                async with self.database.session() as session:
                    await self._record(session, finished, self.clock.now())
            raise

    async def _record_and_claim(self, finished: list[Outcome], claim: bool, free: int) -> None:
        """One transaction records the last wave and claims the next one."""
        oldest = min((outcome.done_at for outcome in finished), default=None)
        ready: list[Ready] | None = None
        async with self.database.session() as session:
            now = self.clock.now()
            rerouted = self.report["rerouted"]
            await self._record(session, finished, now)
            # A message whose address died is due again at once, on the next address.
            claim = claim or self.report["rerouted"] > rerouted
            if claim:
                limit = min(max(free, 1), self.options.batch_size)
                ready, full = await _claim(
                    session, now, self.options, limit, self.first_claim, self.report
                )
                if full and not self.announced:
                    await announce_backlog(session)
                    self.announced = True
        if oldest is not None:
            self.report.note_record_lag(time.monotonic() - oldest)
        if claim:
            self.first_claim = False
            self.more_due = ready is not None
            for item in ready or []:
                self.sends.start(_send(self.channels, item, self.options, self.slots))

    async def _record(self, session: AsyncSession, finished: list[Outcome], now: datetime) -> None:
        await record_outcomes(
            session,
            finished,
            now=now,
            max_attempts=self.options.max_attempts,
            backoff=self.options.backoff,
            rng=self.rng,
            report=self.report,
        )


async def _anything_to_do(database: Database, now: datetime, options: DispatchOptions) -> bool:
    """A read-only look first, so an idle tick never takes the write lock."""
    async with database.read() as session:
        return await has_work(
            session, now=now, urgent_only=is_quiet(now, options.quiet, options.tz)
        )


class _Sends:
    """The sends in progress; finished ones are collected by a done-callback, O(1) each.

    ``take_wave`` waits for at least one finished send, then up to ``want`` of them for at most
    ``within`` seconds: recording sends one by one would cost a commit each, and a short
    gathering window keeps commits few while an answered provider call waits at most
    ``within`` seconds (plus one commit) to be recorded.
    """

    def __init__(self, want: int) -> None:
        self.count = 0
        self._want = want
        self._finished: list[Outcome] = []
        self._any = asyncio.Event()
        self._enough = asyncio.Event()
        self._tasks: set[asyncio.Task[Outcome]] = set()

    @property
    def idle(self) -> bool:
        """Nothing in progress and nothing finished left to record."""
        return self.count == 0 and not self._finished

    def start(self, send: Coroutine[object, object, Outcome]) -> None:
        task = asyncio.create_task(send)
        self._tasks.add(task)
        self.count += 1
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Outcome]) -> None:
        self._tasks.discard(task)
        self.count -= 1
        if task.cancelled():
            return
        self._finished.append(task.result())
        self._any.set()
        if len(self._finished) >= self._want or self.count == 0:
            self._enough.set()

    async def drain(self, within: float) -> list[Outcome]:
        """Wait (at most ``within`` s) for every send in progress; returns what finished."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)
        return self.take_finished()

    async def take_wave(self, within: float) -> list[Outcome]:
        await self._any.wait()
        if not self._enough.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await self._enough.wait()
        return self.take_finished()

    def take_finished(self) -> list[Outcome]:
        """The sends finished so far, without waiting."""
        wave, self._finished = self._finished, []
        self._any.clear()
        self._enough.clear()
        return wave


async def _claim(
    session: AsyncSession,
    now: datetime,
    options: DispatchOptions,
    limit: int,
    expire: bool,
    report: DispatchReport,
) -> tuple[list[Ready] | None, bool]:
    """Claim and resolve up to ``limit`` rows: (None when nothing was due, whether it was full)."""
    if expire:
        expired = await expire_leases(session, now=now)
        if expired:
            logger.warning("dispatch: %d messages of a stopped worker are now unknown", expired)
    urgent_only = is_quiet(now, options.quiet, options.tz)
    claimed = await claim_due(
        session, now=now, limit=limit, lease=options.lease, urgent_only=urgent_only
    )
    if not claimed:
        return None, False
    ready, closed = await resolve(session, claimed, now=now)
    await record_closed(session, closed, now=now, report=report)
    return ready, len(claimed) >= limit


async def _send(
    channels: Mapping[ChannelKind, Channel],
    item: Ready,
    options: DispatchOptions,
    slots: asyncio.Semaphore,
) -> Outcome:
    async with slots:
        return await _send_now(channels, item, options)


async def _send_now(
    channels: Mapping[ChannelKind, Channel], item: Ready, options: DispatchOptions
) -> Outcome:
    message = item.message
    channel = channels.get(item.route.channel)
    if channel is None:
        missing = DeliveryError(f"no {item.route.channel} channel configured", permanent=True)
        return Outcome(item, error=missing)
    outgoing = Outgoing(
        message_id=message.id,
        address=item.route.address,
        text=message.body,
        language=item.language,
        choices=message.choices,
        kind=message.kind,
        alert_id=message.alert_id,
    )
    try:
        # The channels time their own provider calls; this guard is for any other channel.
        async with asyncio.timeout(options.send_timeout + 5):
            receipt = await channel.send(outgoing)
    except DeliveryError as error:
        return Outcome(item, error=error)
    except TimeoutError:
        late = DeliveryError("no answer in time", permanent=False, may_have_sent=True)
        return Outcome(item, error=late)
    except Exception as error:
        # A bug in a channel must not lose the row; it may have sent, so it is not resent.
        logger.exception(
            "dispatch: channel %s failed on message %d", item.route.channel, message.id
        )
        failure = DeliveryError(
            f"unexpected {type(error).__name__}", permanent=False, may_have_sent=True
        )
        return Outcome(item, error=failure)
    return Outcome(item, receipt=receipt)
