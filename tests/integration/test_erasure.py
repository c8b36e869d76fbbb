"""Erasure and retention: a participant's personal data is gone, the statistics are not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.db import Database
from bot.models import (
    Appointment,
    AuditEvent,
    Checkin,
    Message,
    MessageStatus,
    Outcome,
    Participant,
    ParticipantStatus,
)
from bot.services.erasure import ErasureError, erase_participant
from schedules.retention import apply_retention
from tests.privacy_scenario import all_text_values, found, seed_two


async def _statistics(database: Database) -> dict[str, Any]:
    """The counts the statistics page is built from (per site and outcome, rates)."""
    async with database.read() as session:
        participants = (
            await session.execute(
                select(
                    Participant.prison_id,
                    Participant.jobcentre_id,
                    Participant.outcome,
                    func.count(),
                )
                .group_by(Participant.prison_id, Participant.jobcentre_id, Participant.outcome)
                .order_by(Participant.outcome)
            )
        ).all()
        messages = (
            await session.execute(
                select(Message.direction, Message.kind, Message.intent, func.count())
                .group_by(Message.direction, Message.kind, Message.intent)
                .order_by(Message.direction, Message.kind)
            )
        ).all()
        meetings = (
            await session.execute(
                select(Appointment.confirmation, Appointment.attendance, func.count()).group_by(
                    Appointment.confirmation, Appointment.attendance
                )
            )
        ).all()
        scores = (await session.execute(select(func.count(), func.sum(Checkin.score)))).one()
    return {
        "participants": [tuple(r) for r in participants],
        "messages": [tuple(r) for r in messages],
        "meetings": [tuple(r) for r in meetings],
        "scores": tuple(scores),
    }


async def test_erasure_leaves_no_personal_data_and_unchanged_statistics(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, second, mentor = await seed_two(session, clock.now())
        for person, outcome in ((first, Outcome.JOB), (second, Outcome.EDUCATION)):
            participant = await session.get(Participant, person.id)
            assert participant is not None
            participant.outcome = outcome
    before = await _statistics(database)
    async with database.read() as session:
        assert found(await all_text_values(session, raw=False), first.secrets) == first.secrets

    clock.advance(timedelta(days=1))
    async with database.session() as session:
        counts = await erase_participant(
            session, first.id, clock.now(), mentor.id, purpose="CLI participant erase"
        )

    async with database.read() as session:
        readable = await all_text_values(session, raw=False)
        participant = await session.get(Participant, first.id)
        audit_row = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "erased"))
        ).one()
        planned = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.participant_id == first.id, Message.status == "planned")
        )
    assert found(readable, first.secrets) == []
    assert found(readable, second.secrets) == second.secrets  # the other one is untouched
    assert await _statistics(database) == before
    assert participant is not None
    assert participant.name == f"Slettet deltager #{first.id}"
    assert (participant.erased_at, participant.status) == (clock.now(), ParticipantStatus.CLOSED)
    assert participant.outcome is Outcome.JOB
    assert planned == 0  # a blanked message must never go out
    assert (audit_row.participant_id, audit_row.staff_id, audit_row.at) == (
        first.id,
        mentor.id,
        clock.now(),
    )
    assert audit_row.detail == {"erased": counts}
    assert counts["addresses"] == 2 and counts["messages"] == 4
    assert counts["unlinked_messages"] == 3  # a staff notice, a digest, an unknown sender
    assert found([str(audit_row.detail)], first.secrets) == []

    with pytest.raises(ErasureError, match="erased already"):
        async with database.session() as session:
            await erase_participant(session, first.id, clock.now(), None)
    with pytest.raises(ErasureError, match="no participant"):
        async with database.session() as session:
            await erase_participant(session, 99_999, clock.now(), None)


async def test_retention_erases_long_closed_cases_and_blanks_old_message_texts(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, second, _mentor = await seed_two(session, clock.now())
        for person, closed_days_ago in ((first, 729), (second, 700)):
            participant = await session.get(Participant, person.id)
            assert participant is not None
            participant.status = ParticipantStatus.CLOSED
            participant.closed_at = clock.now() - timedelta(days=closed_days_ago)
            sent = await session.get(Message, person.message_ids[2])
            assert sent is not None
            sent.status = MessageStatus.SENT
    # Per person the sent reminder, the inbound reply and the unknown-sender message get old;
    # the planned messages (to them and to their mentor) are still waiting.
    clock.advance(timedelta(days=366))

    result = await apply_retention(
        database, clock, retention_days=730 + 365, message_body_retention_days=365
    )
    assert (result.erased_participants, result.blanked_messages) == (0, 6)
    async with database.read() as session:
        bodies = {
            m.id: m.body
            for m in await session.scalars(
                select(Message).where(Message.participant_id == second.id)
            )
        }
    reminder, inbound = second.message_ids[2], second.message_ids[3]
    assert bodies[reminder] == bodies[inbound] == ""
    assert bodies[second.message_ids[1]] == second.texts[1]  # still planned: kept

    clock.advance(timedelta(days=2))  # the first case is now closed 729 + 368 days
    result = await apply_retention(
        database, clock, retention_days=730 + 365, message_body_retention_days=365
    )
    assert result.erased_participants == 1
    async with database.read() as session:
        erased = await session.get(Participant, first.id)
        kept = await session.get(Participant, second.id)
        readable = await all_text_values(session, raw=False)
        purposes = list(
            await session.scalars(select(AuditEvent.purpose).where(AuditEvent.action == "erased"))
        )
    assert erased is not None and erased.erased_at == clock.now()
    assert kept is not None and kept.erased_at is None and kept.name == second.name
    assert found(readable, first.secrets) == []
    assert purposes == ["retention"]
    again = await apply_retention(
        database, clock, retention_days=730 + 365, message_body_retention_days=365
    )
    assert (again.erased_participants, again.blanked_messages) == (0, 0)
