"""``GET /healthz`` through the real app and its lifespan."""

from __future__ import annotations

import httpx
import pytest

from bot.app import create_app
from bot.db import Database
from bot.errors import SchemaError
from tests.conftest import settings_for


async def test_healthz_reports_the_database_ok(database: Database) -> None:
    app = create_app(settings_for(database.url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_the_app_will_not_start_on_an_unmigrated_database(empty_database: Database) -> None:
    app = create_app(settings_for(empty_database.url))
    with pytest.raises(SchemaError):
        async with app.router.lifespan_context(app):
            pass
