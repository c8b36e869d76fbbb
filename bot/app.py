"""The composition root: builds everything from the settings, and nothing at import time."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import FastAPI

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database, check_reachable, describe
from bot.i18n import Catalogs
from bot.schema import ensure_current
from bot.web import health
from schedules.alerting import notify_alerts
from schedules.care_rules import CareRules
from schedules.escalation import escalate_unanswered
from schedules.planner import plan_checkins
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
    catalogs: Catalogs
    # Meeting and check-in timing (bot.services.appointments / care_plans take it as ``rules``).
    rules: CareRules
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

    rules = care_rules(settings)  # fails before the app exists, naming the setting
    catalogs = Catalogs.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await open_database(settings)
        runtime = Runtime(
            settings=settings,
            database=database,
            clock=clock or SystemClock(),
            ticks=Ticks(settings.tz),
            secret_key=_secret_key(settings),
            catalogs=catalogs,
            rules=rules,
        )
        app.state.runtime = runtime
        schedule_care_ticks(runtime)
        runtime.ticks.start()
        if show_banner:
            print(banner(runtime), flush=True)
        try:
            yield
        finally:
            runtime.ticks.shutdown()
            await database.dispose()
            logger.info("stopped cleanly")

    app = FastAPI(title="Brobygger", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(health.router)
    return app
