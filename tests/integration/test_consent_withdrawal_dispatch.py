"""Through the real dispatcher: a withdrawn consent for check-ins stops check-ins, not reminders."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.db import Database
from bot.models import ChannelKind, ConsentPurpose, Message, MessageKind, MessageStatus
from bot.outbox import Planned
from bot.services.consent_records import withdraw
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.quiet_hours import QuietHours
from tests.fakes.channel import RecordingChannel
from tests.integration.delivery_people import citizen, plan_one

OPTIONS = DispatchOptions(
    tz=ZoneInfo("Europe/Copenhagen"), quiet=QuietHours.parse("off"), max_attempts=3
)


async def test_withdrawn_checkins_send_no_checkin_but_meeting_reminders_still_go(
    database: Database, clock: FakeClock
) -> None:
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000042")])
    async with database.session() as session:
        assert await withdraw(session, person, ConsentPurpose.CHECKINS, clock.now(), None) == 1

    def planned(kind: MessageKind, body: str) -> Planned:
        return Planned(
            kind=kind,
            body=body,
            due_at=clock.now() - timedelta(minutes=1),
            dedupe_key=f"{kind}:{person}",
            participant_id=person,
        )

    checkin = await plan_one(database, planned(MessageKind.CHECKIN, "Hvordan går det? Svar 1-5"))
    reminder = await plan_one(database, planned(MessageKind.REMINDER, "Husk dit møde i morgen"))
    sms = RecordingChannel(ChannelKind.SMS)

    await dispatch_due(database, {ChannelKind.SMS: sms}, clock, OPTIONS)

    assert [(m.message_id, m.address) for m in sms.sent] == [(reminder, "+4520000042")]
    async with database.read() as session:
        stopped = await session.get(Message, checkin)
        went = await session.get(Message, reminder)
    assert stopped is not None and stopped.status is MessageStatus.SUPPRESSED
    assert stopped.error == "no consent for checkins"
    assert went is not None and went.status is MessageStatus.SENT
