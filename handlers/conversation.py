"""The conversation: one service that both channels call with every message that comes in.

``handle_inbound`` (one message) and ``handle_many`` (several, as the SMS webhook's group commit
hands them over: ``handlers.group_commit``) run inside the caller's unit of work, and handle
several messages as if one after another in the order given:

1. Claim the provider's event id (``inbound_events``). A duplicate delivery of the same Twilio
   ``MessageSid`` or Telegram ``update_id`` finds it claimed and does nothing at all, even when
   five copies arrive at once (the primary key decides, on SQLite and PostgreSQL); copies in
   one batch count once. A batch claims its ids in one statement.
2. Find who wrote: a citizen by their address on that channel, a staff member by their phone or
   Telegram chat (an acknowledgement, "OK 123", or anything from a number that is no citizen's;
   staff messages other than acknowledgements are only logged), or nobody we know.
3. Log the message as received (exact text, channel, sender, parsed intent), linked to the
   citizen, or to nobody for an unknown sender, so an admin can see it. Only what no database
   can hold (NUL, unpaired surrogates) is replaced, by U+FFFD.
4. Apply the intent: STOP/START, HELP, a language change, an answer to the open question
   (``handlers.answers``), or free text, which is acknowledged and checked for risk words.
5. Plan at most one reply through the outbox, on the channel and address the message came from,
   with a dedupe key made from the provider's event id. The dispatcher sends it after commit,
   with the same consent, quiet-hour and retry rules as every other message.

Steps 2-5 for the common messages of a batch (free text and check-in answers from known
citizens) run set-based for the whole batch (``handlers.common_messages``); every other message
runs them one by one, after those, in the order they came.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from bot import texts
from bot.clock import Clock
from bot.db import Database
from bot.i18n import normalize_language
from bot.models import Address, Message, MessageKind, Participant, Staff
from bot.outbox import Planned, plan
from bot.services.addresses import address_hash, find_address, find_staff_by_address
from bot.services.enrolment import redeem_telegram_code
from handlers.answers import Reply, answer_question, open_question, raise_worrying_alert
from handlers.common_messages import Claimed, handle_common
from handlers.events import claim_events
from handlers.inbound import (
    Conversation,
    Handled,
    Inbound,
    inbound_row,
    reply_to,
    storable,
    stored_form,
)
from handlers.replies import Intent, IntentKind, parse_reply
from handlers.staff_replies import acknowledge_by_staff
from handlers.subscription import opt_in, opt_out

__all__ = [
    "Conversation",
    "Handled",
    "Inbound",
    "handle_inbound",
    "handle_many",
    "receive",
    "storable",
]

logger = logging.getLogger(__name__)


async def receive(
    database: Database, inbound: Inbound, *, conversation: Conversation, clock: Clock
) -> Handled:
    """Handle one inbound message in its own unit of work. A planned reply wakes the
    dispatcher after commit (``bot.outbox.on_planned_commit``), so the answer goes at once."""
    async with database.session() as session:
        return await handle_inbound(session, inbound, conversation=conversation, now=clock.now())


async def handle_inbound(
    session: AsyncSession, inbound: Inbound, *, conversation: Conversation, now: datetime
) -> Handled:
    """Log one inbound message and act on it; see the module docstring."""
    [handled] = await handle_many(session, [inbound], conversation=conversation, now=now)
    return handled


async def handle_many(
    session: AsyncSession,
    inbounds: Sequence[Inbound],
    *,
    conversation: Conversation,
    now: datetime,
) -> list[Handled]:
    """Log several inbound messages and act on them, as if one after another in this order;
    what each became, in the same order. See the module docstring."""
    stored = [stored_form(inbound) for inbound in inbounds]
    claimed_events = await claim_events(session, (inbound.event for inbound in stored), now)
    handled: list[Handled | None] = [None] * len(stored)
    claimed: list[Claimed] = []
    for position, inbound in enumerate(stored):
        if inbound.event in claimed_events:
            claimed_events.discard(inbound.event)  # a second copy in this batch is a duplicate
            claimed.append(Claimed(position, inbound, inbound.intent or parse_reply(inbound.text)))
        else:
            logger.info("duplicate %s event %s ignored", inbound.provider, inbound.external_id)
            handled[position] = Handled(duplicate=True)
    done = await handle_common(session, claimed, conversation=conversation, now=now)
    for message in claimed:
        handled[message.position] = done.get(message.position) or await _handle_claimed(
            session, message.inbound, message.intent, conversation, now
        )
    return [result for result in handled if result is not None]


async def _handle_claimed(
    session: AsyncSession,
    inbound: Inbound,
    intent: Intent,
    conversation: Conversation,
    now: datetime,
) -> Handled:
    """One message whose event is claimed, on its own: steps 2-5 of the module docstring."""
    address = await find_address(session, inbound.channel, inbound.address)
    staff = None
    if intent.kind is IntentKind.ACK or address is None:
        staff = await _staff_sender(session, inbound)
    if staff is not None:
        row = await _log(session, inbound, intent, staff_id=staff.id)
        reply = await acknowledge_by_staff(session, staff, intent, conversation.catalogs, now)
        reply_id = None
        if reply is not None:
            reply_id = await _plan_reply(
                session, inbound, reply, staff_id=staff.id, language=staff.language, now=now
            )
        return Handled(False, row.id, reply_id)
    if address is None and inbound.start_code is not None:
        link = await redeem_telegram_code(
            session,
            inbound.start_code,
            chat_id=inbound.address,
            catalogs=conversation.catalogs,
            now=now,
        )
        if link is not None:
            participant = link.participant
            row = await _log(session, inbound, intent, participant_id=participant.id)
            logger.info("participant %s linked a Telegram chat", participant.id)
            if not link.already_consented:
                return Handled(False, row.id, link.consent_request_id)
            # Consented by SMS already: say that messages will now come here too.
            welcome = Reply(
                MessageKind.CONSENT_REPLY,
                conversation.catalogs.render(participant.language, texts.CONSENT_THANKS),
            )
            reply_id = await _plan_reply(
                session,
                inbound,
                welcome,
                participant_id=participant.id,
                language=participant.language,
                now=now,
            )
            return Handled(False, row.id, reply_id)
    if address is None:
        return await _from_unknown_sender(session, inbound, intent, conversation, now)
    # Not the participant's addresses: the one that wrote is known, and loading the others
    # (a second query, each one decrypted) was the largest cost of an inbound message.
    participant = await session.get_one(
        Participant, address.participant_id, options=[raiseload(Participant.addresses)]
    )
    row = await _log(session, inbound, intent, participant_id=participant.id)
    reply = await _apply(session, participant, address, row, intent, conversation, now)
    if reply is None:
        return Handled(False, row.id)
    reply_id = await _plan_reply(
        session,
        inbound,
        reply,
        participant_id=participant.id,
        language=participant.language,
        now=now,
    )
    return Handled(False, row.id, reply_id)


async def _apply(
    session: AsyncSession,
    participant: Participant,
    address: Address,
    row: Message,
    intent: Intent,
    conversation: Conversation,
    now: datetime,
) -> Reply | None:
    catalogs = conversation.catalogs
    if intent.kind is IntentKind.STOP:
        return await opt_out(session, participant, now=now, catalogs=catalogs)
    if intent.kind is IntentKind.START:
        return await opt_in(session, participant, address, now=now, catalogs=catalogs)
    if participant.opted_out_at is not None:
        # Logged for the consultant; nothing goes to the citizen until START, but a worrying
        # message still reaches the mentor.
        await raise_worrying_alert(session, participant, row, now=now)
        return None
    if intent.kind is IntentKind.HELP:
        mentor = await session.get(Staff, participant.mentor_id) if participant.mentor_id else None
        body = catalogs.render(
            participant.language, texts.HELP, mentor_name=mentor.name if mentor else ""
        )
        return Reply(MessageKind.REPLY, body)
    if intent.kind is IntentKind.LANGUAGE:
        if intent.language is None:
            return Reply(
                MessageKind.REPLY, catalogs.render(participant.language, texts.LANGUAGE_UNKNOWN)
            )
        participant.language = intent.language
        participant.updated_at = now
        return Reply(MessageKind.REPLY, catalogs.render(intent.language, texts.LANGUAGE_CHANGED))
    if intent.kind in (IntentKind.YES, IntentKind.NO, IntentKind.SCORE):
        question = await open_question(session, participant.id, intent.reference)
        if question is None:
            return Reply(
                MessageKind.REPLY, catalogs.render(participant.language, texts.NO_OPEN_QUESTION)
            )
        answer = await answer_question(
            session, participant, question, row, intent, catalogs=catalogs, now=now
        )
        if answer is not None:
            return answer
    # Free text, or an answer that does not fit the open question: a person reads it.
    await raise_worrying_alert(session, participant, row, now=now)
    return Reply(MessageKind.REPLY, catalogs.render(participant.language, texts.FREE_TEXT_ACK))


async def _from_unknown_sender(
    session: AsyncSession,
    inbound: Inbound,
    intent: Intent,
    conversation: Conversation,
    now: datetime,
) -> Handled:
    """Keep the message for an admin; answer politely, at most once a day per sender."""
    row = await _log(session, inbound, intent)
    logger.info("message from an unknown %s sender kept (id %s)", inbound.channel, row.id)
    if intent.kind is IntentKind.STOP:
        return Handled(False, row.id)  # they asked for silence
    language = normalize_language(inbound.language_hint)
    if inbound.start_code is not None:
        body = conversation.catalogs.render(language, texts.TELEGRAM_LINK_INVALID)
        dedupe_key = f"reply:{inbound.provider}:{inbound.external_id}"
    else:
        body = conversation.catalogs.render(language, texts.UNKNOWN_SENDER)
        # The keyed lookup hash: a plain hash of an 8-digit number is reversed in seconds.
        sender = address_hash(inbound.channel, inbound.address)[:32]
        day = now.astimezone(conversation.tz).date().isoformat()
        dedupe_key = f"unknown_sender:{inbound.channel}:{sender}:{day}"
    reply_id = await plan(
        session,
        Planned(
            kind=MessageKind.UNKNOWN_SENDER_REPLY,
            body=body,
            due_at=now,
            dedupe_key=dedupe_key,
            channel=inbound.channel,
            address=inbound.address,
            language=language,
        ),
    )
    return Handled(False, row.id, reply_id)


async def _staff_sender(session: AsyncSession, inbound: Inbound) -> Staff | None:
    return await find_staff_by_address(session, inbound.channel, inbound.address)


async def _log(
    session: AsyncSession,
    inbound: Inbound,
    intent: Intent,
    *,
    participant_id: int | None = None,
    staff_id: int | None = None,
) -> Message:
    row = Message(**inbound_row(inbound, intent, participant_id=participant_id, staff_id=staff_id))
    session.add(row)
    await session.flush()
    return row


async def _plan_reply(
    session: AsyncSession,
    inbound: Inbound,
    reply: Reply,
    *,
    now: datetime,
    language: str,
    participant_id: int | None = None,
    staff_id: int | None = None,
) -> int | None:
    planned = reply_to(
        inbound,
        reply,
        now=now,
        language=language,
        participant_id=participant_id,
        staff_id=staff_id,
    )
    return await plan(session, planned)
