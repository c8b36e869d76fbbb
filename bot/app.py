"""The composition root: builds everything from the settings, and nothing at import time."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database, check_reachable, describe
from bot.i18n import Catalogs
from bot.schema import ensure_current
from bot.web import health
from handlers import sms, telegram
from handlers.conversation import Conversation
from schedules.scheduler import Ticks

if TYPE_CHECKING:
    from handlers.telegram import TelegramApplication

logger = logging.getLogger(__name__)

DISPATCH_TICK = "dispatch"


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
    # Receives Telegram updates (polling or webhook); None when Telegram is not configured.
    telegram_application: TelegramApplication | None = None

    def wake_dispatcher(self) -> None:
        """Send what was just planned now rather than at the next tick."""
        self.ticks.wake(DISPATCH_TICK)


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


def banner(runtime: Runtime) -> str:
    settings = runtime.settings
    live = ", ".join(runtime.live_channels) or "none"
    simulated = ", ".join(runtime.simulated_channels) or "none"
    return "\n".join(
        [
            "Brobygger is running",
            f"  database   {describe(settings.database_url)}",
            f"  channels   live: {live}; simulated: {simulated}",
            f"  dashboard  http://{settings.host}:{settings.port}/",
            f"  health     http://{settings.host}:{settings.port}/healthz",
            f"  ticks      {', '.join(runtime.ticks.names) or 'none yet'}",
            "  Press Ctrl-C to stop.",
        ]
    )


async def _start_telegram(runtime: Runtime) -> None:
    """Build the Telegram Application and start receiving (webhook or polling)."""
    settings = runtime.settings
    if not settings.telegram_enabled:
        return
    intake = telegram.TelegramIntake(
        database=runtime.database,
        conversation=Conversation(runtime.catalogs, settings.tz),
        clock=runtime.clock,
        wake_dispatcher=runtime.wake_dispatcher,
    )
    application = telegram.build_application(settings, intake)
    runtime.telegram_application = application
    await telegram.start_telegram(application, settings)


def create_app(
    settings: Settings, *, clock: Clock | None = None, show_banner: bool = False
) -> FastAPI:
    """The ASGI app; its lifespan opens the database and starts the scheduler."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await open_database(settings)
        runtime = Runtime(
            settings=settings,
            database=database,
            clock=clock or SystemClock(),
            ticks=Ticks(settings.tz),
            secret_key=_secret_key(settings),
            catalogs=Catalogs.load(),
        )
        app.state.runtime = runtime
        runtime.ticks.start()
        try:
            await _start_telegram(runtime)
            if show_banner:
                print(banner(runtime), flush=True)
            yield
        finally:
            if runtime.telegram_application is not None:
                await telegram.stop_telegram(runtime.telegram_application)
            runtime.ticks.shutdown()
            await database.dispose()
            logger.info("stopped cleanly")

    app = FastAPI(title="Brobygger", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(health.router)
    app.include_router(sms.router)
    app.include_router(telegram.router)
    return app
