"""The composition root runs the care ticks and refuses a wrong care setting before starting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import create_app
from bot.config import load_settings
from bot.db import Database
from bot.errors import ConfigError
from tests.conftest import settings_for


async def test_the_running_app_schedules_the_care_ticks_with_the_configured_rules(
    database: Database,
) -> None:
    settings = settings_for(database.url, reminder_offsets="48h,3h")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        assert {"planner", "escalation", "alerts", "dispatch"} <= set(runtime.ticks.names)
        assert runtime.rules.reminder_offsets == (timedelta(hours=48), timedelta(hours=3))


def test_a_wrong_care_setting_stops_the_app_before_it_starts() -> None:
    settings = load_settings({"BROBYGGER_MENTOR_ALERT_AFTER": "half a day"})
    with pytest.raises(ConfigError, match=r"^BROBYGGER_MENTOR_ALERT_AFTER: "):
        create_app(settings)
