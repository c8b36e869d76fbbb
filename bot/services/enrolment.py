"""Enrolment: a consultant registers a citizen; the citizen joins by SMS or a Telegram link.

1. ``enrol_participant`` creates the participant with their SMS address (any Danish or E.164
   way of writing the number) and plans the consent question on SMS in the same unit of work.
   Until the citizen says yes, ``bot.consent_rules`` lets nothing else through.
2. For Telegram, ``issue_telegram_code`` makes a deep-link code: 128 random bits, so it cannot
   be guessed; only its SHA-256 is stored (a database leak gives no working links); it expires,
   and issuing a new one voids the older unused ones.
3. ``redeem_telegram_code`` (the citizen tapped the link, Telegram sent ``/start <code>``) uses
   the code once, links the chat to the participant and asks for consent there if it is still
   missing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.errors import BrobyggerError
from bot.i18n import SUPPORTED_LANGUAGES, Catalogs
from bot.models import (
    Address,
    AddressStatus,
    ChannelKind,
    EnrolmentCode,
    MessageKind,
    Participant,
    ReplyChoices,
    Role,
    Staff,
)
from bot.outbox import Planned, plan
from bot.phones import to_e164
from bot.services.consent import active_consents

CODE_LIFETIME = timedelta(days=7)
# The citizen gets two days to answer the consent question before its one reminder is due.
CONSENT_DEADLINE = timedelta(hours=48)


class EnrolmentError(BrobyggerError):
    """A participant could not be enrolled or linked as asked."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    participant_id: int
    telegram_code: str | None  # the plain code, shown once (only its hash is stored)
    consent_request_id: int | None


def telegram_deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


async def _mentor(session: AsyncSession, mentor_email: str) -> Staff:
    mentor = await session.scalar(
        select(Staff).where(Staff.email == mentor_email.strip().lower(), Staff.active.is_(True))
    )
    if mentor is None:
        raise EnrolmentError(f"no active staff member with e-mail {mentor_email}")
    if mentor.role not in (Role.MENTOR, Role.CONSULTANT):
        raise EnrolmentError(f"{mentor.email} is an {mentor.role}, not a mentor")
    return mentor


async def enrol_participant(
    session: AsyncSession,
    *,
    name: str,
    phone: str | None,
    telegram: bool,
    language: str,
    mentor_email: str,
    catalogs: Catalogs,
    now: datetime,
    consultant_id: int | None = None,
) -> Enrolment:
    """Register a citizen and ask for consent; see the module docstring."""
    name = name.strip()
    if not name:
        raise EnrolmentError("a participant needs a name")
    if language not in SUPPORTED_LANGUAGES:
        raise EnrolmentError(f"language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    if phone is None and not telegram:
        raise EnrolmentError("give a phone number, Telegram, or both")
    number = to_e164(phone) if phone is not None else None
    if number is not None:
        taken = await session.scalar(
            select(Address.id).where(Address.channel == ChannelKind.SMS, Address.address == number)
        )
        if taken is not None:
            raise EnrolmentError("this phone number belongs to another participant")
    mentor = await _mentor(session, mentor_email)
    participant = Participant(
        name=name,
        language=language,
        mentor_id=mentor.id,
        consultant_id=consultant_id,
        enrolled_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(participant)
    await session.flush()
    consent_request_id = None
    if number is not None:
        session.add(
            Address(
                participant_id=participant.id,
                channel=ChannelKind.SMS,
                address=number,
                priority=1,
                created_at=now,
            )
        )
        await session.flush()
        consent_request_id = await plan_consent_request(
            session,
            participant,
            mentor_name=mentor.name,
            channel=ChannelKind.SMS,
            address=number,
            catalogs=catalogs,
            now=now,
        )
    code = await issue_telegram_code(session, participant.id, now=now) if telegram else None
    return Enrolment(participant.id, code, consent_request_id)


async def plan_consent_request(
    session: AsyncSession,
    participant: Participant,
    *,
    mentor_name: str,
    channel: ChannelKind,
    address: str,
    catalogs: Catalogs,
    now: datetime,
) -> int | None:
    """Plan the consent question on one channel (once per channel); returns its id if new."""
    body = catalogs.render(
        participant.language,
        texts.CONSENT_REQUEST,
        name=first_name(participant.name),
        mentor_name=mentor_name,
    )
    return await plan(
        session,
        Planned(
            kind=MessageKind.CONSENT_REQUEST,
            body=body,
            due_at=now,
            dedupe_key=f"consent_request:participant:{participant.id}:{channel}",
            participant_id=participant.id,
            channel=channel,
            address=address,
            language=participant.language,
            choices=ReplyChoices.YES_NO,
            expects_reply=True,
            deadline_at=now + CONSENT_DEADLINE,
        ),
    )


async def issue_telegram_code(
    session: AsyncSession,
    participant_id: int,
    *,
    now: datetime,
    lifetime: timedelta = CODE_LIFETIME,
) -> str:
    """A new deep-link code for this participant; older unused codes stop working."""
    exists = await session.scalar(select(Participant.id).where(Participant.id == participant_id))
    if exists is None:
        raise EnrolmentError(f"no participant with id {participant_id}")
    await session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.participant_id == participant_id, EnrolmentCode.used_at.is_(None))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-], as Telegram allows
    session.add(
        EnrolmentCode(
            participant_id=participant_id,
            code_hash=_code_hash(code),
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    await session.flush()
    return code


@dataclass(frozen=True, slots=True)
class TelegramLink:
    participant: Participant
    already_consented: bool  # e.g. by SMS: no consent question is needed on Telegram
    consent_request_id: int | None  # the consent question planned on Telegram, if new


async def redeem_telegram_code(
    session: AsyncSession, code: str, *, chat_id: str, catalogs: Catalogs, now: datetime
) -> TelegramLink | None:
    """Link ``chat_id`` to the code's participant; None if the code is unknown, used or expired.

    The code is spent with a conditional UPDATE, so two ``/start`` taps racing each other link
    the chat once. A chat that belonged to someone else moves to this participant (the code
    proves who holds the phone now).
    """
    if not code or len(code) > 64:
        return None
    spent = await session.execute(
        update(EnrolmentCode)
        .where(
            EnrolmentCode.code_hash == _code_hash(code),
            EnrolmentCode.used_at.is_(None),
            EnrolmentCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(EnrolmentCode.participant_id)
        .execution_options(synchronize_session=False)
    )
    participant_id = spent.scalar_one_or_none()
    if participant_id is None:
        return None
    participant = await session.get_one(Participant, participant_id)
    address = await session.scalar(
        select(Address).where(Address.channel == ChannelKind.TELEGRAM, Address.address == chat_id)
    )
    if address is None:
        session.add(
            Address(
                participant_id=participant_id,
                channel=ChannelKind.TELEGRAM,
                address=chat_id,
                priority=0,
                created_at=now,
            )
        )
    else:
        address.participant_id = participant_id
        address.status = AddressStatus.ACTIVE
        address.status_reason = "linked by /start"
        address.status_changed_at = now
    await session.flush()
    consent_request_id = None
    already_consented = bool(await active_consents(session, participant_id))
    if not already_consented:
        mentor = await session.get(Staff, participant.mentor_id) if participant.mentor_id else None
        consent_request_id = await plan_consent_request(
            session,
            participant,
            mentor_name=mentor.name if mentor else "",
            channel=ChannelKind.TELEGRAM,
            address=chat_id,
            catalogs=catalogs,
            now=now,
        )
    return TelegramLink(participant, already_consented, consent_request_id)
