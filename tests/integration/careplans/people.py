"""Invented people for the care-plan tests, and a stand-in for "the dispatcher sent it".

The real dispatcher lives on another branch; these tests check the planner, the ladder and the
alert notices against the database directly, so ``mark_sent`` only records what a send would.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from bot.db import Database
from bot.models import (
    Address,
    ChannelKind,
    ConsentMethod,
    ConsentPurpose,
    Message,
    MessageStatus,
    Role,
)
from bot.services.consent import record_consents
from tests import factories


async def add_staff(
    database: Database,
    *,
    name: str,
    role: Role,
    telegram: str | None = None,
    phone: str | None = None,
) -> int:
    async with database.session() as session:
        staff = await factories.add_staff(
            session,
            email=f"{name.split()[0].lower()}@example.org",
            name=name,
            role=role,
            phone=phone,
            telegram_chat_id=telegram,
        )
        return staff.id


async def enrol(
    database: Database,
    *,
    now: datetime,
    release_date: date | None,
    name: str = "Jonas Kragh",
    mentor_id: int | None = None,
    consultant_id: int | None = None,
    phone: str | None = None,
    consents: tuple[ConsentPurpose, ...] = tuple(ConsentPurpose),
) -> int:
    """A participant with an SMS number (unique unless given) and the consents asked for."""
    async with database.session() as session:
        participant = await factories.add_participant(
            session, now=now, name=name, phone=None, consented=False
        )
        participant.release_date = release_date
        participant.mentor_id = mentor_id
        participant.consultant_id = consultant_id
        number = phone or f"+4520{participant.id:06d}"
        session.add(Address(participant_id=participant.id, channel=ChannelKind.SMS, address=number))
        if consents:
            await record_consents(
                session,
                participant_id=participant.id,
                text="Samtykke givet på papir ved indskrivningen",
                channel=None,
                method=ConsentMethod.STAFF_RECORDED,
                now=now,
                purposes=consents,
                recorded_by_id=consultant_id,
            )
        return participant.id


async def mark_sent(database: Database, now: datetime) -> list[int]:
    """Record every planned message due by ``now`` as sent at ``now``; returns their ids."""
    async with database.session() as session:
        ids = list(
            await session.scalars(
                select(Message.id).where(
                    Message.status == MessageStatus.PLANNED, Message.send_after <= now
                )
            )
        )
        if ids:
            await session.execute(
                update(Message)
                .where(Message.id.in_(ids))
                .values(status=MessageStatus.SENT, sent_at=now, attempts=1)
            )
        return ids


async def messages(database: Database, **where: object) -> list[Message]:
    async with database.read() as session:
        query = select(Message).order_by(Message.id)
        for column, value in where.items():
            query = query.where(getattr(Message, column) == value)
        return list(await session.scalars(query))
