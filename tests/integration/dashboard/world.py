"""A small programme with every role, for the table-driven access tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.models import Alert, Appointment, Participant, Role, SiteKind, Staff
from tests.integration.dashboard.desk import Desk


@dataclass
class World:
    admin: Staff
    consultant: Staff  # covers the prison of ``mentee``
    outsider: Staff  # a consultant of another prison
    mentor: Staff  # ``mentee``'s mentor
    other_mentor: Staff
    mentee: Participant
    alert: Alert
    meeting: Appointment  # tomorrow, scheduled

    def by_role(self, name: str) -> Staff:
        staff: Staff = getattr(self, name)
        return staff


async def build_world(desk: Desk) -> World:
    prison = await desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    other_prison = await desk.site(SiteKind.PRISON, "Statsfængslet Syd")
    jobcentre = await desk.site(SiteKind.JOBCENTRE, "Jobcenter Nordby")
    admin = await desk.staff(Role.ADMIN, "Anna Admin")
    consultant = await desk.staff(Role.CONSULTANT, "Karin Konsulent", [prison])
    outsider = await desk.staff(Role.CONSULTANT, "Ulla Udenfor", [other_prison])
    mentor = await desk.staff(Role.MENTOR, "Mads Mentor")
    other_mentor = await desk.staff(Role.MENTOR, "Morten Andenmentor")
    mentee = await desk.participant(
        "Ole Olsen",
        prison=prison,
        jobcentre=jobcentre,
        mentor=mentor,
        release_date=date(2026, 2, 1),
    )
    await desk.consent(mentee)
    alert = await desk.alert(mentee)
    meeting = await desk.meeting(mentee, desk.clock.now() + timedelta(days=1))
    return World(admin, consultant, outsider, mentor, other_mentor, mentee, alert, meeting)
