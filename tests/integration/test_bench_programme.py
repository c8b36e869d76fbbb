"""The benchmarks' synthetic programme is one the service really works on (both engines).

If the schema or a service changes under it, the benchmarks would measure a programme the code
no longer understands; this test notices first.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bench.programme import fill, phone_of
from bot.models import Checkin, CheckinStatus, Direction, Message, MessageKind, Participant
from handlers.answers import open_question
from tests.integration.test_conversation import send

SIZE = 60


async def test_every_active_sms_participant_has_one_open_check_in_that_a_4_answers(database, clock):
    await fill(database, SIZE, clock.now())
    active_sms = [i for i in range(SIZE) if i % 5 < 3 and i % 20 < 16]
    async with database.read() as session:
        for index in active_sms:
            question = await open_question(session, index + 1)
            assert question is not None and question.kind == MessageKind.CHECKIN, index

    handled = await send(database, clock, "4", address=phone_of(active_sms[-1]))

    async with database.read() as session:
        inbound = await session.get_one(Message, handled.message_id)
        checkin = await session.scalar(
            select(Checkin)
            .where(Checkin.participant_id == active_sms[-1] + 1)
            .order_by(Checkin.scheduled_for.desc())
            .limit(1)
        )
    assert inbound.participant_id == active_sms[-1] + 1 and inbound.intent == "score"
    assert checkin is not None and checkin.status is CheckinStatus.ANSWERED and checkin.score == 4


async def test_the_programme_has_about_ten_messages_per_participant_and_new_rows_fit(
    database, clock
):
    await fill(database, SIZE, clock.now())
    async with database.session() as session:
        participants = await session.scalar(select(func.count()).select_from(Participant))
        messages = await session.scalar(select(func.count()).select_from(Message))
        # Ids were given by the generator: the database's own sequence must carry on after them.
        session.add(Message(direction=Direction.OUT, kind="reply", body="x", status="planned"))
    assert participants == SIZE
    assert messages is not None and 9 * SIZE <= messages <= 12 * SIZE
