"""The composition root: builds everything from the settings, and nothing at import time."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import FastAPI
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
from bot.web import health
from handlers import sms, telegram, twilio_status
from handlers.conversation import Conversation
from schedules import retention
from schedules.dispatcher import DispatchOptions, dispatch_due
from schedules.quiet_hours import QuietHours
from schedules.scheduler import Ticks

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
    simulated_channels: list[str] = field(default_factory=list)
    live_channels: list[str] = field(default_factory=list)
    # One channel per kind (live, or the simulator standing in); the dispatcher sends through it.
    channels: dict[ChannelKind, Channel] = field(default_factory=dict)
    # The shared PTB bot (an ExtBot with AIORateLimiter) when TELEGRAM_TOKEN is set; inbound
    # builds its Application on it: Application.builder().bot(runtime.telegram_bot).
    telegram_bot: ExtBot[int] | None = None
    # Receives Telegram updates (polling or webhook) on that bot; None without Telegram.
    telegram_application: TelegramApplication | None = None


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


def start_dispatcher(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """Run the dispatcher tick every DISPATCH_INTERVAL_SECONDS, and at once after a commit that
    planned a message (``bot.outbox.on_planned_commit``). Returns ``stop``: it removes the hook
    and lets a tick in progress finish its sends, so a clean shutdown leaves nothing ``sending``.
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

    async def stop() -> None:
        remove_hook()
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
            "  Press Ctrl-C to stop.",
        ]
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


def create_app(
    settings: Settings, *, clock: Clock | None = None, show_banner: bool = False
) -> FastAPI:
    """The ASGI app; its lifespan opens the database and starts the scheduler."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await open_database(settings)
        catalogs = Catalogs.load()
        try:
            install_keyring(load_keyring(settings))
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
            simulated_channels=opened.simulated,
            live_channels=opened.live,
            channels=opened.channels,
            telegram_bot=opened.telegram_bot,
            catalogs=catalogs,
        )
        app.state.runtime = runtime
        _add_retention_tick(runtime)
        stop_dispatcher = start_dispatcher(runtime)
        runtime.ticks.start()
        runtime.ticks.wake("dispatch")  # what fell due while the service was down goes now
        try:
            await _start_telegram(runtime)
            if show_banner:
                print(banner(runtime), flush=True)
            yield
        finally:
            if runtime.telegram_application is not None:
                await telegram.stop_receiving(runtime.telegram_application)
            runtime.ticks.shutdown()
            await stop_dispatcher()
            if runtime.telegram_application is not None:
                # Shuts the shared bot down too: only after the dispatcher's last send.
                await runtime.telegram_application.shutdown()
            await opened.close()
            await database.dispose()
            logger.info("stopped cleanly")

    app = FastAPI(title="Brobygger", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(health.router)
    app.include_router(twilio_status.router)
    app.include_router(sms.router)
    app.include_router(telegram.router)
    return app
