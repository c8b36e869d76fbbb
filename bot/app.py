"""The composition root: builds everything from the settings, and nothing at import time."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database, check_reachable, describe
from bot.schema import ensure_current
from bot.web import health
from bot.web.dashboard import mount_dashboard
from schedules.scheduler import Ticks

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the running service holds: one of each, built in the lifespan."""

    settings: Settings
    database: Database
    clock: Clock
    ticks: Ticks
    secret_key: str
    simulated_channels: list[str] = field(default_factory=list)
    live_channels: list[str] = field(default_factory=list)


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
        )
        app.state.runtime = runtime
        runtime.ticks.start()
        if show_banner:
            print(banner(runtime), flush=True)
        try:
            yield
        finally:
            runtime.ticks.shutdown()
            await database.dispose()
            logger.info("stopped cleanly")

    app = FastAPI(
        title="Brobygger",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.include_router(health.router)
    mount_dashboard(app, settings.tz)
    return app
