"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a fake clock.

PostgreSQL tests use ``BROBYGGER_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each test gets a database of its own. When the server cannot be reached the tests skip with the
reason, unless ``BROBYGGER_TEST_REQUIRE_POSTGRES=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FakeClock
from bot.config import Settings, load_settings
from bot.crypto import Keyring, generate_key, install_keyring, uninstall_keyring
from bot.db import Database
from bot.schema import upgrade
from tests.support_logs import LogCollector

POSTGRES_URL = os.environ.get(
    "BROBYGGER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("BROBYGGER_TEST_REQUIRE_POSTGRES") == "1"

_postgres_problem: list[str | None] = []


async def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None; asked once per run."""
    if not _postgres_problem:
        engine = create_async_engine(POSTGRES_URL)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            _postgres_problem.append(None)
        except Exception as error:
            _postgres_problem.append(f"{type(error).__name__}: {error}".splitlines()[0])
        finally:
            await engine.dispose()
    return _postgres_problem[0]


async def require_postgres() -> None:
    problem = await _postgres_unavailable()
    if problem is None:
        return
    message = f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} unreachable: {problem}"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (BROBYGGER_TEST_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


class PostgresDatabase:
    """A throw-away database on the test server (creating one takes ~0.1 s)."""

    def __init__(self, prefix: str = "brobygger_t") -> None:
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.url = make_url(POSTGRES_URL).set(database=self.name).render_as_string(False)

    async def create(self, template: str | None = None) -> None:
        copy = f' TEMPLATE "{template}"' if template else ""
        await self._execute(f'CREATE DATABASE "{self.name}"{copy}')

    async def drop(self) -> None:
        await self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def _execute(self, sql: str) -> None:
        engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(sql))
        finally:
            await engine.dispose()


class MigratedTemplates:
    """One database per engine migrated once per run; each test gets a copy of it.

    Running the migrations for every test would cost most of the suite's time; copying a
    migrated SQLite file or creating a PostgreSQL database ``TEMPLATE`` it is cheap. Tests of the
    migrations themselves use ``empty_database`` and migrate for real.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sqlite_file: Path | None = None
        self.postgres: PostgresDatabase | None = None

    async def sqlite_copy(self, target: Path) -> str:
        if self.sqlite_file is None:
            template = self.folder / "template.db"
            database = Database(f"sqlite+aiosqlite:///{template}")
            await upgrade(database)
            await database.dispose()  # checkpoints the WAL into the file
            self.sqlite_file = template
        shutil.copyfile(self.sqlite_file, target)
        return f"sqlite+aiosqlite:///{target}"

    async def postgres_copy(self) -> PostgresDatabase:
        if self.postgres is None:
            template = PostgresDatabase(prefix="brobygger_template")
            await template.create()
            database = Database(template.url)
            await upgrade(database)
            await database.dispose()  # a template must have no open connections
            self.postgres = template
        copy = PostgresDatabase()
        await copy.create(template=self.postgres.name)
        return copy


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    if templates.postgres is not None:
        asyncio.run(templates.postgres.drop())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each engine, as a URL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    await require_postgres()
    postgres = PostgresDatabase()
    await postgres.create()
    try:
        yield postgres.url
    finally:
        await postgres.drop()


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> AsyncIterator[Database]:
    """A database at the migrations' head, on SQLite and on PostgreSQL (a fresh copy per test)."""
    if request.param == "sqlite":
        database = Database(await migrated_templates.sqlite_copy(tmp_path / "test.db"))
        try:
            yield database
        finally:
            await database.dispose()
        return
    await require_postgres()
    postgres = await migrated_templates.postgres_copy()
    database = Database(postgres.url)
    try:
        yield database
    finally:
        await database.dispose()
        await postgres.drop()


# One set of test keys per run: the encrypted columns need a keyring, as at start-up.
TEST_DATA_KEY = generate_key()
TEST_LOOKUP_KEY = generate_key()


def settings_for(database_url: str, **environ: str) -> Settings:
    """Settings for an app on ``database_url`` with the test keys (PostgreSQL requires keys)."""
    return load_settings(
        {
            "BROBYGGER_DATABASE_URL": database_url,
            "BROBYGGER_DATA_KEY": TEST_DATA_KEY,
            "BROBYGGER_LOOKUP_KEY": TEST_LOOKUP_KEY,
            **{f"BROBYGGER_{key.upper()}": value for key, value in environ.items()},
        }
    )


@pytest.fixture(autouse=True)
def keyring() -> Iterator[Keyring]:
    """The keyring the encrypted columns use, installed as the composition root would."""
    installed = Keyring([TEST_DATA_KEY], TEST_LOOKUP_KEY)
    install_keyring(installed)
    yield installed
    uninstall_keyring()


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning in winter time, Copenhagen (08:00 local).
    return FakeClock(datetime(2026, 1, 12, 7, 0, tzinfo=UTC))


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No BROBYGGER_ variables and no .env from the developer's machine leak into a test."""
    for key in list(os.environ):
        if key.startswith("BROBYGGER_") and not key.startswith("BROBYGGER_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def all_logs() -> Iterator[LogCollector]:
    """Every log record at INFO and above during the test (see tests/support_logs.py)."""
    collector = LogCollector()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(collector)
    root.setLevel(logging.INFO)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)
