"""The composition root: builds everything from the settings, and nothing at import time."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send
from telegram.ext import ExtBot

from bot.channels.base import Channel
from bot.channels.registry import open_channels
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.crypto import install_keyring
from bot.db import Database, check_reachable, describe
from bot.i18n import Catalogs
from bot.keys import key_file_path, load_keyring, uses_key_file
from bot.models import ChannelKind
from bot.outbox import on_planned_commit
from bot.schema import ensure_current
from bot.services.demo import DemoLogin, seed_demo
from bot.services.text_overrides import load_overrides
from bot.web import health
from bot.web.dashboard import mount_dashboard
from bot.web.pages_phone import CitizenReply
from handlers import sms, telegram, twilio_status
from handlers.conversation import Conversation, Inbound, receive
from handlers.group_commit import GroupCommit
from schedules import retention
from schedules.alerting import notify_alerts
from schedules.care_rules import CareRules
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.escalation import escalate_unanswered
from schedules.planner import plan_checkins
from schedules.quiet_hours import QuietHours
from schedules.scheduler import Ticks
from schedules.wakeup import listen_for_backlog

if TYPE_CHECKING:
    from handlers.telegram import TelegramApplication

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the running service holds: one of each, built in the lifespan."""

    settings: Settings
    database: Database
    clock: Clock
    ticks: Ticks
    secret_key: str
    catalogs: Catalogs
    # Meeting and check-in timing (bot.services.appointments / care_plans take it as ``rules``).
    rules: CareRules
    simulated_channels: list[str] = field(default_factory=list)
    live_channels: list[str] = field(default_factory=list)
    # One channel per kind (live, or the simulator standing in); the dispatcher sends through it.
    channels: dict[ChannelKind, Channel] = field(default_factory=dict)
    # The shared PTB bot (an ExtBot with AIORateLimiter) when TELEGRAM_TOKEN is set; inbound
    # builds its Application on it: Application.builder().bot(runtime.telegram_bot).
    telegram_bot: ExtBot[int] | None = None
    # Receives Telegram updates (polling or webhook) on that bot; None without Telegram.
    telegram_application: TelegramApplication | None = None

    # The demo staff created on this start (first start without credentials), for the banner.
    demo_logins: list[DemoLogin] = field(default_factory=list)
    # Inbound SMS are handled in batches, one unit of work each (handlers.group_commit).
    group_commit: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        conversation = Conversation(self.catalogs, self.settings.tz)
        self.group_commit = GroupCommit(self.database, conversation, self.clock)


def dispatch_options(settings: Settings) -> DispatchOptions:
    return DispatchOptions(
        tz=settings.tz,
        quiet=QuietHours.parse(settings.quiet_hours),
        batch_size=settings.dispatch_batch_size,
        concurrency=settings.dispatch_concurrency,
        lease=timedelta(seconds=settings.lease_seconds),
        send_timeout=settings.send_timeout_seconds,
        max_attempts=settings.max_attempts,
    )


async def start_dispatcher(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """Run the dispatcher tick every DISPATCH_INTERVAL_SECONDS, at once after a commit that
    planned a message (``bot.outbox.on_planned_commit``), and at once when another worker
    announces more due than it takes (``schedules.wakeup``, PostgreSQL). Returns ``stop``: it
    removes the hook and the listener and lets a tick in progress finish its sends, so a clean
    shutdown leaves nothing ``sending``.
    """
    options = dispatch_options(runtime.settings)
    running: set[asyncio.Task[object]] = set()

    async def dispatch() -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await dispatch_due(runtime.database, runtime.channels, runtime.clock, options)
        finally:
            running.discard(task)

    interval = timedelta(seconds=runtime.settings.dispatch_interval_seconds)
    runtime.ticks.every(interval, "dispatch", dispatch)
    remove_hook = on_planned_commit(runtime.database, lambda: runtime.ticks.wake("dispatch"))
    stop_listening = await listen_for_backlog(
        runtime.database, lambda: runtime.ticks.wake("dispatch")
    )

    async def stop() -> None:
        remove_hook()
        if stop_listening is not None:
            await stop_listening()
        if running:
            await asyncio.wait(set(running), timeout=options.send_timeout + 5)

    return stop


async def open_database(settings: Settings) -> Database:
    """The configured database, reachable and at this code's schema, or a one-line error."""
    database = Database(settings.database_url)
    try:
        await check_reachable(database)
        await ensure_current(database)
    except BaseException:
        await database.dispose()
        raise
    return database


async def open_database_with_keys(settings: Settings) -> Database:
    """``open_database``, then the keyring the encrypted columns need.

    The keys come second so a demo key file is only written beside a database that works.
    """
    database = await open_database(settings)
    try:
        install_keyring(load_keyring(settings))
    except BaseException:
        await database.dispose()
        raise
    return database


# How often the care ticks run. They are idempotent; a missed run is caught up by the next one.
PLANNER_INTERVAL = timedelta(minutes=5)
ESCALATION_INTERVAL = timedelta(minutes=1)
ALERTING_INTERVAL = timedelta(minutes=1)


def care_rules(settings: Settings) -> CareRules:
    """The care plan's timing rules; a wrong duration raises ConfigError naming the variable."""
    return CareRules.from_settings(settings)


def schedule_care_ticks(runtime: Runtime) -> None:
    """The planner, the escalation ladder and the alert notices, on the runtime's scheduler."""
    database, clock, rules, catalogs = (
        runtime.database,
        runtime.clock,
        runtime.rules,
        runtime.catalogs,
    )

    async def planner() -> None:
        await plan_checkins(database, clock, rules, catalogs)

    async def escalation() -> None:
        await escalate_unanswered(database, clock, rules, catalogs)

    async def alerting() -> None:
        await notify_alerts(database, clock, rules, catalogs)

    runtime.ticks.every(PLANNER_INTERVAL, "planner", planner)
    runtime.ticks.every(ESCALATION_INTERVAL, "escalation", escalation)
    runtime.ticks.every(ALERTING_INTERVAL, "alerts", alerting)


def _secret_key(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    logger.warning(
        "BROBYGGER_SECRET_KEY is not set: using a random key, so sessions end at restart"
    )
    return secrets.token_urlsafe(32)


def keys_origin(settings: Settings) -> str:
    """Where the encryption keys come from, for the banner (never the keys themselves)."""
    if not uses_key_file(settings):
        return "from BROBYGGER_DATA_KEY / BROBYGGER_LOOKUP_KEY"
    return f"demo key file {key_file_path(settings)} (keep it with the database, out of git)"


def banner(runtime: Runtime) -> str:
    settings = runtime.settings
    live = ", ".join(runtime.live_channels) or "none"
    simulated = ", ".join(runtime.simulated_channels) or "none"
    return "\n".join(
        [
            "Brobygger is running",
            f"  database   {describe(settings.database_url)}",
            f"  channels   live: {live}; simulated: {simulated}",
            f"  keys       {keys_origin(settings)}",
            f"  dashboard  http://{settings.host}:{settings.port}/",
            f"  health     http://{settings.host}:{settings.port}/healthz",
            f"  ticks      {', '.join(runtime.ticks.names) or 'none yet'}",
            *_processes_line(settings),
            *_demo_lines(runtime.demo_logins),
            "  Press Ctrl-C to stop.",
        ]
    )


def _processes_line(settings: Settings) -> list[str]:
    if settings.web_processes == 1:
        return []
    count = settings.web_processes
    return [f"  processes  {count} on one port; this banner is from process {os.getpid()}"]


def _demo_lines(logins: list[DemoLogin]) -> list[str]:
    if not logins:
        return []
    lines = ["  demo       an invented programme was seeded; sign in as (passwords shown once):"]
    lines += [f"             {login.role:<10} {login.email}  {login.password}" for login in logins]
    return lines


async def seed_demo_once(runtime: Runtime) -> None:
    """Without provider credentials, seed the demo programme on first start (no staff yet)."""
    if not runtime.settings.demo or runtime.live_channels:
        return
    async with runtime.database.session() as session:
        runtime.demo_logins = await seed_demo(
            session, catalogs=runtime.catalogs, rules=runtime.rules, now=runtime.clock.now()
        )


async def _start_telegram(runtime: Runtime) -> None:
    """Build the Telegram Application and start receiving (webhook or polling)."""
    settings = runtime.settings
    if runtime.telegram_bot is None:
        return
    intake = telegram.TelegramIntake(
        database=runtime.database,
        conversation=Conversation(runtime.catalogs, settings.tz),
        clock=runtime.clock,
    )
    application = telegram.build_application(settings, intake, runtime.telegram_bot)
    runtime.telegram_application = application
    await telegram.start_telegram(application, settings)


def _add_text_refresh_tick(runtime: Runtime) -> None:
    """Reload the admins' message texts every TEXT_REFRESH_SECONDS, so a change saved by another
    process reaches this one (see ``bot.services.text_overrides`` for why a reloaded cache)."""

    async def tick() -> None:
        await load_overrides(runtime.database, runtime.catalogs)

    interval = timedelta(seconds=runtime.settings.text_refresh_seconds)
    runtime.ticks.every(interval, "texts", tick)


def _add_retention_tick(runtime: Runtime) -> None:
    settings = runtime.settings

    async def tick() -> retention.RetentionResult:
        return await retention.apply_retention(
            runtime.database,
            runtime.clock,
            retention_days=settings.retention_days,
            message_body_retention_days=settings.message_body_retention_days,
        )

    runtime.ticks.every(retention.INTERVAL, "retention", tick)


def citizen_reply(runtime: Runtime) -> CitizenReply:
    """The phone simulator's "reply as the citizen": an inbound message on a simulated channel,
    handled by the same conversation service as a real SMS or Telegram message."""
    conversation = Conversation(runtime.catalogs, runtime.settings.tz)

    async def reply(channel: ChannelKind, address: str, text: str) -> None:
        inbound = Inbound(
            provider="simulator",
            external_id=uuid.uuid4().hex,
            channel=channel,
            address=address,
            text=text,
            received_at=runtime.clock.now(),
        )
        await receive(runtime.database, inbound, conversation=conversation, clock=runtime.clock)

    return reply


class BrobyggerApp(FastAPI):
    """FastAPI, but the inbound SMS webhook is answered before FastAPI's middleware and routing
    (``handlers.sms``): it is the one path that takes bursts, and that stack cost as much CPU as
    handling the message. Everything else goes through FastAPI as usual."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == sms.SMS_PATH:
            await sms.inbound_sms(self.state.runtime, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings, *, clock: Clock | None = None, show_banner: bool = False
) -> FastAPI:
    """The ASGI app; its lifespan opens the database and starts the scheduler."""

    rules = care_rules(settings)  # fails before the app exists, naming the setting
    catalogs = Catalogs.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await open_database_with_keys(settings)
        try:
            await load_overrides(database, catalogs)  # before anything is rendered
            opened = await open_channels(settings, catalogs)
        except BaseException:
            await database.dispose()
            raise
        runtime = Runtime(
            settings=settings,
            database=database,
            clock=clock or SystemClock(),
            ticks=Ticks(settings.tz),
            secret_key=_secret_key(settings),
            rules=rules,
            simulated_channels=opened.simulated,
            live_channels=opened.live,
            channels=opened.channels,
            telegram_bot=opened.telegram_bot,
            catalogs=catalogs,
        )
        app.state.runtime = runtime
        app.state.citizen_reply = citizen_reply(runtime)
        _add_retention_tick(runtime)
        _add_text_refresh_tick(runtime)
        stop_dispatcher = await start_dispatcher(runtime)
        schedule_care_ticks(runtime)
        runtime.ticks.start()
        runtime.ticks.wake("dispatch")  # what fell due while the service was down goes now
        try:
            await _start_telegram(runtime)
            await seed_demo_once(runtime)
            if show_banner:
                print(banner(runtime), flush=True)
            yield
        finally:
            if runtime.telegram_application is not None:
                await telegram.stop_receiving(runtime.telegram_application)
            await runtime.group_commit.close()
            runtime.ticks.shutdown()
            await stop_dispatcher()
            if runtime.telegram_application is not None:
                # Shuts the shared bot down too: only after the dispatcher's last send.
                await runtime.telegram_application.shutdown()
            await opened.close()
            await database.dispose()
            logger.info("stopped cleanly")

    app = BrobyggerApp(
        title="Brobygger",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.include_router(health.router)
    app.include_router(twilio_status.router)
    app.include_router(telegram.router)
    mount_dashboard(app, settings.tz)
    return app
