"""The demo programme: invented people so a newcomer can see the whole loop on first start.

``make run`` without provider credentials seeds, once (when there is no staff account yet), an
admin, a consultant, two mentors, two prisons and two jobcentres, and five invented participants
on the phone simulator around their release: a meeting tomorrow waiting for its confirmation, a
check-in history, a missed meeting with its alert, one who has not consented yet, one closed
with a job. The staff passwords are random and printed once, in the start-up banner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.i18n import Catalogs
from bot.models import (
    Appointment,
    AppointmentKind,
    Attendance,
    ChannelKind,
    Confirmation,
    ConsentMethod,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    Participant,
    Role,
    Site,
    SiteKind,
    Staff,
    staff_sites,
)
from bot.services.appointments import MeetingContext, MeetingRules, create_appointment
from bot.services.appointments import record_attendance as record_meeting_attendance
from bot.services.consent import record_consents
from bot.services.participants import ParticipantIn, close_participant, create_participant
from bot.services.sites import SiteIn, create_site
from bot.services.staff import add_staff

DEMO_DOMAIN = "demo.brobygger.invalid"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role
    name: str


async def seed_demo(
    session: AsyncSession, *, catalogs: Catalogs, rules: MeetingRules, now: datetime
) -> list[DemoLogin]:
    """Seed the demo programme unless any staff account exists; returns the logins created."""
    if await session.scalar(select(func.count(Staff.id))):
        return []
    logins: list[DemoLogin] = []

    async def staff(role: Role, name: str) -> Staff:
        password = secrets.token_urlsafe(9)
        email = f"{name.split()[0].lower()}@{DEMO_DOMAIN}"
        member = await add_staff(session, email=email, name=name, role=role, password=password)
        logins.append(DemoLogin(email, password, role, name))
        return member

    async def site(kind: SiteKind, name: str) -> Site:
        municipality = name.split()[-1] if kind is SiteKind.JOBCENTRE else None
        data = SiteIn(kind=kind, name=name, municipality=municipality)
        return await create_site(session, data, by=None, now=now)

    nord = await site(SiteKind.PRISON, "Fængslet Nordby")
    syd = await site(SiteKind.PRISON, "Fængslet Sydby")
    aaby = await site(SiteKind.JOBCENTRE, "Jobcenter Åby")
    vest = await site(SiteKind.JOBCENTRE, "Jobcenter Vestkøbing")
    await staff(Role.ADMIN, "Anna Administrator")
    consultant = await staff(Role.CONSULTANT, "Karin Konsulent")
    await session.execute(staff_sites.insert().values(staff_id=consultant.id, site_id=nord.id))
    await session.execute(staff_sites.insert().values(staff_id=consultant.id, site_id=syd.id))
    mads = await staff(Role.MENTOR, "Mads Mentor")
    mia = await staff(Role.MENTOR, "Mia Mentor")

    today = now.astimezone(rules.tz).date()
    context = MeetingContext(catalogs, rules, now)

    async def person(
        name: str, mentor: Staff, prison: Site, jobcentre: Site, released: int, consent: bool = True
    ) -> Participant:
        data = ParticipantIn(
            name=name,
            channel=ChannelKind.SIMULATOR,
            mentor_id=mentor.id,
            prison_id=prison.id,
            jobcentre_id=jobcentre.id,
            release_date=today + timedelta(days=released),
        )
        participant = await create_participant(
            session,
            data,
            created_by=consultant.id,
            today=today,
            catalogs=catalogs,
            now=now - timedelta(days=max(0, -released) + 14),
            purpose="demo",
        )
        if consent:
            await record_consents(
                session,
                participant_id=participant.id,
                text="Samtykke givet på papir ved indskrivning (demo).",
                channel=ChannelKind.SIMULATOR,
                method=ConsentMethod.STAFF_RECORDED,
                now=now - timedelta(days=10),
                recorded_by_id=consultant.id,
            )
        return participant

    jonas = await person("Jonas Testesen", mads, nord, aaby, released=3)
    sara = await person("Sara Eksempel", mads, nord, vest, released=-10)
    ali = await person("Ali Prøvesen", mia, syd, aaby, released=-5)
    await person("Mette Fiktiv", mia, syd, vest, released=20, consent=False)
    kasper = await person("Kasper Demo", mads, nord, aaby, released=-40)
    await session.flush()

    # Jonas: a jobcentre meeting tomorrow; the confirmation request goes out at once.
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), rules.tz)
    await create_appointment(
        session,
        context,
        participant_id=jonas.id,
        kind=AppointmentKind.JOBCENTRE,
        starts_at=tomorrow + timedelta(hours=10),
        place="Jobcenter Åby, Torvet 1",
        created_by_id=consultant.id,
    )
    # Sara: a check-in answered with a 4, and a meeting she attended.
    await _answered_checkin(session, catalogs, sara, now - timedelta(days=2), score=4)
    session.add(_past_meeting(sara, now - timedelta(days=3), Attendance.ATTENDED))
    # Ali: a meeting yesterday that he missed; recording it alerts his mentor.
    missed = _past_meeting(ali, now - timedelta(days=1), Attendance.UNKNOWN)
    session.add(missed)
    await session.flush()
    await record_meeting_attendance(
        session,
        appointment_id=missed.id,
        attendance=Attendance.MISSED,
        now=now,
        recorded_by_id=consultant.id,
    )
    # Kasper: found a job.
    await close_participant(
        session,
        kasper,
        outcome=Outcome.JOB,
        note="Fastansat som lagermedarbejder",
        now=now - timedelta(days=2),
        closed_by=consultant.id,
        purpose="demo",
    )
    return logins


def _past_meeting(participant: Participant, at: datetime, attendance: Attendance) -> Appointment:
    return Appointment(
        participant_id=participant.id,
        kind=AppointmentKind.MENTOR,
        starts_at=at,
        place="Caféen på Havnegade 4",
        confirmation=Confirmation.CONFIRMED,
        confirmation_at=at - timedelta(days=1),
        attendance=attendance,
        attendance_recorded_at=at if attendance is not Attendance.UNKNOWN else None,
    )


async def _answered_checkin(
    session: AsyncSession, catalogs: Catalogs, participant: Participant, at: datetime, *, score: int
) -> None:
    question = Message(
        direction=Direction.OUT,
        participant_id=participant.id,
        channel=ChannelKind.SIMULATOR,
        kind=MessageKind.CHECKIN,
        body=catalogs.render("da", texts.CHECKIN_QUESTION, name=participant.name.split()[0]),
        status=MessageStatus.DELIVERED,
        due_at=at,
        sent_at=at,
        delivered_at=at,
        expects_reply=True,
        dedupe_key=f"demo:checkin:{participant.id}",
    )
    session.add(question)
    await session.flush()
    answer = Message(
        direction=Direction.IN,
        participant_id=participant.id,
        channel=ChannelKind.SIMULATOR,
        kind=MessageKind.INBOUND,
        body=str(score),
        status=MessageStatus.RECEIVED,
        received_at=at + timedelta(hours=3),
        intent="score",
        intent_value=str(score),
        in_reply_to_id=question.id,
    )
    session.add(answer)
    await session.flush()
    question.answered_by_id = answer.id
    question.answered_at = answer.received_at
