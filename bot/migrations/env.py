"""Alembic environment. Brobygger always hands it a live connection (see bot.schema)."""

from __future__ import annotations

from alembic import context

import bot.models
from bot.models import Base

assert bot.models  # every table registered before comparing or migrating

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `brobygger migrate`, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
    compare_server_default=True,
)
with context.begin_transaction():
    context.run_migrations()
