"""Claiming due messages: one conditional UPDATE ... RETURNING, safe with several workers.

1. ``expire_leases``: a row still ``sending`` after its lease ran out belongs to a worker that
   died mid-send. The provider may have taken it, so it becomes ``unknown`` (shown to staff),
   never resent blindly: a message is sent at most once.
2. ``claim_due``: planned rows whose ``send_after`` has come, oldest first, move to ``sending``
   with a lease and one more attempt, in one statement. On PostgreSQL the inner SELECT takes
   ``FOR UPDATE SKIP LOCKED``, so two workers never wait for or take the same row; on SQLite the
   write lock (``BEGIN IMMEDIATE``) serialises claims. Inside quiet hours only urgent rows are
   claimed; the others stay planned and due, and go when the window ends.

A tick first asks ``has_work`` in a read-only transaction (two probes of the ``(status,
send_after)`` index), so a tick with nothing due never takes the write lock and costs the same
however many future messages the table holds. The probes are ``(SELECT id ... ORDER BY
send_after LIMIT 1) IS NOT NULL``, not ``EXISTS``: PostgreSQL drops the ORDER BY and LIMIT of
an EXISTS, and its statistics cannot see that planned rows are the future ones (status and
send_after are correlated), so it expects many planned rows to be due and scans the table for
the first, reading every row of a million when none is due. Asked for the first in the
index's own order, it walks the index.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelKind, Message, MessageStatus, ReplyChoices

LEASE_EXPIRED = "the worker stopped during the send; it may have gone out"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message this worker now holds (status ``sending``) and must finish."""

    id: int
    participant_id: int | None
    staff_id: int | None
    channel: ChannelKind | None
    address: str | None
    kind: str
    body: str
    language: str | None
    choices: ReplyChoices | None
    urgent: bool
    appointment_id: int | None
    alert_id: int | None
    attempts: int


# The columns the claim returns: Claimed's fields, in its order (rows become Claimed(*row)).
_RETURNED = tuple(getattr(Message, field.name) for field in fields(Claimed))


def _due(now: datetime, urgent_only: bool) -> Select[int]:
    due = (
        select(Message.id)
        .where(Message.status == MessageStatus.PLANNED, Message.send_after <= now)
        .order_by(Message.send_after, Message.id)
    )
    return due.where(Message.urgent.is_(True)) if urgent_only else due


async def has_work(session: AsyncSession, *, now: datetime, urgent_only: bool) -> bool:
    """Whether a claim would find a due row or an expired lease (two index probes)."""
    due = (
        select(Message.id)
        .where(Message.status == MessageStatus.PLANNED, Message.send_after <= now)
        .order_by(Message.send_after)
    )
    if urgent_only:
        due = due.where(Message.urgent.is_(True))
    expired = (
        select(Message.id)
        .where(Message.status == MessageStatus.SENDING, Message.lease_until < now)
        .order_by(Message.send_after)
    )
    first_due, first_expired = (probe.limit(1).scalar_subquery() for probe in (due, expired))
    found = await session.execute(select(first_due.is_not(None) | first_expired.is_not(None)))
    return bool(found.scalar())


async def expire_leases(session: AsyncSession, *, now: datetime) -> int:
    """Mark rows of dead workers ``unknown``; returns how many."""
    result = await session.execute(
        update(Message)
        .where(Message.status == MessageStatus.SENDING, Message.lease_until < now)
        .values(
            status=MessageStatus.UNKNOWN, lease_until=None, finished_at=now, error=LEASE_EXPIRED
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta, urgent_only: bool
) -> list[Claimed]:
    """Take up to ``limit`` due planned rows for this worker (see the module docstring)."""
    due = _due(now, urgent_only).limit(limit)
    claim = update(Message).values(
        status=MessageStatus.SENDING, lease_until=now + lease, attempts=Message.attempts + 1
    )
    if session.get_bind().dialect.name == "postgresql":
        # A MATERIALIZED CTE runs the locking SELECT exactly once. Inside ``id IN (...)`` the
        # planner may rescan it (a nested loop), and with SKIP LOCKED every rescan takes the
        # next ``limit`` rows: one claim took 30 rows with a limit of 10. The locked rows cannot
        # change under us; the status check is a second guard.
        locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        claim = claim.where(Message.id == locked.c.id, Message.status == MessageStatus.PLANNED)
    else:
        # SQLite runs the subquery once, and its write lock already excludes other claims (an
        # outer status condition would make it scan every planned row through the status index
        # instead of by id).
        claim = claim.where(Message.id.in_(due.scalar_subquery()))
    statement = claim.returning(*_RETURNED).execution_options(synchronize_session=False)
    rows = (await session.execute(statement)).all()
    # Positional (see _RETURNED): a mapping per row cost a quarter of the dispatcher's CPU.
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)
