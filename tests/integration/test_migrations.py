"""Migrations produce exactly the models' schema, keep rows, and write nothing when they fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.db import Database
from bot.errors import SchemaError
from bot.models import Base
from bot.schema import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_produce_exactly_the_models_schema(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_migrating_twice_is_harmless(database: Database) -> None:
    await upgrade(database)
    assert await current_revision(database) == head_revision()


async def test_upgrading_an_existing_database_keeps_its_rows(empty_database: Database) -> None:
    """Every revision in turn: rows written at one revision survive all later upgrades."""
    from alembic.script import ScriptDirectory

    revisions = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    revisions.reverse()
    for number, revision in enumerate(revisions):
        await upgrade(empty_database, revision)
        async with empty_database.session() as session:
            await session.execute(
                text(
                    "INSERT INTO sites (kind, name, created_at)"
                    " VALUES ('prison', :n, CURRENT_TIMESTAMP)"
                ),
                {"n": f"Site at {revision}"},
            )
        async with empty_database.read() as session:
            count = await session.scalar(text("SELECT count(*) FROM sites"))
        assert count == number + 1
    assert await current_revision(empty_database) == head_revision()


async def test_a_failing_migration_writes_nothing(empty_database: Database, tmp_path: Path) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts)
    head = head_revision()
    (scripts / "versions" / "9999_broken.py").write_text(
        f'''"""A migration that fails half-way."""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_written", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO no_such_table VALUES (1)")


def downgrade() -> None:
    pass
''',
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="no_such_table"):
        await upgrade(empty_database, config=alembic_config(scripts))

    async with empty_database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "half_written" not in tables
    assert "messages" not in tables  # even the good migrations before it were rolled back
    assert await current_revision(empty_database) is None


async def test_a_database_newer_than_the_code_is_refused(database: Database) -> None:
    async with database.session() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_future'"))
    with pytest.raises(SchemaError, match="newer than this code"):
        await ensure_current(database)
    with pytest.raises(SchemaError, match="newer than this code"):
        await upgrade(database)


async def test_an_unmigrated_database_is_not_served(empty_database: Database) -> None:
    with pytest.raises(SchemaError, match="run `brobygger migrate`"):
        await ensure_current(empty_database)


async def test_encryption_migration_refuses_clear_text_rows_it_cannot_encrypt(
    empty_database: Database,
) -> None:
    """0006 has no keys: rather than leave numbers in clear, it refuses and writes nothing."""
    await upgrade(empty_database, "0001")
    async with empty_database.session() as session:
        await session.execute(
            text(
                "INSERT INTO participants (name, language, status, enrolled_at, created_at,"
                " updated_at) VALUES ('Dorte Klartekst', 'da', 'active', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        await session.execute(
            text(
                "INSERT INTO addresses (participant_id, channel, address, status, priority,"
                " created_at) SELECT id, 'sms', '+4520999999', 'active', 0, CURRENT_TIMESTAMP"
                " FROM participants"
            )
        )
    with pytest.raises(Exception, match="cannot encrypt existing rows in addresses"):
        await upgrade(empty_database)
    assert await current_revision(empty_database) == "0001"


async def test_answered_questions_get_their_answer_time_on_upgrade(
    empty_database: Database,
) -> None:
    """0010 fills ``answered_at`` of questions answered before it, from their answers."""
    await upgrade(empty_database, "0009")
    columns = "direction, kind, body, expects_reply, urgent, status, attempts, escalation_step"
    async with empty_database.session() as session:
        for row in (
            "1, 'in', 'inbound', '4', false, false, 'received', 0, 0, '2026-03-02 10:15:00'",
            "2, 'out', 'checkin', 'Hvordan går det?', true, false, 'sent', 1, 3, NULL",
            "3, 'out', 'checkin', 'Hvordan går det?', true, false, 'sent', 1, 0, NULL",
        ):
            await session.execute(
                text(
                    f"INSERT INTO messages (id, {columns}, received_at, created_at)"
                    f" VALUES ({row}, CURRENT_TIMESTAMP)"
                )
            )
        await session.execute(text("UPDATE messages SET answered_by_id = 1 WHERE id = 2"))
    await upgrade(empty_database)
    async with empty_database.read() as session:
        answered = (
            await session.execute(text("SELECT id, answered_at FROM messages ORDER BY id"))
        ).all()
    # Only the answered question has a time: its answer's (the answer and the open one none).
    assert [(row[0], row[1] is None) for row in answered] == [(1, True), (2, False), (3, True)]
    assert str(answered[1][1]).startswith("2026-03-02 10:15:00")


async def test_participants_get_when_they_were_last_heard_from_on_upgrade(
    empty_database: Database,
) -> None:
    """0012 fills ``last_heard_at`` from the inbound messages already there (outbound aside)."""
    await upgrade(empty_database, "0011")
    columns = "direction, kind, body, expects_reply, urgent, status, attempts, escalation_step"
    async with empty_database.session() as session:
        for participant in (1, 2):
            await session.execute(
                text(
                    "INSERT INTO participants (id, name, language, status, enrolled_at,"
                    " created_at, updated_at) VALUES (:id, 'Deltager', 'da', 'active',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": participant},
            )
        for row in (
            "'in', 'inbound', 'hej', false, false, 'received', 0, 0, '2026-03-02 10:15:00'",
            "'in', 'inbound', 'ja', false, false, 'received', 0, 0, '2026-03-04 09:00:00'",
            "'out', 'checkin', '?', true, false, 'sent', 1, 0, '2026-03-09 09:00:00'",
        ):
            await session.execute(
                text(
                    f"INSERT INTO messages (participant_id, {columns}, received_at, created_at)"
                    f" VALUES (1, {row}, CURRENT_TIMESTAMP)"
                )
            )
    await upgrade(empty_database)
    async with empty_database.read() as session:
        heard = (
            await session.execute(text("SELECT id, last_heard_at FROM participants ORDER BY id"))
        ).all()
    assert str(heard[0][1]).startswith("2026-03-04 09:00:00")  # the latest inbound, not the out
    assert heard[1][1] is None  # never wrote
