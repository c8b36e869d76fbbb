"""Deciding, for each claimed message, where it goes now, or why it does not go at all.

Decided at send time, not at planning, so that a STOP, a withdrawn consent, a dead address or a
moved meeting between the two is respected. For one claimed batch this reads the recipients'
opt-out, consents, addresses, staff records and meeting times in a few IN-queries, then:

1. A meeting reminder whose meeting has already started is cancelled (quiet hours or an outage
   held it too long: a late reminder is worse than none), and so is one for a meeting the
   citizen declined (their mentor has been alerted; staff move or cancel it).
2. A message to a citizen passes ``bot.consent_rules.blocked_reason`` or is suppressed with the
   reason.
3. It goes to the address it was planned for, unless that address has since gone unreachable
   or opted out; otherwise to the citizen's best consented address (``bot.channels.routing``),
   or it is suppressed: "no reachable address".
4. A message to a staff member goes to their Telegram chat, phone, or the simulator.
5. The polite reply to an unknown sender goes to the address it was planned for, nowhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.routing import NO_REACHABLE_ADDRESS, Candidate, Route, citizen_route, staff_route
from bot.consent_rules import blocked_reason
from bot.models import (
    Address,
    AddressStatus,
    Appointment,
    ChannelKind,
    Confirmation,
    Consent,
    ConsentPurpose,
    MessageKind,
    MessageStatus,
    Participant,
    Staff,
)
from schedules.claims import Claimed

MEETING_STARTED = "the meeting has already started"
MEETING_DECLINED = "the citizen declined the meeting"
# Kinds that may go to a bare address, with neither a participant nor a staff member.
ADDRESS_ONLY_KINDS = frozenset({MessageKind.UNKNOWN_SENDER_REPLY})


@dataclass(frozen=True, slots=True)
class Ready:
    """A claimed message with the address it goes to now."""

    message: Claimed
    route: Route
    language: str


@dataclass(frozen=True, slots=True)
class Closed:
    """A claimed message that will not be sent, and why."""

    message_id: int
    status: MessageStatus
    reason: str


@dataclass
class _Citizen:
    opted_out: bool = False
    language: str = "da"
    purposes: set[ConsentPurpose] = field(default_factory=set)
    consent_channels: set[ChannelKind | None] = field(default_factory=set)
    addresses: list[Candidate] = field(default_factory=list)


async def resolve(
    session: AsyncSession, messages: Sequence[Claimed], *, now: datetime
) -> tuple[list[Ready], list[Closed]]:
    """Split claimed messages into those to send (with their route) and those closed here."""
    citizens = await _citizens(session, {m.participant_id for m in messages if m.participant_id})
    staff = await _staff(session, {m.staff_id for m in messages if m.staff_id})
    meetings = await _reminded_meetings(
        session,
        {m.appointment_id for m in messages if m.appointment_id and m.kind == MessageKind.REMINDER},
    )
    ready: list[Ready] = []
    closed: list[Closed] = []
    for message in messages:
        meeting = (
            meetings.get(message.appointment_id or 0)
            if message.kind == MessageKind.REMINDER
            else None
        )
        if meeting is not None and meeting[0] <= now:
            closed.append(Closed(message.id, MessageStatus.CANCELLED, MEETING_STARTED))
        elif meeting is not None and meeting[1] is Confirmation.DECLINED:
            closed.append(Closed(message.id, MessageStatus.CANCELLED, MEETING_DECLINED))
        elif message.participant_id is not None:
            citizen = citizens.get(message.participant_id)
            _resolve_citizen(message, citizen or _Citizen(), ready, closed)
        elif message.staff_id is not None and message.staff_id in staff:
            member = staff[message.staff_id]
            if not member.active:
                closed.append(
                    Closed(message.id, MessageStatus.SUPPRESSED, "staff account disabled")
                )
                continue
            route = (
                Route(message.channel, message.address)
                if message.channel and message.address
                else staff_route(
                    member.id, telegram_chat_id=member.telegram_chat_id, phone=member.phone
                )
            )
            ready.append(Ready(message, route, message.language or member.language))
        elif message.channel and message.address and message.kind in ADDRESS_ONLY_KINDS:
            # A reply to someone we do not know: only to the address that wrote to us.
            route = Route(message.channel, message.address)
            ready.append(Ready(message, route, message.language or "da"))
        else:
            closed.append(Closed(message.id, MessageStatus.SUPPRESSED, "no recipient"))
    return ready, closed


def _resolve_citizen(
    message: Claimed, citizen: _Citizen, ready: list[Ready], closed: list[Closed]
) -> None:
    reason = blocked_reason(message.kind, opted_out=citizen.opted_out, consents=citizen.purposes)
    if reason is not None:
        closed.append(Closed(message.id, MessageStatus.SUPPRESSED, reason))
        return
    addresses = citizen.addresses
    route: Route | None = None
    if message.channel and message.address:
        known = [
            a for a in addresses if (a.channel, a.address) == (message.channel, message.address)
        ]
        if not known or known[0].status is AddressStatus.ACTIVE:
            route = Route(message.channel, message.address)
    if route is None:
        candidates = addresses
        if message.channel and not message.address:
            candidates = [a for a in addresses if a.channel == message.channel]
        route = citizen_route(candidates, citizen.consent_channels)
    if route is None:
        closed.append(Closed(message.id, MessageStatus.SUPPRESSED, NO_REACHABLE_ADDRESS))
        return
    ready.append(Ready(message, route, message.language or citizen.language))


async def _citizens(session: AsyncSession, ids: set[int]) -> dict[int, _Citizen]:
    if not ids:
        return {}
    citizens: dict[int, _Citizen] = defaultdict(_Citizen)
    people = await session.execute(
        select(Participant.id, Participant.opted_out_at, Participant.language).where(
            Participant.id.in_(ids)
        )
    )
    for pid, opted_out_at, language in people:
        citizens[pid] = _Citizen(opted_out=opted_out_at is not None, language=language)
    consents = await session.execute(
        select(Consent.participant_id, Consent.purpose, Consent.channel).where(
            Consent.participant_id.in_(ids), Consent.withdrawn_at.is_(None)
        )
    )
    for pid, purpose, channel in consents:
        citizens[pid].purposes.add(purpose)
        citizens[pid].consent_channels.add(channel)
    addresses = await session.execute(
        select(
            Address.participant_id,
            Address.id,
            Address.channel,
            Address.address,
            Address.status,
            Address.priority,
        ).where(Address.participant_id.in_(ids))
    )
    for pid, aid, channel, address, status, priority in addresses:
        citizens[pid].addresses.append(Candidate(channel, address, status, priority, aid))
    return dict(citizens)


async def _staff(session: AsyncSession, ids: set[int]) -> dict[int, Staff]:
    if not ids:
        return {}
    rows = await session.execute(select(Staff).where(Staff.id.in_(ids)))
    return {member.id: member for member in rows.scalars()}


async def _reminded_meetings(
    session: AsyncSession, ids: set[int]
) -> dict[int, tuple[datetime, Confirmation]]:
    """Start time and the citizen's confirmation of each meeting a claimed reminder is for."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Appointment.id, Appointment.starts_at, Appointment.confirmation).where(
            Appointment.id.in_(ids)
        )
    )
    return {aid: (starts, confirmation) for aid, starts, confirmation in rows}
