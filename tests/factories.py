"""Factories for the people in tests: invented names, Danish test numbers, sent questions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Address,
    Appointment,
    AppointmentKind,
    ChannelKind,
    Checkin,
    CheckinStatus,
    ConsentMethod,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ReplyChoices,
    Role,
    Staff,
)
from bot.services.consent import record_consents

CITIZEN_PHONE = "+4520304050"
MENTOR_PHONE = "+4560708090"


async def add_staff(
    session: AsyncSession,
    *,
    email: str = "mette.mentor@example.org",
    name: str = "Mette Mentorsen",
    role: Role = Role.MENTOR,
    phone: str | None = None,
    telegram_chat_id: str | None = None,
    language: str = "da",
) -> Staff:
    staff = Staff(
        email=email,
        name=name,
        role=role,
        phone=phone,
        telegram_chat_id=telegram_chat_id,
        language=language,
    )
    session.add(staff)
    await session.flush()
    return staff


async def add_participant(
    session: AsyncSession,
    *,
    now: datetime,
    name: str = "Jonas Testesen",
    phone: str | None = CITIZEN_PHONE,
    telegram_chat_id: str | None = None,
    language: str = "da",
    mentor: Staff | None = None,
    consented: bool = True,
) -> Participant:
    participant = Participant(
        name=name, language=language, mentor_id=mentor.id if mentor else None, enrolled_at=now
    )
    session.add(participant)
    await session.flush()
    if phone is not None:
        session.add(Address(participant_id=participant.id, channel=ChannelKind.SMS, address=phone))
    if telegram_chat_id is not None:
        session.add(
            Address(
                participant_id=participant.id,
                channel=ChannelKind.TELEGRAM,
                address=telegram_chat_id,
            )
        )
    await session.flush()
    if consented:
        await record_consents(
            session,
            participant_id=participant.id,
            text="Consent given on paper",
            channel=None,
            method=ConsentMethod.STAFF_RECORDED,
            now=now,
        )
    return participant


async def add_appointment(
    session: AsyncSession, participant: Participant, *, now: datetime
) -> Appointment:
    appointment = Appointment(
        participant_id=participant.id,
        kind=AppointmentKind.JOBCENTRE,
        starts_at=now + timedelta(days=3),
        place="Vestergade 1, Holstebro",
    )
    session.add(appointment)
    await session.flush()
    return appointment


async def add_checkin(session: AsyncSession, participant: Participant, *, now: datetime) -> Checkin:
    checkin = Checkin(participant_id=participant.id, scheduled_for=now, status=CheckinStatus.ASKED)
    session.add(checkin)
    await session.flush()
    return checkin


async def add_question(
    session: AsyncSession,
    participant: Participant,
    *,
    kind: MessageKind,
    now: datetime,
    body: str = "Må vi sende dig beskeder?",
    channel: ChannelKind = ChannelKind.SMS,
    address: str = CITIZEN_PHONE,
    appointment: Appointment | None = None,
    checkin: Checkin | None = None,
    status: MessageStatus = MessageStatus.SENT,
) -> Message:
    """A question already sent to the citizen (the dispatcher's part is done)."""
    choices = ReplyChoices.SCORE if checkin is not None else ReplyChoices.YES_NO
    question = Message(
        direction=Direction.OUT,
        participant_id=participant.id,
        channel=channel,
        address=address,
        kind=kind,
        body=body,
        choices=choices,
        expects_reply=True,
        status=status,
        due_at=now,
        sent_at=now if status is MessageStatus.SENT else None,
        appointment_id=appointment.id if appointment else None,
        checkin_id=checkin.id if checkin else None,
        created_at=now,
    )
    session.add(question)
    await session.flush()
    return question


async def ask_about_a_meeting(
    session: AsyncSession, participant: Participant, *, kind: MessageKind, now: datetime
) -> Appointment:
    """A new meeting and a sent question about it (confirmation, nudge or attendance)."""
    appointment = await add_appointment(session, participant, now=now)
    await add_question(session, participant, kind=kind, appointment=appointment, now=now)
    return appointment
