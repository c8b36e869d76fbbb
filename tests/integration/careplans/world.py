"""The whole service on a fake clock: the real ticks, database and conversation service, with
recording channels at the provider boundary.

A :class:`Service` is one running process: its own engine, channels and tick set, built with the
composition root's own functions (``bot.app.care_rules``, ``bot.app.dispatch_options``). A
restart disposes it and starts another on the same database; the ``sent`` log belongs to the
world (the providers), so it survives the restart like a real phone's inbox would.

The scheduler here ticks every whole hour (the service does every minute or so; an hour keeps
weeks of fake time fast): ``run_until`` runs every tick in the order the runtime's scheduler
would (planner, escalation, alerts, dispatcher). A reply from a person, or a staff change, is
handled the moment it happens and the dispatcher runs at once, as the runtime's
``bot.outbox.on_planned_commit`` hook makes it do after a commit that planned a message.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import care_rules, dispatch_options
from bot.channels.base import Outgoing, Receipt
from bot.clock import FakeClock
from bot.config import load_settings
from bot.db import Database
from bot.i18n import Catalogs
from bot.models import ChannelKind, ReplyChoices
from handlers.conversation import Conversation, Handled, Inbound, receive
from handlers.replies import Intent
from schedules.alerting import notify_alerts
from schedules.dispatcher import dispatch_due
from schedules.escalation import escalate_unanswered
from schedules.planner import plan_checkins
from tests.fakes.channel import RecordingChannel

STEP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Sent:
    """One message a provider accepted: when, on which channel, to whom, what."""

    at: datetime
    channel: ChannelKind
    address: str
    text: str
    choices: ReplyChoices | None
    message_id: int


class ClockedChannel(RecordingChannel):
    """A recording channel that also notes the (fake) time of each accepted send."""

    def __init__(self, kind: ChannelKind, clock: FakeClock, log: list[Sent]) -> None:
        super().__init__(kind, delivered=kind is ChannelKind.TELEGRAM)
        self.clock = clock
        self.log = log

    async def send(self, message: Outgoing) -> Receipt:
        receipt = await super().send(message)
        self.log.append(
            Sent(
                self.clock.now(),
                self.kind,
                message.address,
                message.text,
                message.choices,
                message.message_id,
            )
        )
        return receipt


@dataclass
class Service:
    """One process of Brobygger: engine, rules, texts, channels and ticks."""

    database: Database
    clock: FakeClock
    catalogs: Catalogs
    url: str
    log: list[Sent]

    @classmethod
    def start(cls, url: str, clock: FakeClock, log: list[Sent]) -> Service:
        return cls(Database(url), clock, Catalogs.load(), url, log)

    def __post_init__(self) -> None:
        settings = load_settings({"BROBYGGER_DATABASE_URL": self.url})
        self.rules = care_rules(settings)
        self.options = dispatch_options(settings)
        self.conversation = Conversation(self.catalogs, settings.tz)
        self.channels = {
            kind: ClockedChannel(kind, self.clock, self.log)
            for kind in (ChannelKind.SMS, ChannelKind.TELEGRAM)
        }
        self.rng = random.Random(5)

    async def tick(self) -> None:
        await plan_checkins(self.database, self.clock, self.rules, self.catalogs)
        await escalate_unanswered(self.database, self.clock, self.rules, self.catalogs)
        await notify_alerts(self.database, self.clock, self.rules, self.catalogs)
        await self.dispatch()

    async def dispatch(self) -> None:
        await dispatch_due(self.database, self.channels, self.clock, self.options, rng=self.rng)

    async def stop(self) -> None:
        await self.database.dispose()


@dataclass
class World:
    """The clock, the providers' log and the running service (replaced on restart)."""

    url: str
    clock: FakeClock
    log: list[Sent] = field(default_factory=list)
    seen: int = 0
    restarts: int = 0
    _events: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.service = Service.start(self.url, self.clock, self.log)

    @property
    def database(self) -> Database:
        return self.service.database

    async def restart(self) -> None:
        """Stop the process and start a new one on the same database: only the rows remain."""
        await self.service.stop()
        self.service = Service.start(self.url, self.clock, self.log)
        self.restarts += 1

    async def run_until(self, instant: datetime) -> None:
        """Tick at every whole hour up to ``instant``, then stand at ``instant``."""
        while True:
            now = self.clock.now()
            next_tick = now.replace(minute=0, second=0, microsecond=0) + STEP
            if next_tick > instant:
                break
            self.clock.set(next_tick)
            await self.service.tick()
        self.clock.set(instant)

    async def reply(
        self, channel: ChannelKind, address: str, text: str, intent: Intent | None = None
    ) -> Handled:
        """A person writes (or presses a button) now; the commit wakes the dispatcher."""
        handled = await receive(
            self.database,
            Inbound(
                provider="twilio" if channel is ChannelKind.SMS else "telegram",
                external_id=f"event-{next(self._events)}",
                channel=channel,
                address=address,
                text=text,
                received_at=self.clock.now(),
                intent=intent,
            ),
            conversation=self.service.conversation,
            clock=self.clock,
        )
        await self.service.dispatch()
        return handled

    def new_messages(self) -> list[Sent]:
        """What the providers accepted since the last call."""
        fresh = self.log[self.seen :]
        self.seen = len(self.log)
        return fresh

    async def close(self) -> None:
        await self.service.stop()
