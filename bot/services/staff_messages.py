"""Staff writing to a participant, and the inbox of what participants wrote.

A staff message goes through the outbox like any other (the dispatcher picks the participant's
best channel and checks consent), logged with its author, so the reply lands in the same
timeline. The inbox lists what citizens wrote in their own words; plain answers to a question
(JA/NEJ, a score, OK) are applied by the bot and shown on the timeline, not in the inbox. The
read marker is the message's own (``read_at``/``read_by_id``): once one colleague has read a
reply, it is read for everyone who follows that participant.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Direction, Message, MessageKind, Participant
from bot.models.base import unindexed
from bot.models.messages import STRUCTURED_INTENTS, UNREAD_INBOX
from bot.outbox import Planned, plan
from bot.services.participants import InputProblem

MAX_STAFF_MESSAGE = 600


async def write_to_participant(
    session: AsyncSession, participant: Participant, *, author_id: int, body: str, now: datetime
) -> int:
    """Plan a message from a staff member to the participant; returns the outbox row id."""
    text = body.strip()
    if any(ord(char) < 32 and char not in "\n\t\r" for char in text):
        raise InputProblem("body", "contains control characters")
    if not text:
        raise InputProblem("body", "the message is empty")
    if len(text) > MAX_STAFF_MESSAGE:
        raise InputProblem("body", f"at most {MAX_STAFF_MESSAGE} characters")
    message_id = await plan(
        session,
        Planned(
            kind=MessageKind.STAFF_MESSAGE,
            body=text,
            due_at=now,
            dedupe_key=f"staff_message:{author_id}:{uuid.uuid4().hex}",
            participant_id=participant.id,
            language=participant.language,
            author_id=author_id,
        ),
    )
    assert message_id is not None  # a fresh dedupe key always inserts
    return message_id


def _inbox_filter(scope: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [
        Message.direction == Direction.IN,
        scope,
        Participant.erased_at.is_(None),
        or_(Message.intent.is_(None), Message.intent.not_in(STRUCTURED_INTENTS)),
    ]


async def inbox(
    session: AsyncSession, scope: ColumnElement[bool], limit: int = 200
) -> list[tuple[Message, Participant]]:
    """What the viewer's participants wrote, unread first, newest first."""
    rows = await session.execute(
        select(Message, Participant)
        .join(Participant, Participant.id == Message.participant_id)
        .where(*_inbox_filter(scope))
        .order_by(Message.read_at.is_not(None), Message.received_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(rows.all())


def unread_count_query(scope: ColumnElement[bool]) -> Select[int]:
    """How many inbox messages in ``scope`` no one has read: the header's badge on every page.

    One COUNT over the partial index ``ix_messages_unread_inbox`` (unread free text only), so it
    stays cheap however long the message log grows.
    """
    return (
        select(func.count(Message.id))
        # From the messages (the partial index) to their participants, on SQLite too.
        .join(Participant, Participant.id == unindexed(Message.participant_id))
        .where(UNREAD_INBOX, scope, Participant.erased_at.is_(None))
    )


async def unread_count(session: AsyncSession, scope: ColumnElement[bool]) -> int:
    return int(await session.scalar(unread_count_query(scope)) or 0)


async def mark_read(
    session: AsyncSession,
    scope: ColumnElement[bool],
    *,
    message_ids: list[int] | None,
    staff_id: int,
    now: datetime,
) -> int:
    """Mark inbox messages read (all unread in scope when ``message_ids`` is None)."""
    visible = (
        select(Message.id)
        .join(Participant, Participant.id == Message.participant_id)
        .where(*_inbox_filter(scope), Message.read_at.is_(None))
    )
    if message_ids is not None:
        visible = visible.where(Message.id.in_(message_ids))
    result = await session.execute(
        update(Message)
        .where(Message.id.in_(visible.scalar_subquery()))
        .values(read_at=now, read_by_id=staff_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
