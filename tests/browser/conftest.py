"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by playwright).

The app runs under uvicorn on 127.0.0.1 in the test's event loop, on a migrated SQLite file.
Without ``/usr/bin/chromium`` the tests skip with the reason, unless
``BROBYGGER_TEST_REQUIRE_BROWSER=1`` (CI), where they fail instead. Screenshots go to
``test-artifacts/`` (ignored by git).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from bot.app import create_app
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import Database
from bot.schema import upgrade
from tests.conftest import TEST_DATA_KEY, TEST_LOOKUP_KEY
from tests.e2e.processes import free_port
from tests.integration.dashboard.desk import Desk

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("BROBYGGER_TEST_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class Site:
    """The running dashboard: its base URL, and factories on its database."""

    url: str
    desk: Desk


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}")
    await upgrade(database)
    port = free_port()
    settings = load_settings(
        {
            "BROBYGGER_DATABASE_URL": database.url,
            "BROBYGGER_PORT": str(port),
            "BROBYGGER_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "BROBYGGER_SECRET_KEY": "browser-test-secret",
            "BROBYGGER_DEMO": "false",
            "BROBYGGER_DATA_KEY": TEST_DATA_KEY,
            "BROBYGGER_LOOKUP_KEY": TEST_LOOKUP_KEY,
        }
    )
    clock = SystemClock()
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield Site(f"http://127.0.0.1:{port}", Desk(app, database, clock))
    finally:
        server.should_exit = True
        await task
        await database.dispose()


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, or skip (fail in CI) saying it is missing."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(reason + " and BROBYGGER_TEST_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=LAUNCH_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
