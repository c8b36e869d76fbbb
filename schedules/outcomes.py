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

from sqlalchemy import Table, Update, bindparam, or_, update
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
    # Per recorded wave, how long its first finished send waited for the commit (seconds): the
    # window in which a crash leaves a message that went out recorded as "unknown".
    record_lags: list[float] = field(default_factory=list)

    def note_record_lag(self, seconds: float) -> None:
        self.record_lags.append(seconds)

    def add(self, status: str, n: int = 1) -> None:
        if n:
            self.counts[status] = self.counts.get(status, 0) + n

    def __getitem__(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def total(self) -> int:
        return sum(n for status, n in self.counts.items() if status != "rerouted")


def _set_status(statuses: Sequence[MessageStatus], **values: Any) -> Update:
    """A per-row UPDATE (run with many rows at once) that applies only while ``statuses``."""
    return (
        update(_messages)
        .where(
            _messages.c.id == bindparam("b_id"),
            or_(*(_messages.c.status == status for status in statuses)),
        )
        .values(**values)
    )


def _param(name: str) -> Any:
    return bindparam(f"b_{name}")


# The writes, one statement each, run with every row of a wave that needs it.
CLOSE = _set_status(
    [MessageStatus.SENDING],
    status=_param("status"),
    error=_param("error"),
    finished_at=_param("now"),
    lease_until=None,
)
ACCEPT = _set_status(
    _OURS,
    status=_param("status"),
    channel=_param("channel"),
    address=_param("address"),
    provider_id=_param("provider"),
    sent_at=_param("now"),
    delivered_at=_param("delivered"),
    finished_at=_param("delivered"),
    lease_until=None,
    error=None,
)
FINISH = _set_status(
    _OURS,
    status=_param("status"),
    channel=_param("channel"),
    address=_param("address"),
    error=_param("error"),
    finished_at=_param("now"),
    lease_until=None,
)
# Planned again: after a backoff, or at once without an address (the next claim picks one).
RETRY = _set_status(
    _OURS,
    status=MessageStatus.PLANNED,
    channel=_param("channel"),
    address=_param("address"),
    error=_param("error"),
    send_after=_param("after"),
    lease_until=None,
)
MARK_ADDRESS = (
    update(_addresses)
    .where(
        _addresses.c.participant_id == _param("participant"),
        _addresses.c.channel == _param("channel"),
        _addresses.c.address == _param("address"),
        _addresses.c.status == AddressStatus.ACTIVE,
    )
    .values(
        status=_param("status"), status_reason=_param("reason"), status_changed_at=_param("now")
    )
)


async def record_closed(
    session: AsyncSession, closed: Sequence[Closed], *, now: datetime, report: DispatchReport
) -> None:
    """Finish claimed rows that will not be sent (cancelled, suppressed)."""
    for item in closed:
        report.add(item.status)
    if closed:
        rows = [
            {"b_id": c.message_id, "b_status": c.status, "b_error": c.reason[:300], "b_now": now}
            for c in closed
        ]
        await session.execute(CLOSE, rows)


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
    writes: dict[Update, list[dict[str, Any]]] = {
        ACCEPT: [],
        FINISH: [],
        RETRY: [],
        MARK_ADDRESS: [],
    }
    for outcome in outcomes:
        message, route = outcome.item.message, outcome.item.route
        row = {
            "b_id": message.id,
            "b_channel": route.channel,
            "b_address": route.address,
            "b_now": now,
        }
        if outcome.receipt is not None:
            delivered = outcome.receipt.delivered
            status = MessageStatus.DELIVERED if delivered else MessageStatus.SENT
            provider = outcome.receipt.provider_id[:64]
            writes[ACCEPT].append(
                {
                    **row,
                    "b_status": status,
                    "b_provider": provider,
                    "b_delivered": now if delivered else None,
                }
            )
            report.add(status)
            continue
        error = outcome.error
        assert error is not None
        reason = f"{route.channel}: {error.reason}"[:300]
        address_died = error.permanent and error.unreachable and message.participant_id is not None
        if address_died:
            writes[MARK_ADDRESS].append(
                {
                    **row,
                    "b_participant": message.participant_id,
                    "b_status": AddressStatus.OPTED_OUT
                    if error.opted_out
                    else AddressStatus.UNREACHABLE,
                    "b_reason": error.reason[:200],
                }
            )
        if error.may_have_sent:
            writes[FINISH].append({**row, "b_status": MessageStatus.UNKNOWN, "b_error": reason})
            report.add(MessageStatus.UNKNOWN)
        elif address_died and message.attempts < max_attempts:
            writes[RETRY].append(
                {**row, "b_channel": None, "b_address": None, "b_error": reason, "b_after": now}
            )
            report.add("rerouted")
        elif error.permanent:
            writes[FINISH].append({**row, "b_status": MessageStatus.FAILED, "b_error": reason})
            report.add(MessageStatus.FAILED)
        elif message.attempts >= max_attempts:
            gave_up = f"gave up after {message.attempts} attempts: {reason}"[:300]
            writes[FINISH].append({**row, "b_status": MessageStatus.FAILED, "b_error": gave_up})
            report.add(MessageStatus.FAILED)
        else:
            after = now + backoff.delay(message.attempts, rng, error.retry_after)
            writes[RETRY].append({**row, "b_error": reason, "b_after": after})
            report.add("retried")
    for statement, rows in writes.items():
        if rows:
            await session.execute(statement, rows)
