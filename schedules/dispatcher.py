"""The dispatcher: sends due outbox rows through the channels, each exactly once or visibly not.

``dispatch_due`` is one tick, a plain async function; APScheduler only calls it (and the runtime
wakes it when a unit of work planned a message). One tick:

1. gives up the leases of dead workers (``claims.expire_leases``: those rows become ``unknown``);
2. claims due rows (``claims.claim_due``), never more than there are free send slots, so a row is
   claimed only when it can go out at once: that keeps the window in which a crash leaves a
   row ``unknown`` as short as one provider call;
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
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

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
    in_flight: set[asyncio.Task[Outcome]] = set()
    more_due = True
    # Claim again once a quarter of the slots are free: fewer, larger claims.
    refill_at = max(1, options.concurrency // 4)
    first = True
    while True:
        free = options.concurrency - len(in_flight)
        if more_due and (free >= refill_at or not in_flight):
            claimed = await _claim(database, clock, options, min(free, options.batch_size), first)
            first = False
            if claimed is None:
                more_due = False
            else:
                ready, closed_count = claimed
                report.add("closed", closed_count)
                for item in ready:
                    in_flight.add(asyncio.create_task(_send(channels, item, options)))
                continue
        if not in_flight:
            break
        done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        rerouted = report["rerouted"]
        async with database.session() as session:
            await record_outcomes(
                session,
                [task.result() for task in done],
                now=clock.now(),
                max_attempts=options.max_attempts,
                backoff=options.backoff,
                rng=rng,
                report=report,
            )
        # A message whose address died is due again at once, on the next address.
        more_due = more_due or report["rerouted"] > rerouted
    if report.counts:
        logger.info("dispatch: %s", ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())))
    return report


async def _claim(
    database: Database, clock: Clock, options: DispatchOptions, limit: int, expire: bool
) -> tuple[list[Ready], int] | None:
    """Claim and resolve up to ``limit`` rows; None when nothing was due."""
    now = clock.now()
    async with database.session() as session:
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
        await record_closed(session, closed, now=now)
    return ready, len(closed)


async def _send(
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
