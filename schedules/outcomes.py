"""Recording what happened to each send, in one transaction per wave of finished sends.

Every write is conditional on the row still being ours (``sending``), or ``unknown`` when a
success or a sure failure arrives after another worker gave our lease up: what we now know
beats "may have gone out". Statuses only move forward (a Twilio status callback may already
have said ``delivered``).

- accepted: ``sent`` (``delivered`` where acceptance is delivery: Telegram, the simulator);
- may have gone out (a timeout after the request left): ``unknown``, never resent blindly;
- transient: back to ``planned`` after a capped exponential backoff with jitter (or the
  provider's ``retry_after``), until ``max_attempts``, then ``failed``;
- the address is dead (invalid number, STOP at the provider, blocked bot): that address becomes
  ``unreachable`` or ``opted_out`` and the message is planned again at once, so the citizen's
  next consented address takes over (or it is suppressed: "no reachable address");
- any other permanent error: ``failed``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Receipt
from bot.errors import DeliveryError
from bot.models import Address, AddressStatus, Message, MessageStatus
from schedules.recipients import Closed, Ready

_OURS = (MessageStatus.SENDING, MessageStatus.UNKNOWN)
_messages = cast(Table, Message.__table__)
_addresses = cast(Table, Address.__table__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before try ``attempts + 1``: base * 2**(attempts-1), capped, with equal jitter."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None) -> timedelta:
        if retry_after is not None and retry_after > 0:
            return timedelta(seconds=retry_after * rng.uniform(1.0, 1.2))
        ceiling = min(self.cap, self.base * (1 << max(0, min(attempts - 1, 30))))
        return ceiling * rng.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Ready
    receipt: Receipt | None = None
    error: DeliveryError | None = None
    # When the send finished (time.monotonic()), to measure how long it waited to be recorded.
    done_at: float = field(default_factory=time.monotonic)


@dataclass
class DispatchReport:
    """What one tick did, by resulting status (``rerouted``: a dead address was replaced)."""

    counts: dict[str, int] = field(default_factory=dict)
    # The longest a finished send waited for its outcome to be committed (seconds): the window
    # in which a crash leaves a message that went out recorded as "unknown".
    record_lag_max: float = 0.0

    def note_record_lag(self, seconds: float) -> None:
        self.record_lag_max = max(self.record_lag_max, seconds)

    def add(self, status: str, n: int = 1) -> None:
        if n:
            self.counts[status] = self.counts.get(status, 0) + n

    def __getitem__(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(n for status, n in self.counts.items() if status != "rerouted")


def _set_status(statuses: Sequence[MessageStatus], **values: Any) -> Any:
    return (
        update(_messages)
        .where(
            _messages.c.id == bindparam("b_id"),
            or_(*(_messages.c.status == status for status in statuses)),
        )
        .values(**values)
    )


async def record_closed(
    session: AsyncSession, closed: Sequence[Closed], *, now: datetime, report: DispatchReport
) -> None:
    """Finish claimed rows that will not be sent (cancelled, suppressed)."""
    for item in closed:
        report.add(item.status)
    if not closed:
        return
    statement = _set_status(
        [MessageStatus.SENDING],
        status=bindparam("b_status"),
        error=bindparam("b_error"),
        finished_at=now,
        lease_until=None,
    )
    await session.execute(
        statement,
        [{"b_id": c.message_id, "b_status": c.status, "b_error": c.reason[:300]} for c in closed],
    )


async def record_outcomes(
    session: AsyncSession,
    outcomes: Sequence[Outcome],
    *,
    now: datetime,
    max_attempts: int,
    backoff: Backoff,
    rng: random.Random,
    report: DispatchReport,
) -> None:
    """Write every outcome of one wave (see the module docstring for the rules)."""
    if not outcomes:
        return
    accepted: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    final: list[dict[str, Any]] = []
    reroute: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []
    for outcome in outcomes:
        message, route = outcome.item.message, outcome.item.route
        row = {"b_id": message.id, "b_channel": route.channel, "b_address": route.address}
        if outcome.receipt is not None:
            delivered = outcome.receipt.delivered
            status = MessageStatus.DELIVERED if delivered else MessageStatus.SENT
            accepted.append(
                {
                    **row,
                    "b_status": status,
                    "b_provider": outcome.receipt.provider_id[:64],
                    "b_delivered": now if delivered else None,
                }
            )
            report.add(status)
            continue
        error = outcome.error
        assert error is not None
        reason = f"{route.channel}: {error.reason}"[:300]
        if error.may_have_sent:
            final.append({**row, "b_status": MessageStatus.UNKNOWN, "b_error": reason})
            report.add(MessageStatus.UNKNOWN)
        elif error.permanent and error.unreachable and message.participant_id is not None:
            dead.append(
                {
                    "b_participant": message.participant_id,
                    "b_channel": route.channel,
                    "b_address": route.address,
                    "b_status": AddressStatus.OPTED_OUT
                    if error.opted_out
                    else AddressStatus.UNREACHABLE,
                    "b_reason": error.reason[:200],
                }
            )
            if message.attempts >= max_attempts:
                final.append({**row, "b_status": MessageStatus.FAILED, "b_error": reason})
                report.add(MessageStatus.FAILED)
            else:
                reroute.append({"b_id": message.id, "b_error": reason, "b_after": now})
                report.add("rerouted")
        elif error.permanent:
            final.append({**row, "b_status": MessageStatus.FAILED, "b_error": reason})
            report.add(MessageStatus.FAILED)
        elif message.attempts >= max_attempts:
            gave_up = f"gave up after {message.attempts} attempts: {reason}"[:300]
            final.append({**row, "b_status": MessageStatus.FAILED, "b_error": gave_up})
            report.add(MessageStatus.FAILED)
        else:
            after = now + backoff.delay(message.attempts, rng, error.retry_after)
            retry.append({**row, "b_error": reason, "b_after": after})
            report.add("retried")

    if accepted:
        await session.execute(
            _set_status(
                _OURS,
                status=bindparam("b_status"),
                channel=bindparam("b_channel"),
                address=bindparam("b_address"),
                provider_id=bindparam("b_provider"),
                sent_at=now,
                delivered_at=bindparam("b_delivered"),
                finished_at=bindparam("b_delivered"),
                lease_until=None,
                error=None,
            ),
            accepted,
        )
    if final:
        await session.execute(
            _set_status(
                _OURS,
                status=bindparam("b_status"),
                channel=bindparam("b_channel"),
                address=bindparam("b_address"),
                error=bindparam("b_error"),
                finished_at=now,
                lease_until=None,
            ),
            final,
        )
    if retry:
        await session.execute(
            _set_status(
                _OURS,
                status=MessageStatus.PLANNED,
                error=bindparam("b_error"),
                send_after=bindparam("b_after"),
                lease_until=None,
            ),
            [{k: v for k, v in r.items() if k not in ("b_channel", "b_address")} for r in retry],
        )
    if dead:
        await session.execute(
            update(_addresses)
            .where(
                _addresses.c.participant_id == bindparam("b_participant"),
                _addresses.c.channel == bindparam("b_channel"),
                _addresses.c.address == bindparam("b_address"),
                _addresses.c.status == AddressStatus.ACTIVE,
            )
            .values(
                status=bindparam("b_status"),
                status_reason=bindparam("b_reason"),
                status_changed_at=now,
            ),
            dead,
        )
    if reroute:
        # Planned again at once without an address: the next claim picks the next one.
        await session.execute(
            _set_status(
                _OURS,
                status=MessageStatus.PLANNED,
                channel=None,
                address=None,
                error=bindparam("b_error"),
                send_after=bindparam("b_after"),
                lease_until=None,
            ),
            reroute,
        )
