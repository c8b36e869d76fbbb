"""Applying a citizen's answer (yes, no, a score) to the question it answers.

The question is the newest sent message of this citizen that expects a reply and has none yet,
or the one a Telegram button names (a button carries its own question, so a late tap on an older
question still counts). The answer and the question are linked both ways, and so are any other
open questions about the same thing (a nudge and the question it nudged), so escalation stops.

What an answer does depends on what was asked:

- consent question or its reminder: yes records consent for every purpose with the question's
  exact text; no withdraws any consent held;
- meeting confirmation, its nudge, a reminder or a moved meeting: yes/no sets the meeting's
  confirmation, and no alerts the mentor at once;
- attendance question: yes/no records attended/missed, and missed alerts the mentor;
- check-in or its nudge: a score 1-5 answers the check-in, and 1-2 alerts the mentor.

An answer that does not fit the question ("ja" to "how are things, 1-5") returns None; the
caller then treats the message as free text, which a person reads.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.i18n import Catalogs
from bot.models import (
    AlertReason,
    Appointment,
    Attendance,
    Checkin,
    CheckinStatus,
    Confirmation,
    ConsentMethod,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
)
from bot.services.alerts import raise_alert
from bot.services.consent import record_consents, withdraw_consents
from handlers.inbound import Reply
from handlers.replies import Intent, IntentKind
from handlers.risk_words import worrying_topics

__all__ = ["Reply", "answer_question", "open_question", "raise_worrying_alert"]

CONSENT_QUESTIONS = frozenset({MessageKind.CONSENT_REQUEST, MessageKind.CONSENT_REMINDER})
CONFIRMATION_QUESTIONS = frozenset(
    {
        MessageKind.CONFIRMATION_REQUEST,
        MessageKind.CONFIRMATION_NUDGE,
        MessageKind.REMINDER,
        MessageKind.MEETING_MOVED,
    }
)
MEETING_QUESTIONS = CONFIRMATION_QUESTIONS | {MessageKind.ATTENDANCE_QUESTION}
CHECKIN_QUESTIONS = frozenset({MessageKind.CHECKIN, MessageKind.CHECKIN_NUDGE})
LOW_SCORE = 2
# A question counts as asked once it has left (or may have left) for the provider.
ASKED = (
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNKNOWN,
)


async def open_question(
    session: AsyncSession, participant_id: int, button_question_id: int | None = None
) -> Message | None:
    """The question an answer applies to (see the module docstring), or None."""
    statement = select(Message).where(
        Message.participant_id == participant_id,
        Message.direction == Direction.OUT,
        Message.expects_reply.is_(True),
    )
    if button_question_id is not None:
        return await session.scalar(statement.where(Message.id == button_question_id))
    return await session.scalar(
        statement.where(Message.answered_by_id.is_(None), Message.status.in_(ASKED))
        .order_by(Message.sent_at.desc().nulls_last(), Message.id.desc())
        .limit(1)
    )


class Subject(enum.StrEnum):
    """What an answer is about, by the question it answers."""

    CONSENT = "consent"
    MEETING = "meeting"
    CHECKIN = "checkin"


def subject_of(
    question_kind: str, appointment_id: int | None, checkin_id: int | None, intent: Intent
) -> Subject | None:
    """What ``intent`` answers when it answers this question; None when it does not fit."""
    yes_or_no = intent.kind in (IntentKind.YES, IntentKind.NO)
    if question_kind in CONSENT_QUESTIONS and yes_or_no:
        return Subject.CONSENT
    if question_kind in MEETING_QUESTIONS and appointment_id is not None and yes_or_no:
        return Subject.MEETING
    if (
        question_kind in CHECKIN_QUESTIONS
        and checkin_id is not None
        and intent.kind is IntentKind.SCORE
        and intent.score is not None
    ):
        return Subject.CHECKIN
    return None


async def answer_question(
    session: AsyncSession,
    participant: Participant,
    question: Message,
    inbound: Message,
    intent: Intent,
    *,
    catalogs: Catalogs,
    now: datetime,
) -> Reply | None:
    """Apply ``intent`` to ``question``; the reply to send, or None if it does not fit."""
    kind = question.kind
    lang = participant.language
    subject = subject_of(kind, question.appointment_id, question.checkin_id, intent)
    reply: Reply | None = None
    same_subject: ColumnElement[bool] | None = None
    if subject is Subject.CONSENT:
        if intent.kind is IntentKind.YES:
            await record_consents(
                session,
                participant_id=participant.id,
                text=question.body,
                channel=inbound.channel,
                method=ConsentMethod.REPLY,
                now=now,
            )
            reply = Reply(MessageKind.CONSENT_REPLY, catalogs.render(lang, texts.CONSENT_THANKS))
        else:
            await withdraw_consents(session, participant_id=participant.id, now=now)
            reply = Reply(MessageKind.CONSENT_REPLY, catalogs.render(lang, texts.CONSENT_DECLINED))
        same_subject = Message.kind.in_(CONSENT_QUESTIONS)
    elif subject is Subject.MEETING:
        assert question.appointment_id is not None  # subject_of checked
        attendance = kind == MessageKind.ATTENDANCE_QUESTION
        appointment = await session.get_one(Appointment, question.appointment_id)
        reply = await _meeting_answer(
            session,
            appointment,
            question,
            yes=intent.kind is IntentKind.YES,
            attendance=attendance,
            catalogs=catalogs,
            lang=lang,
            now=now,
        )
        kinds = {MessageKind.ATTENDANCE_QUESTION} if attendance else CONFIRMATION_QUESTIONS
        same_subject = (Message.appointment_id == appointment.id) & Message.kind.in_(kinds)
    elif subject is Subject.CHECKIN:
        assert question.checkin_id is not None and intent.score is not None  # subject_of checked
        checkin_id = question.checkin_id
        reply = await _score(session, checkin_id, question, intent.score, catalogs, lang, now)
        same_subject = Message.checkin_id == checkin_id
    if reply is None or same_subject is None:
        return None
    await _link(session, question, inbound, same_subject)
    return reply


async def _link(
    session: AsyncSession, question: Message, inbound: Message, same_subject: ColumnElement[bool]
) -> None:
    inbound.in_reply_to_id = question.id
    question.answered_by_id = inbound.id
    question.answered_at = inbound.received_at
    await session.flush()
    await session.execute(
        update(Message)
        .where(
            Message.participant_id == question.participant_id,
            Message.direction == Direction.OUT,
            Message.expects_reply.is_(True),
            Message.answered_by_id.is_(None),
            same_subject,
        )
        .values(answered_by_id=inbound.id, answered_at=inbound.received_at)
        .execution_options(synchronize_session=False)
    )


async def _meeting_answer(
    session: AsyncSession,
    appointment: Appointment,
    question: Message,
    *,
    yes: bool,
    attendance: bool,
    catalogs: Catalogs,
    lang: str,
    now: datetime,
) -> Reply:
    """Record a confirmation, or with ``attendance`` whether they came; "no" alerts at once."""
    if attendance:
        appointment.attendance = Attendance.ATTENDED if yes else Attendance.MISSED
        appointment.attendance_recorded_at = now
        appointment.attendance_recorded_by_id = None  # the citizen's own answer
        text = texts.ATTENDANCE_THANKS if yes else texts.ATTENDANCE_MISSED
        reason, cause = AlertReason.MISSED_MEETING, "missed"
    else:
        appointment.confirmation = Confirmation.CONFIRMED if yes else Confirmation.DECLINED
        appointment.confirmation_at = now
        text = texts.MEETING_CONFIRMED if yes else texts.MEETING_DECLINED
        reason, cause = AlertReason.DECLINED_MEETING, "declined"
    if not yes:
        await raise_alert(
            session,
            participant_id=appointment.participant_id,
            reason=reason,
            dedupe_key=f"{cause}:appointment:{appointment.id}:v{appointment.version}",
            now=now,
            question_id=question.id,
            appointment_id=appointment.id,
        )
    return Reply(MessageKind.REPLY, catalogs.render(lang, text))


# One UPDATE, without loading the check-in first: every answered check-in runs this (also
# executed for many at once, with a list of parameters: handlers.common_messages).
_checkins = cast(Table, Checkin.__table__)
ANSWER_CHECKIN = (
    update(_checkins)
    .where(_checkins.c.id == bindparam("b_checkin"))
    .values(
        score=bindparam("b_score"), answered_at=bindparam("b_at"), status=CheckinStatus.ANSWERED
    )
)


def checkin_answer(checkin_id: int, score: int, now: datetime) -> dict[str, object]:
    """The parameters of ``ANSWER_CHECKIN`` for one answer."""
    return {"b_checkin": checkin_id, "b_score": score, "b_at": now}


def score_reply(catalogs: Catalogs, lang: str, score: int) -> Reply:
    """Thanks for a check-in score, or for a low one, that the mentor will be in touch."""
    text = texts.CHECKIN_THANKS if score > LOW_SCORE else texts.CHECKIN_LOW_SCORE
    return Reply(MessageKind.REPLY, catalogs.render(lang, text))


async def alert_low_score(
    session: AsyncSession,
    *,
    participant_id: int,
    checkin_id: int,
    question_id: int,
    score: int,
    now: datetime,
) -> int | None:
    """A score of 1-2 alerts the mentor, once per check-in."""
    if score > LOW_SCORE:
        return None
    return await raise_alert(
        session,
        participant_id=participant_id,
        reason=AlertReason.LOW_SCORE,
        dedupe_key=f"low_score:checkin:{checkin_id}",
        now=now,
        detail=f"score {score}",
        question_id=question_id,
    )


async def _score(
    session: AsyncSession,
    checkin_id: int,
    question: Message,
    score: int,
    catalogs: Catalogs,
    lang: str,
    now: datetime,
) -> Reply:
    await session.execute(ANSWER_CHECKIN, checkin_answer(checkin_id, score, now))
    assert question.participant_id is not None  # a check-in question names its participant
    await alert_low_score(
        session,
        participant_id=question.participant_id,
        checkin_id=checkin_id,
        question_id=question.id,
        score=score,
        now=now,
    )
    return score_reply(catalogs, lang, score)


async def raise_worrying_alert(
    session: AsyncSession, participant: Participant, inbound: Message, *, now: datetime
) -> int | None:
    """Alert the mentor when free text touches a risk topic; the alert names only the topic."""
    return await raise_worrying_alert_about(
        session, participant_id=participant.id, message_id=inbound.id, text=inbound.body, now=now
    )


async def raise_worrying_alert_about(
    session: AsyncSession, *, participant_id: int, message_id: int, text: str, now: datetime
) -> int | None:
    """``raise_worrying_alert`` for the logged message ``message_id`` saying ``text``."""
    topics = worrying_topics(text)
    if not topics:
        return None
    return await raise_alert(
        session,
        participant_id=participant_id,
        reason=AlertReason.WORRYING_REPLY,
        dedupe_key=f"worrying:message:{message_id}",
        now=now,
        detail=", ".join(topics),
    )
