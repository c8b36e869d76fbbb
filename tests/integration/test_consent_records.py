"""Consent per purpose: withdrawing check-ins stops check-ins, not meeting reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.consent_rules import blocked_reason
from bot.db import Database
from bot.models import AuditEvent, Consent, ConsentMethod, ConsentPurpose, MessageKind, Participant
from bot.services.consent_records import active_purposes, record_paper_consent, withdraw
from tests.privacy_scenario import seed_two


async def test_withdrawn_checkin_consent_stops_checkins_but_not_meeting_reminders(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, second, mentor = await seed_two(session, clock.now())
    async with database.session() as session:
        ended = await withdraw(
            session, first.id, ConsentPurpose.CHECKINS, clock.now(), by_staff_id=mentor.id
        )
        assert ended == 1
        assert await withdraw(session, first.id, ConsentPurpose.CHECKINS, clock.now(), None) == 0

    async with database.read() as session:
        consents = await active_purposes(session, first.id)
        others = await active_purposes(session, second.id)
        audit_rows = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.participant_id == first.id, AuditEvent.action == "changed"
                )
            )
        )
    assert consents == {ConsentPurpose.MEETING_REMINDERS, ConsentPurpose.MENTOR_CONTACT}
    assert others == set(ConsentPurpose)
    for kind in (MessageKind.CHECKIN, MessageKind.CHECKIN_NUDGE):
        assert blocked_reason(kind, opted_out=False, consents=consents) == "no consent for checkins"
    for kind in (MessageKind.REMINDER, MessageKind.CONFIRMATION_REQUEST, MessageKind.STAFF_MESSAGE):
        assert blocked_reason(kind, opted_out=False, consents=consents) is None
    assert [(row.staff_id, row.detail) for row in audit_rows] == [
        (mentor.id, {"purpose": "checkins"})
    ]


async def test_paper_consent_is_recorded_per_purpose_with_its_text(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, _second, mentor = await seed_two(session, clock.now())
        participant = Participant(name="Cecilie Papirsen")
        session.add(participant)
        await session.flush()
        new_id = participant.id
    later = clock.now() + timedelta(days=1)
    async with database.session() as session:
        added = await record_paper_consent(
            session,
            participant_id=new_id,
            purposes=[ConsentPurpose.MEETING_REMINDERS, ConsentPurpose.MEETING_REMINDERS],
            text="Jeg giver samtykke til påmindelser om mine møder.",
            given_at=later,
            by_staff_id=mentor.id,
        )
        assert len(added) == 1
        # Already consented: nothing is duplicated.
        again = await record_paper_consent(
            session,
            participant_id=new_id,
            purposes=[ConsentPurpose.MEETING_REMINDERS],
            text="Jeg giver samtykke til påmindelser om mine møder.",
            given_at=later,
            by_staff_id=mentor.id,
        )
        assert again == []
    async with database.read() as session:
        consent = (
            await session.scalars(select(Consent).where(Consent.participant_id == new_id))
        ).one()
        assert await active_purposes(session, new_id) == {ConsentPurpose.MEETING_REMINDERS}
    assert consent.method is ConsentMethod.STAFF_RECORDED
    assert consent.text == "Jeg giver samtykke til påmindelser om mine møder."
    assert (consent.given_at, consent.recorded_by_id) == (later, mentor.id)
    assert first.id != new_id
