"""The dispatcher: sends due outbox rows through the channels, each exactly once or visibly not.

``dispatch_due`` is one tick, a plain async function; APScheduler only calls it (and the runtime
wakes it when a unit of work planned a message). One tick:

1. gives up the leases of dead workers (``claims.expire_leases``: those rows become ``unknown``);
2. claims due rows (``claims.claim_due``), never more than ``options.window`` (four times the
   concurrency, at most the batch size) claimed and unrecorded at once, so a claimed row waits
   for at most a few provider calls before it goes out: that keeps the set of rows a crash
   leaves ``unknown`` small;
3. decides each row's address, or cancels/suppresses it (``recipients.resolve``), in the same
   transaction as the claim;
4. sends at most ``concurrency`` at once (also the most connections open to a provider);
5. records each wave of finished sends in one transaction (``outcomes.record_outcomes``);
6. repeats while due rows remain, then returns a ``DispatchReport``.

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
from schedules.claims import claim_due, expire_leases
from schedules.outcomes import Backoff, DispatchReport, Outcome, record_closed, record_outcomes
from schedules.quiet_hours import QuietHours, is_quiet
from schedules.recipients import Ready, resolve

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
        """Most rows claimed and not yet recorded: the sends in progress plus a short queue."""
        return max(self.concurrency, min(self.batch_size, 4 * self.concurrency))


async def dispatch_due(
    database: Database,
    channels: Mapping[ChannelKind, Channel],
    clock: Clock,
    options: DispatchOptions,
    *,
    rng: random.Random | None = None,
) -> DispatchReport:
    """Send everything that is due now; see the module docstring for the steps."""
    rng = rng or random.Random()
    report = DispatchReport()
    slots = asyncio.Semaphore(options.concurrency)
    # Claim again once a quarter of the window is free: fewer, larger claims.
    refill_at = max(1, options.window // 4)
    sends = _Sends(want=refill_at)
    finished: list[Outcome] = []
    more_due, first_claim = True, True
    while True:
        free = options.window - sends.count
        claim = more_due and (free >= refill_at or not sends.count)
        if finished or claim:
            oldest = min((outcome.done_at for outcome in finished), default=None)
            # One transaction records the last wave and claims the next one.
            async with database.session() as session:
                now = clock.now()
                rerouted = report["rerouted"]
                await record_outcomes(
                    session,
                    finished,
                    now=now,
                    max_attempts=options.max_attempts,
                    backoff=options.backoff,
                    rng=rng,
                    report=report,
                )
                # A message whose address died is due again at once, on the next address.
                claim = claim or report["rerouted"] > rerouted
                ready = None
                if claim:
                    limit = min(max(free, 1), options.batch_size)
                    ready = await _claim(session, now, options, limit, first_claim, report)
            if oldest is not None:
                report.note_record_lag(time.monotonic() - oldest)
            finished = []
            if claim:
                first_claim = False
                more_due = ready is not None
                for item in ready or []:
                    sends.start(_send(channels, item, options, slots))
            continue
        if sends.idle:
            break
        finished = await sends.take_wave(options.gather)
    if report.counts:
        logger.info("dispatch: %s", ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())))
    return report


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
        self._finished.append(task.result())
        self._any.set()
        if len(self._finished) >= self._want or self.count == 0:
            self._enough.set()

    async def take_wave(self, within: float) -> list[Outcome]:
        await self._any.wait()
        if not self._enough.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await self._enough.wait()
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
) -> list[Ready] | None:
    """Claim and resolve up to ``limit`` rows; None when nothing was due."""
    if expire:
        expired = await expire_leases(session, now=now)
        if expired:
            logger.warning("dispatch: %d messages of a stopped worker are now unknown", expired)
    urgent_only = is_quiet(now, options.quiet, options.tz)
    claimed = await claim_due(
        session, now=now, limit=limit, lease=options.lease, urgent_only=urgent_only
    )
    if not claimed:
        return None
    ready, closed = await resolve(session, claimed, now=now)
    await record_closed(session, closed, now=now, report=report)
    return ready


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
