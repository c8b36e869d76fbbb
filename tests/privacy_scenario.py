"""A participant with everything personal a real one has: the privacy tests' common scenario.

``seed_participant`` writes, through the real services and the outbox, a participant with an
SMS number and a Telegram chat, consents, a meeting, a check-in, planned messages, an inbound
reply, an alert, an enrolment code and an audit row; ``Person`` lists the personal values a test
then looks for (in a dump, an export, after erasure, in the logs). Names are invented.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Address,
    Alert,
    AlertReason,
    Appointment,
    AppointmentKind,
    Base,
    ChannelKind,
    Checkin,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Direction,
    EnrolmentCode,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    Role,
    Site,
    SiteKind,
    Staff,
)
from bot.outbox import Planned, plan
from bot.services import audit


@dataclass(frozen=True)
class Person:
    """The personal values of one seeded participant (what must never leak)."""

    id: int
    name: str
    phone: str  # as the consultant typed it
    phone_e164: str  # as Twilio sends it
    chat_id: str
    texts: tuple[str, ...]
    note: str
    place: str
    message_ids: list[int] = field(default_factory=list)
    unlinked_ids: tuple[int, ...] = ()

    @property
    def secrets(self) -> list[str]:
        """Every value that identifies the person or is their words."""
        return [
            self.name,
            self.phone_e164,
            self.phone_e164.removeprefix("+45"),
            self.chat_id,
            self.note,
            self.place,
            *self.texts,
        ]


async def seed_sites(session: AsyncSession) -> tuple[Site, Site, Staff]:
    prison = Site(kind=SiteKind.PRISON, name="Fængsel Nord")
    jobcentre = Site(kind=SiteKind.JOBCENTRE, name="Jobcenter Vest", municipality="Vestby")
    mentor = Staff(
        email="mentor.m@example.org",
        name="Mona Mentorsen",
        role=Role.MENTOR,
        phone="+4540404040",
        telegram_chat_id="777000111",
    )
    session.add_all([prison, jobcentre, mentor])
    await session.flush()
    return prison, jobcentre, mentor


async def seed_participant(
    session: AsyncSession,
    *,
    prison: Site,
    jobcentre: Site,
    mentor: Staff,
    now: datetime,
    name: str,
    phone_digits: str,
    chat_id: str,
) -> Person:
    """One participant with rows in every table that holds data about a participant."""
    texts = (
        f"Hej {name.split()[0]}, svar JA for at få beskeder fra din mentor.",
        f"Hvordan går det, {name.split()[0]}? Svar 1-5",
        f"Jeg har det skidt i dag, ring til mig {phone_digits}",
        f"Husk dit møde hos {name.split()[0]}s sagsbehandler",
    )
    note = f"{name} flytter til sin søster"
    place = f"Lindevej {phone_digits[-2:]}, 2. sal"
    participant = Participant(
        name=name,
        prison_id=prison.id,
        jobcentre_id=jobcentre.id,
        mentor_id=mentor.id,
        outcome_note=note,
        release_date=(now + timedelta(days=10)).date(),
    )
    session.add(participant)
    await session.flush()
    phone = f"{phone_digits[:2]} {phone_digits[2:4]} {phone_digits[4:6]} {phone_digits[6:]}"
    session.add_all(
        [
            Address(participant_id=participant.id, channel=ChannelKind.SMS, address=phone),
            Address(
                participant_id=participant.id,
                channel=ChannelKind.TELEGRAM,
                address=chat_id,
                priority=1,
            ),
        ]
    )
    for purpose in ConsentPurpose:
        session.add(
            Consent(
                participant_id=participant.id,
                purpose=purpose,
                channel=ChannelKind.SMS,
                method=ConsentMethod.REPLY,
                text=texts[0],
                given_at=now,
            )
        )
    appointment = Appointment(
        participant_id=participant.id,
        kind=AppointmentKind.JOBCENTRE,
        starts_at=now + timedelta(days=3),
        place=place,
        staff_note=note,
    )
    checkin = Checkin(participant_id=participant.id, scheduled_for=now, score=2)
    code = EnrolmentCode(
        participant_id=participant.id,
        code_hash=f"hash-of-code-{participant.id}",
        expires_at=now + timedelta(days=7),
    )
    session.add_all([appointment, checkin, code])
    await session.flush()
    alert = Alert(
        participant_id=participant.id,
        reason=AlertReason.LOW_SCORE,
        detail=texts[2],
        dedupe_key=f"low_score:{participant.id}",
        created_at=now,
    )
    session.add(alert)
    await session.flush()
    notice = await plan(
        session,
        Planned(
            kind=MessageKind.ALERT,
            body=f"{name} har det skidt (score 2). Svar OK for at kvittere.",
            due_at=now,
            dedupe_key=f"alert:{alert.id}:mentor",
            staff_id=mentor.id,
            alert_id=alert.id,
        ),
    )
    assert notice is not None
    digest = await plan(
        session,
        Planned(
            kind=MessageKind.ALERT_DIGEST,
            body=f"2 nye alarmer:\n{name}: lav score",
            due_at=now,
            dedupe_key=f"alert_digest:{mentor.id}:{alert.id}",
            staff_id=mentor.id,
        ),
    )
    assert digest is not None
    unknown = Message(
        direction=Direction.IN,
        channel=ChannelKind.SMS,
        address=f"0045{phone_digits}",
        kind=MessageKind.INBOUND,
        body="Hvem er det her?",
        status=MessageStatus.RECEIVED,
        received_at=now - timedelta(days=1),
    )
    session.add(unknown)
    await session.flush()
    ids = []
    for number, (kind, body) in enumerate(
        [(MessageKind.CONSENT_REQUEST, texts[0]), (MessageKind.CHECKIN, texts[1])]
    ):
        new_id = await plan(
            session,
            Planned(
                kind=kind,
                body=body,
                due_at=now + timedelta(minutes=number),
                dedupe_key=f"p{participant.id}:{kind}",
                participant_id=participant.id,
                channel=ChannelKind.SMS,
                address=f"+45{phone_digits}",
                checkin_id=checkin.id if kind is MessageKind.CHECKIN else None,
            ),
        )
        assert new_id is not None
        ids.append(new_id)
    reminder = await plan(
        session,
        Planned(
            kind=MessageKind.REMINDER,
            body=texts[3],
            due_at=now - timedelta(days=1),
            dedupe_key=f"p{participant.id}:reminder",
            participant_id=participant.id,
            appointment_id=appointment.id,
        ),
    )
    assert reminder is not None
    ids.append(reminder)
    inbound = Message(
        direction=Direction.IN,
        participant_id=participant.id,
        channel=ChannelKind.SMS,
        address=f"+45{phone_digits}",
        kind=MessageKind.INBOUND,
        body=texts[2],
        status=MessageStatus.RECEIVED,
        received_at=now,
        intent="free_text",
    )
    session.add(inbound)
    await session.flush()
    ids.append(inbound.id)
    await audit.record(
        session,
        staff_id=mentor.id,
        action=audit.Action.VIEWED,
        participant_id=participant.id,
        purpose="GET /participants/{id}",
        at=now,
    )
    return Person(
        id=participant.id,
        name=name,
        phone=phone,
        phone_e164=f"+45{phone_digits}",
        chat_id=chat_id,
        texts=texts,
        note=note,
        place=place,
        message_ids=ids,
        unlinked_ids=(notice, digest, unknown.id),
    )


async def seed_two(session: AsyncSession, now: datetime) -> tuple[Person, Person, Staff]:
    """Two participants at the same sites: the one a test is about, and the other one."""
    prison, jobcentre, mentor = await seed_sites(session)
    first = await seed_participant(
        session,
        prison=prison,
        jobcentre=jobcentre,
        mentor=mentor,
        now=now,
        name="Aksel Testesen",
        phone_digits="20123456",
        chat_id="555000111",
    )
    second = await seed_participant(
        session,
        prison=prison,
        jobcentre=jobcentre,
        mentor=mentor,
        now=now,
        name="Birk Prøvesen",
        phone_digits="30654321",
        chat_id="555000222",
    )
    return first, second, mentor


async def all_text_values(session: AsyncSession, *, raw: bool) -> list[str]:
    """Every text value in every table: as stored (``raw``) or as the application reads it."""
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if _is_text(c)]
        if not columns:
            continue
        selected = [type_coerce(c, Text()) if raw else c for c in columns]
        for row in (await session.execute(select(*selected))).all():
            values.extend(str(value) for value in row if value is not None)
    return values


def _is_text(column: Any) -> bool:
    try:
        return column.type.python_type in (str, dict)
    except NotImplementedError:
        return False


def found(values: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """The secrets that occur in any of the values."""
    haystack = "\n".join(values)
    return [secret for secret in secrets if secret in haystack]
