"""Fixtures for the dashboard and API tests: a running desk on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.db import Database
from tests.integration.dashboard.desk import Desk, running_desk


@pytest.fixture
async def desk(database: Database, clock: FakeClock) -> AsyncIterator[Desk]:
    async with running_desk(database, clock) as running:
        yield running
