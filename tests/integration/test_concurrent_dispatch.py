"""Two dispatchers (two engines, as two worker processes would have) share one database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.db import Database
from bot.models import ChannelKind, Message, MessageKind, MessageStatus
from bot.outbox import Planned, plan_many
from schedules.dispatcher import DispatchOptions, dispatch_due
from tests.fakes.channel import RecordingChannel
from tests.integration.delivery_people import citizen

MESSAGES = 5_000


async def test_two_dispatchers_send_each_of_5000_due_messages_exactly_once(database, clock):
    person = await citizen(database)
    async with database.session() as session:
        await plan_many(
            session,
            [
                Planned(
                    kind=MessageKind.REPLY,
                    body=f"Besked {n}",
                    due_at=clock.now() - timedelta(seconds=n % 60),
                    dedupe_key=f"bulk:{n}",
                    participant_id=person,
                )
                for n in range(MESSAGES)
            ],
        )
    channel = RecordingChannel(ChannelKind.SIMULATOR, delivered=True, latency=0.001)
    channels = {ChannelKind.SIMULATOR: channel}
    options = DispatchOptions(tz=ZoneInfo("Europe/Copenhagen"), concurrency=32)
    second = Database(database.url)
    try:
        reports = await asyncio.gather(
            dispatch_due(database, channels, clock, options),
            dispatch_due(second, channels, clock, options),
        )
    finally:
        await second.dispose()

    sent_ids = [message.message_id for message in channel.sent]
    assert len(sent_ids) == MESSAGES and len(set(sent_ids)) == MESSAGES
    assert all(report[MessageStatus.DELIVERED] > 0 for report in reports)
    assert sum(report[MessageStatus.DELIVERED] for report in reports) == MESSAGES
    async with database.read() as session:
        statuses = dict(
            (
                await session.execute(select(Message.status, func.count()).group_by(Message.status))
            ).all()
        )
    assert statuses == {MessageStatus.DELIVERED: MESSAGES}
