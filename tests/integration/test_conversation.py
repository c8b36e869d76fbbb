"""The conversation service on a real database (SQLite and PostgreSQL): intents applied."""

from __future__ import annotations

import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import texts
from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import (
    Address,
    AddressStatus,
    Alert,
    AlertReason,
    Appointment,
    Attendance,
    ChannelKind,
    Checkin,
    CheckinStatus,
    Confirmation,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
)
from bot.outbox import Planned, plan
from bot.services.alerts import raise_alert
from bot.services.enrolment import issue_telegram_code
from handlers.conversation import (
    Conversation,
    Handled,
    Inbound,
    handle_inbound,
)
from handlers.replies import Intent, IntentKind, button_data, parse_button
from handlers.subscription import telegram_membership_changed
from tests.factories import (
    CITIZEN_PHONE,
    MENTOR_PHONE,
    add_appointment,
    add_checkin,
    add_participant,
    add_question,
    add_staff,
    ask_about_a_meeting,
)

CATALOGS = Catalogs.load()
CONVERSATION = Conversation(CATALOGS, ZoneInfo("Europe/Copenhagen"))
_sids = itertools.count(1)


async def send(
    database: Database,
    clock: FakeClock,
    text: str,
    *,
    address: str = CITIZEN_PHONE,
    channel: ChannelKind = ChannelKind.SMS,
    intent: Intent | None = None,
    external_id: str | None = None,
    start_code: str | None = None,
    language_hint: str | None = None,
) -> Handled:
    inbound = Inbound(
        provider="twilio" if channel is ChannelKind.SMS else "telegram",
        external_id=external_id or f"SM{next(_sids):032x}",
        channel=channel,
        address=address,
        text=text,
        received_at=clock.now(),
        intent=intent,
        start_code=start_code,
        language_hint=language_hint,
    )
    async with database.session() as session:
        return await handle_inbound(session, inbound, conversation=CONVERSATION, now=clock.now())


async def reply_of(database: Database, handled: Handled) -> Message:
    assert handled.reply_id is not None, "no reply was planned"
    async with database.read() as session:
        return await session.get_one(Message, handled.reply_id)


async def test_consent_yes_records_every_purpose_with_the_question_text(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now(), consented=False)
        question = await add_question(
            session, participant, kind=MessageKind.CONSENT_REQUEST, now=clock.now()
        )
    clock.advance(timedelta(minutes=5))
    handled = await send(database, clock, "Ja tak!", external_id="SMconsent1")
    async with database.read() as session:
        consents = list(await session.scalars(select(Consent)))
        inbound = await session.get_one(Message, handled.message_id)
        asked = await session.get_one(Message, question.id)
    assert {c.purpose for c in consents} == set(ConsentPurpose)
    assert all(c.text == "Må vi sende dig beskeder?" for c in consents)
    assert all(c.channel is ChannelKind.SMS and c.method is ConsentMethod.REPLY for c in consents)
    assert all(c.given_at == clock.now() for c in consents)
    assert inbound.in_reply_to_id == question.id and asked.answered_by_id == inbound.id
    # The statistics' time to reply reads when the question was answered from the question.
    assert asked.answered_at == inbound.received_at == clock.now()
    assert inbound.intent == "yes" and inbound.participant_id == participant.id
    reply = await reply_of(database, handled)
    assert reply.kind == MessageKind.CONSENT_REPLY
    assert reply.body == CATALOGS.render("da", texts.CONSENT_THANKS)
    assert (reply.channel, reply.address) == (ChannelKind.SMS, CITIZEN_PHONE)
    # Made from the provider's id of the message it answers: a duplicate cannot plan twice.
    assert reply.dedupe_key == "reply:twilio:SMconsent1"


async def test_consent_no_records_nothing_and_says_how_to_come_back(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now(), consented=False)
        await add_question(session, participant, kind=MessageKind.CONSENT_REQUEST, now=clock.now())
    handled = await send(database, clock, "nej")
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Consent)) == 0
    reply = await reply_of(database, handled)
    assert reply.body == CATALOGS.render("da", texts.CONSENT_DECLINED)


async def test_yes_to_a_meeting_confirms_it(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        appointment = await ask_about_a_meeting(
            session, participant, kind=MessageKind.CONFIRMATION_REQUEST, now=clock.now()
        )
    handled = await send(database, clock, "ja det gør jeg 👍")
    async with database.read() as session:
        meeting = await session.get_one(Appointment, appointment.id)
        alerts = await session.scalar(select(func.count()).select_from(Alert))
    assert meeting.confirmation is Confirmation.CONFIRMED
    assert meeting.confirmation_at == clock.now()
    assert alerts == 0
    assert (await reply_of(database, handled)).body == CATALOGS.render(
        "da", texts.MEETING_CONFIRMED
    )


async def test_declined_meeting_alerts_the_mentor_at_once(database, clock):
    async with database.session() as session:
        mentor = await add_staff(session)
        participant = await add_participant(session, now=clock.now(), mentor=mentor)
        appointment = await add_appointment(session, participant, now=clock.now())
        nudged = await add_question(
            session,
            participant,
            kind=MessageKind.CONFIRMATION_REQUEST,
            appointment=appointment,
            now=clock.now(),
        )
        clock.advance(timedelta(hours=24))
        nudge = await add_question(
            session,
            participant,
            kind=MessageKind.CONFIRMATION_NUDGE,
            appointment=appointment,
            now=clock.now(),
        )
    handled = await send(database, clock, "nej kan ikk")
    async with database.read() as session:
        meeting = await session.get_one(Appointment, appointment.id)
        alert = await session.scalar(select(Alert))
        first = await session.get_one(Message, nudged.id)
        second = await session.get_one(Message, nudge.id)
    assert meeting.confirmation is Confirmation.DECLINED
    assert alert is not None and alert.reason is AlertReason.DECLINED_MEETING
    assert alert.dedupe_key == f"declined:appointment:{appointment.id}:v1"
    assert alert.appointment_id == appointment.id and alert.participant_id == participant.id
    # The nudge and the question it nudged are both answered, so escalation stops for both.
    assert first.answered_by_id == handled.message_id == second.answered_by_id
    assert first.answered_at == clock.now() == second.answered_at
    assert (await reply_of(database, handled)).body == CATALOGS.render("da", texts.MEETING_DECLINED)


async def test_attendance_answers_record_attended_or_missed(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        appointment = await ask_about_a_meeting(
            session, participant, kind=MessageKind.ATTENDANCE_QUESTION, now=clock.now()
        )
    await send(database, clock, "nej")
    async with database.read() as session:
        meeting = await session.get_one(Appointment, appointment.id)
        alert = await session.scalar(select(Alert))
    assert meeting.attendance is Attendance.MISSED
    assert alert is not None and alert.reason is AlertReason.MISSED_MEETING


@pytest.mark.parametrize(("text", "score", "alerted"), [("4", 4, False), ("en", 1, True)])
async def test_a_score_answers_the_checkin(database, clock, text, score, alerted):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        checkin = await add_checkin(session, participant, now=clock.now())
        await add_question(
            session, participant, kind=MessageKind.CHECKIN, checkin=checkin, now=clock.now()
        )
    handled = await send(database, clock, text)
    async with database.read() as session:
        answered = await session.get_one(Checkin, checkin.id)
        alert = await session.scalar(select(Alert))
    assert (answered.score, answered.status) == (score, CheckinStatus.ANSWERED)
    assert answered.answered_at == clock.now()
    assert (alert is not None and alert.reason is AlertReason.LOW_SCORE) is alerted
    expected = texts.CHECKIN_LOW_SCORE if alerted else texts.CHECKIN_THANKS
    assert (await reply_of(database, handled)).body == CATALOGS.render("da", expected)


async def test_an_answer_that_does_not_fit_is_free_text_and_leaves_the_question_open(
    database, clock
):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        checkin = await add_checkin(session, participant, now=clock.now())
        question = await add_question(
            session, participant, kind=MessageKind.CHECKIN, checkin=checkin, now=clock.now()
        )
    handled = await send(database, clock, "ja")
    async with database.read() as session:
        assert (await session.get_one(Message, question.id)).answered_by_id is None
    assert (await reply_of(database, handled)).body == CATALOGS.render("da", texts.FREE_TEXT_ACK)


async def test_a_button_answers_its_own_question_not_the_newest(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now(), telegram_chat_id="777")
        old = await add_appointment(session, participant, now=clock.now())
        new = await add_appointment(session, participant, now=clock.now())
        old_question = await add_question(
            session,
            participant,
            kind=MessageKind.CONFIRMATION_REQUEST,
            appointment=old,
            channel=ChannelKind.TELEGRAM,
            address="777",
            now=clock.now(),
        )
        await add_question(
            session,
            participant,
            kind=MessageKind.CONFIRMATION_REQUEST,
            appointment=new,
            channel=ChannelKind.TELEGRAM,
            address="777",
            now=clock.now(),
        )
    data = button_data(old_question.id, "yes")
    await send(
        database,
        clock,
        data,
        address="777",
        channel=ChannelKind.TELEGRAM,
        intent=parse_button(data),
    )
    async with database.read() as session:
        assert (await session.get_one(Appointment, old.id)).confirmation is Confirmation.CONFIRMED
        assert (await session.get_one(Appointment, new.id)).confirmation is Confirmation.PENDING


async def test_someone_elses_question_cannot_be_answered_by_button(database, clock):
    async with database.session() as session:
        other = await add_participant(session, now=clock.now(), phone="+4511223344")
        appointment = await add_appointment(session, other, now=clock.now())
        question = await add_question(
            session,
            other,
            kind=MessageKind.CONFIRMATION_REQUEST,
            appointment=appointment,
            now=clock.now(),
        )
        await add_participant(session, now=clock.now(), name="Ali Prøvesen", telegram_chat_id="9")
    data = button_data(question.id, "no")
    handled = await send(
        database, clock, data, address="9", channel=ChannelKind.TELEGRAM, intent=parse_button(data)
    )
    async with database.read() as session:
        meeting = await session.get_one(Appointment, appointment.id)
    assert meeting.confirmation is Confirmation.PENDING
    assert (await reply_of(database, handled)).body == CATALOGS.render("da", texts.NO_OPEN_QUESTION)


async def test_a_reply_to_no_open_question_is_logged_and_acknowledged(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        # Planned but not sent yet: not a question the citizen has seen.
        await add_question(
            session,
            participant,
            kind=MessageKind.CONSENT_REQUEST,
            status=MessageStatus.PLANNED,
            now=clock.now(),
        )
    handled = await send(database, clock, "JA")
    async with database.read() as session:
        logged = await session.get_one(Message, handled.message_id)
    assert (logged.direction, logged.intent, logged.in_reply_to_id) == (Direction.IN, "yes", None)
    assert (await reply_of(database, handled)).body == CATALOGS.render("da", texts.NO_OPEN_QUESTION)


async def test_free_text_is_logged_exactly_and_acknowledged(database, clock):
    text = "hvem er det?? <script>alert(1)</script> '; DROP TABLE messages; --"
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    handled = await send(database, clock, text)
    async with database.read() as session:
        logged = await session.get_one(Message, handled.message_id)
        alerts = await session.scalar(select(func.count()).select_from(Alert))
    assert logged.body == text and logged.intent == "free_text"
    assert logged.received_at == clock.now() and logged.status is MessageStatus.RECEIVED
    assert alerts == 0
    assert (await reply_of(database, handled)).body == CATALOGS.render("da", texts.FREE_TEXT_ACK)


async def test_worrying_free_text_raises_an_alert_naming_only_the_topic(database, clock):
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    handled = await send(database, clock, "jeg er blevet smidt ud og sover i bilen")
    async with database.read() as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None and alert.reason is AlertReason.WORRYING_REPLY
    assert alert.detail == "homelessness"
    assert alert.dedupe_key == f"worrying:message:{handled.message_id}"


async def test_help_names_the_contact_person(database, clock):
    async with database.session() as session:
        mentor = await add_staff(session)
        await add_participant(session, now=clock.now(), mentor=mentor)
    handled = await send(database, clock, "HJÆLP")
    reply = await reply_of(database, handled)
    assert reply.body == CATALOGS.render("da", texts.HELP, mentor_name="Mette Mentorsen")
    assert "Mette Mentorsen" in reply.body


async def test_language_change_is_stored_and_confirmed_in_the_new_language(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
    handled = await send(database, clock, "sprog en")
    async with database.read() as session:
        assert (await session.get_one(Participant, participant.id)).language == "en"
    reply = await reply_of(database, handled)
    assert reply.body == "OK, from now on we will write to you in English."
    assert reply.language == "en"


async def test_stop_suppresses_pending_messages_and_confirms_once(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        pending = await plan(
            session,
            Planned(
                kind=MessageKind.CHECKIN,
                body="Hvordan går det?",
                due_at=clock.now() + timedelta(days=1),
                dedupe_key="checkin:test",
                participant_id=participant.id,
            ),
        )
    handled = await send(database, clock, "Stop")
    async with database.read() as session:
        stopped = await session.get_one(Participant, participant.id)
        suppressed = await session.get_one(Message, pending)
    assert stopped.opted_out_at == clock.now()
    assert suppressed.status is MessageStatus.SUPPRESSED and suppressed.error == "opted out"
    reply = await reply_of(database, handled)
    assert reply.kind == MessageKind.STOP_CONFIRMATION
    assert reply.status is MessageStatus.PLANNED
    # After STOP, other messages get no reply until START; they are still logged.
    later = await send(database, clock, "hjælp")
    assert later.reply_id is None and later.message_id is not None
    back = await send(database, clock, "START")
    async with database.read() as session:
        assert (await session.get_one(Participant, participant.id)).opted_out_at is None
    assert (await reply_of(database, back)).kind == MessageKind.START_CONFIRMATION


async def test_unknown_sender_is_kept_for_an_admin_and_answered_once_a_day(database, clock):
    first = await send(database, clock, "hej hvem er det", address="+4599887766")
    second = await send(database, clock, "hallo?", address="+4599887766")
    clock.advance(timedelta(days=1))
    next_day = await send(database, clock, "hallo??", address="+4599887766")
    async with database.read() as session:
        logged = await session.get_one(Message, first.message_id)
        replies = list(
            await session.scalars(
                select(Message).where(Message.kind == MessageKind.UNKNOWN_SENDER_REPLY)
            )
        )
    assert logged.participant_id is None and logged.address == "+4599887766"
    assert second.reply_id is None and second.message_id is not None
    assert [r.id for r in replies] == [first.reply_id, next_day.reply_id]
    assert replies[0].body == CATALOGS.render("da", texts.UNKNOWN_SENDER)
    assert replies[0].participant_id is None and replies[0].address == "+4599887766"


async def test_the_same_event_is_handled_once(database, clock):
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    first = await send(database, clock, "hej", external_id="SMdup")
    again = await send(database, clock, "hej", external_id="SMdup")
    assert not first.duplicate and again.duplicate and again.message_id is None
    async with database.read() as session:
        inbound = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == Direction.IN)
        )
    assert inbound == 1


async def test_a_mentor_acknowledges_an_alert_about_their_mentee(database, clock):
    async with database.session() as session:
        mentor = await add_staff(session, phone=MENTOR_PHONE)
        participant = await add_participant(session, now=clock.now(), mentor=mentor)
        alert_id = await raise_alert(
            session,
            participant_id=participant.id,
            reason=AlertReason.LOW_SCORE,
            dedupe_key="low_score:test",
            now=clock.now(),
        )
    handled = await send(database, clock, f"OK {alert_id}", address=MENTOR_PHONE)
    async with database.read() as session:
        alert = await session.get_one(Alert, alert_id)
        logged = await session.get_one(Message, handled.message_id)
    assert alert.acknowledged_by_id == mentor.id and alert.acknowledged_at == clock.now()
    assert logged.staff_id == mentor.id and logged.participant_id is None
    reply = await reply_of(database, handled)
    assert reply.staff_id == mentor.id and reply.address == MENTOR_PHONE
    assert reply.body == CATALOGS.render("da", texts.ALERT_ACKNOWLEDGED, name="Jonas Testesen")


async def test_a_mentor_cannot_acknowledge_someone_elses_alert(database, clock):
    async with database.session() as session:
        await add_staff(session, phone=MENTOR_PHONE)
        other = await add_staff(session, email="other@example.org", name="Ole Andersen")
        participant = await add_participant(session, now=clock.now(), mentor=other)
        alert_id = await raise_alert(
            session,
            participant_id=participant.id,
            reason=AlertReason.LOW_SCORE,
            dedupe_key="low_score:test",
            now=clock.now(),
        )
    button = parse_button(f"a:{alert_id}:ack")
    handled = await send(database, clock, "a:1:ack", address=MENTOR_PHONE, intent=button)
    async with database.read() as session:
        assert (await session.get_one(Alert, alert_id)).acknowledged_at is None
    reply = await reply_of(database, handled)
    assert reply.body == CATALOGS.render("da", texts.ALERT_NOT_FOUND, alert_id=alert_id)


async def test_blocking_the_bot_opts_the_telegram_chat_out(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now(), telegram_chat_id="4242")
    async with database.session() as session:
        await telegram_membership_changed(
            session, external_id="900", chat_id="4242", blocked=True, now=clock.now()
        )
    async with database.read() as session:
        addresses = {
            a.channel: a.status
            for a in await session.scalars(
                select(Address).where(Address.participant_id == participant.id)
            )
        }
    assert addresses == {
        ChannelKind.TELEGRAM: AddressStatus.OPTED_OUT,
        ChannelKind.SMS: AddressStatus.ACTIVE,
    }


async def test_a_staff_member_writing_anything_else_is_only_logged(database, clock):
    async with database.session() as session:
        await add_staff(session, phone=MENTOR_PHONE)
    handled = await send(database, clock, "hej", address=MENTOR_PHONE)
    assert handled.message_id is not None and handled.reply_id is None


async def test_a_deep_link_for_someone_who_consented_by_sms_welcomes_them_on_telegram(
    database, clock
):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        code = await issue_telegram_code(session, participant.id, now=clock.now())
    handled = await send(
        database,
        clock,
        f"/start {code}",
        address="31337",
        channel=ChannelKind.TELEGRAM,
        intent=Intent(IntentKind.START),
        start_code=code,
    )
    reply = await reply_of(database, handled)
    assert (reply.kind, reply.channel, reply.address) == (
        MessageKind.CONSENT_REPLY,
        ChannelKind.TELEGRAM,
        "31337",
    )
    assert reply.body == CATALOGS.render("da", texts.CONSENT_THANKS)


async def test_worrying_words_from_an_opted_out_citizen_still_reach_the_mentor(database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
        participant.opted_out_at = clock.now()
    handled = await send(database, clock, "jeg vil ikke leve mere")
    async with database.read() as session:
        alert = await session.scalar(select(Alert))
    assert handled.reply_id is None
    assert alert is not None and alert.reason is AlertReason.WORRYING_REPLY


async def test_an_unknown_telegram_user_is_answered_in_their_own_language(database, clock):
    handled = await send(
        database,
        clock,
        "hello?",
        address="8080",
        channel=ChannelKind.TELEGRAM,
        language_hint="en-GB",
    )
    reply = await reply_of(database, handled)
    assert reply.body == CATALOGS.render("en", texts.UNKNOWN_SENDER)
    assert reply.language == "en"
