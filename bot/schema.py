"""Migrations: apply them, and check that a database matches this code before serving it.

Alembic's ``command.upgrade`` calls ``asyncio.run``, which cannot run inside our event loop, so
we open the async connection ourselves and hand Alembic its sync face via ``config.attributes``.
All migrations run in one transaction (SQLite and PostgreSQL both have transactional DDL, and
``bot.db`` makes SQLite honour it), so a failing migration writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from bot.db import Database
from bot.errors import SchemaError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(script_location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def head_revision(config: Config | None = None) -> str | None:
    return ScriptDirectory.from_config(config or alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _require_known(config: Config, current: str | None) -> None:
    """A revision this code does not know was written by newer code: refuse to touch it."""
    if current is None:
        return
    try:
        ScriptDirectory.from_config(config).get_revision(current)
    except CommandError:
        raise SchemaError(
            f"the database is at revision {current}, newer than this code "
            f"(head {head_revision(config)}); upgrade Brobygger before running it"
        ) from None


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(database: Database, revision: str = "head", config: Config | None = None) -> None:
    """Bring the database to ``revision`` in one transaction."""
    config = config or alembic_config()

    def run(connection: Connection) -> None:
        _require_known(config, _current(connection))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with database.engine.begin() as connection:
        await connection.run_sync(run)


async def ensure_current(database: Database) -> None:
    """Refuse to serve a database that is behind or ahead of this code."""
    config = alembic_config()
    current = await current_revision(database)
    head = head_revision(config)
    if current == head:
        return
    _require_known(config, current)
    raise SchemaError(
        f"the database is at revision {current or 'none'}, this code needs {head}: "
        "run `brobygger migrate`"
    )
