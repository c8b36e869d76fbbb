"""The messages most citizens send, many at once: free text and answers to check-ins.

``handlers.conversation.handle_many`` hands over every message of a unit of work whose event it
claimed. This module takes the common ones and handles them together with a few set-based
statements, whatever their number; it leaves the others to be handled one by one after it, in
the order they came. For each message it takes it writes exactly what the one-by-one path would
(the tests compare the two):

1. Who wrote: every sender's address and participant, in one SELECT.
2. Which messages are common: from a known citizen who has not opted out, free text or an
   answer (yes, no, a score) without a Telegram button, and the citizen's first message in the
   batch (a later one must see what the first did, so it goes one by one, after it).
3. What each answer answers: the newest asked and unanswered question of each of those
   citizens, in one SELECT. An answer to a consent or meeting question is left to the
   one-by-one path (``handlers.answers``); a score to a check-in is taken; an answer to no
   question gets "no open question"; one that does not fit the question is free text.
4. The writes: the inbound rows (with the question each answers) in one INSERT; the answered
   check-ins in one UPDATE executed for all, and the questions about them linked to the answer
   in another; alerts for low scores and worrying free text (rare: one statement each); the
   replies in one INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.models import Address, Direction, Message, MessageKind, Participant
from bot.models.base import usually
from bot.outbox import Planned, plan_each
from bot.services.addresses import address_hash
from handlers.answers import (
    ANSWER_CHECKIN,
    ASKED,
    Subject,
    alert_low_score,
    checkin_answer,
    raise_worrying_alert_about,
    score_reply,
    subject_of,
)
from handlers.inbound import Conversation, Handled, Inbound, Reply, inbound_row, reply_to
from handlers.replies import Intent, IntentKind

_COMMON_INTENTS = frozenset({IntentKind.FREE_TEXT, IntentKind.YES, IntentKind.NO, IntentKind.SCORE})
_ANSWERS = frozenset({IntentKind.YES, IntentKind.NO, IntentKind.SCORE})

_messages = cast(Table, Message.__table__)
_SENDERS = (
    select(
        Address.channel,
        Address.address_hash,
        Address.participant_id,
        Participant.language,
        Participant.opted_out_at,
    )
    .join(Participant, Participant.id == Address.participant_id)
    # Both columns, so that both databases find the rows by the (channel, address_hash) index.
    .where(
        Address.channel.in_(bindparam("channels", expanding=True)),
        Address.address_hash.in_(bindparam("hashes", expanding=True)),
    )
)
# The newest asked, unanswered question of each participant (``handlers.answers.open_question``
# for many at once).
_ranked = (
    select(
        Message.id,
        Message.participant_id,
        Message.kind,
        Message.appointment_id,
        Message.checkin_id,
        func.row_number()
        .over(
            partition_by=Message.participant_id,
            order_by=(Message.sent_at.desc().nulls_last(), Message.id.desc()),
        )
        .label("newest"),
    )
    .where(
        Message.participant_id.in_(bindparam("participants", expanding=True)),
        # By the participants' own rows: SQLite (no statistics) would otherwise walk every
        # question in the table by ix_messages_questions_sent (expects_reply first).
        usually(Message.direction == Direction.OUT),
        usually(Message.expects_reply.is_(True)),
        Message.answered_by_id.is_(None),
        usually(Message.status.in_(ASKED)),
    )
    .subquery()
)
_OPEN_QUESTIONS = select(
    _ranked.c.id,
    _ranked.c.participant_id,
    _ranked.c.kind,
    _ranked.c.appointment_id,
    _ranked.c.checkin_id,
).where(_ranked.c.newest == 1)
_LOG = insert(_messages).returning(_messages.c.id, sort_by_parameter_order=True)
# The answer closes every open question about the same check-in (the question and its nudge).
_LINK_CHECKIN_QUESTIONS = (
    update(_messages)
    .where(
        _messages.c.participant_id == bindparam("b_participant"),
        _messages.c.direction == Direction.OUT,
        _messages.c.expects_reply.is_(true()),
        _messages.c.answered_by_id.is_(None),
        _messages.c.checkin_id == bindparam("b_checkin"),
    )
    .values(answered_by_id=bindparam("b_inbound"), answered_at=bindparam("b_received"))
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message whose event this unit of work claimed, and what it means."""

    position: int  # in the batch, which is the order the messages came in
    inbound: Inbound
    intent: Intent


@dataclass(frozen=True, slots=True)
class _Sender:
    participant_id: int
    language: str
    opted_out: bool


@dataclass(frozen=True, slots=True)
class _Question:
    id: int
    kind: str
    appointment_id: int | None
    checkin_id: int | None


@dataclass(slots=True)
class _Common:
    message: Claimed
    sender: _Sender
    question: _Question | None = None
    reply: Reply | None = None
    message_id: int = 0


async def handle_common(
    session: AsyncSession,
    claimed: Sequence[Claimed],
    *,
    conversation: Conversation,
    now: datetime,
) -> dict[int, Handled]:
    """Handle the common messages of ``claimed`` (see the module docstring); what each became,
    by its position. The ones left out are the caller's, to handle one by one."""
    hashes = [address_hash(m.inbound.channel, m.inbound.address) for m in claimed]
    senders = await _senders(session, {str(m.inbound.channel) for m in claimed}, hashes)
    common = _common(claimed, hashes, senders)
    if not common:
        return {}
    common = await _with_questions(session, common)
    if not common:
        return {}
    for item in common:
        item.reply = _reply(item, conversation)
    ids = (await session.execute(_LOG, [_row(item) for item in common])).scalars().all()
    for item, message_id in zip(common, ids, strict=True):
        item.message_id = message_id
    answered = [item for item in common if _checkin_score(item) is not None]
    if answered:
        await session.execute(ANSWER_CHECKIN, [_checkin_parameters(item, now) for item in answered])
        await session.execute(
            _LINK_CHECKIN_QUESTIONS, [_link_parameters(item) for item in answered]
        )
    for item in common:
        await _alert(session, item, now)
    replies = [_planned(item, now) for item in common]
    reply_ids = await plan_each(session, replies)
    return {
        item.message.position: Handled(False, item.message_id, reply_id)
        for item, reply_id in zip(common, reply_ids, strict=True)
    }


async def _senders(
    session: AsyncSession, channels: set[str], hashes: Sequence[str]
) -> dict[tuple[str, str], _Sender]:
    """Each sender that is a participant's address, by (channel, lookup hash)."""
    values = {"channels": sorted(channels), "hashes": sorted(set(hashes))}
    rows = await session.execute(_SENDERS, values)
    return {
        (str(channel), hash_): _Sender(participant_id, language, opted_out_at is not None)
        for channel, hash_, participant_id, language, opted_out_at in rows
    }


def _common(
    claimed: Sequence[Claimed], hashes: Sequence[str], senders: dict[tuple[str, str], _Sender]
) -> list[_Common]:
    seen: set[int] = set()
    common: list[_Common] = []
    for message, hash_ in zip(claimed, hashes, strict=True):
        inbound = message.inbound
        sender = senders.get((str(inbound.channel), hash_))
        if sender is None:
            continue  # staff, or someone we do not know
        first = sender.participant_id not in seen
        seen.add(sender.participant_id)
        if (
            first
            and not sender.opted_out
            and inbound.start_code is None
            and message.intent.kind in _COMMON_INTENTS
            and message.intent.reference is None  # a Telegram button names its question
        ):
            common.append(_Common(message, sender))
    return common


async def _with_questions(session: AsyncSession, common: list[_Common]) -> list[_Common]:
    """The open question of each answer; without the answers that are not common after all."""
    participants = sorted(
        {item.sender.participant_id for item in common if item.message.intent.kind in _ANSWERS}
    )
    if not participants:
        return common
    rows = await session.execute(_OPEN_QUESTIONS, {"participants": participants})
    questions = {
        participant_id: _Question(question_id, kind, appointment_id, checkin_id)
        for question_id, participant_id, kind, appointment_id, checkin_id in rows
    }
    kept: list[_Common] = []
    for item in common:
        if item.message.intent.kind in _ANSWERS:
            item.question = questions.get(item.sender.participant_id)
            if item.question is not None and _subject(item) in (Subject.CONSENT, Subject.MEETING):
                continue  # handlers.answers applies those, one by one
        kept.append(item)
    return kept


def _subject(item: _Common) -> Subject | None:
    question = item.question
    if question is None:
        return None
    return subject_of(
        question.kind, question.appointment_id, question.checkin_id, item.message.intent
    )


def _checkin_score(item: _Common) -> int | None:
    return item.message.intent.score if _subject(item) is Subject.CHECKIN else None


def _reply(item: _Common, conversation: Conversation) -> Reply:
    catalogs, lang = conversation.catalogs, item.sender.language
    score = _checkin_score(item)
    if score is not None:
        return score_reply(catalogs, lang, score)
    if item.message.intent.kind in _ANSWERS and item.question is None:
        return Reply(MessageKind.REPLY, catalogs.render(lang, texts.NO_OPEN_QUESTION))
    # Free text, or an answer that does not fit the open question: a person reads it.
    return Reply(MessageKind.REPLY, catalogs.render(lang, texts.FREE_TEXT_ACK))


def _row(item: _Common) -> dict[str, object]:
    answers = item.question.id if item.question and _checkin_score(item) is not None else None
    return inbound_row(
        item.message.inbound,
        item.message.intent,
        participant_id=item.sender.participant_id,
        in_reply_to_id=answers,
    )


def _checkin_parameters(item: _Common, now: datetime) -> dict[str, object]:
    assert item.question is not None and item.question.checkin_id is not None
    score = _checkin_score(item)
    assert score is not None
    return checkin_answer(item.question.checkin_id, score, now)


def _link_parameters(item: _Common) -> dict[str, object]:
    assert item.question is not None
    return {
        "b_participant": item.sender.participant_id,
        "b_checkin": item.question.checkin_id,
        "b_inbound": item.message_id,
        "b_received": item.message.inbound.received_at,
    }


async def _alert(session: AsyncSession, item: _Common, now: datetime) -> None:
    score = _checkin_score(item)
    if score is not None:
        assert item.question is not None and item.question.checkin_id is not None
        await alert_low_score(
            session,
            participant_id=item.sender.participant_id,
            checkin_id=item.question.checkin_id,
            question_id=item.question.id,
            score=score,
            now=now,
        )
    elif not (item.message.intent.kind in _ANSWERS and item.question is None):
        await raise_worrying_alert_about(
            session,
            participant_id=item.sender.participant_id,
            message_id=item.message_id,
            text=item.message.inbound.text,
            now=now,
        )


def _planned(item: _Common, now: datetime) -> Planned:
    assert item.reply is not None
    return reply_to(
        item.message.inbound,
        item.reply,
        now=now,
        language=item.sender.language,
        participant_id=item.sender.participant_id,
    )
