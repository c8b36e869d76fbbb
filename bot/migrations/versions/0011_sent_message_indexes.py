"""the indexes of sent messages leave out the ones not sent yet

Revision ID: 0011
Revises: 0010

``ix_messages_provider`` (channel, provider_id) becomes partial, ``WHERE provider_id IS NOT
NULL``, and ``ix_messages_checkins_sent`` and ``ix_messages_questions_sent`` (the statistics'
sent check-ins and questions) ``WHERE sent_at IS NOT NULL``. Every query of theirs compares
that column, so it still uses them; a message the planner writes, or a move cancels, before it
is sent no longer costs three index entries (and on PostgreSQL a cancelled row's new version
three more). See bench/README.md, "Planning".

Plain DROP and CREATE INDEX: on PostgreSQL it blocks writes to ``messages`` while it builds
(seconds at a million rows), so run it with the service stopped, as every migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_messages_provider": (["channel", "provider_id"], "provider_id IS NOT NULL"),
    "ix_messages_checkins_sent": (
        ["kind", "sent_at", "status", "participant_id", "answered_by_id"],
        "sent_at IS NOT NULL",
    ),
    "ix_messages_questions_sent": (
        ["expects_reply", "sent_at", "participant_id", "answered_at"],
        "sent_at IS NOT NULL",
    ),
}


def upgrade() -> None:
    for name, (columns, where) in INDEXES.items():
        op.drop_index(name, table_name="messages")
        predicate = sa.text(where)
        op.create_index(
            name, "messages", columns, postgresql_where=predicate, sqlite_where=predicate
        )


def downgrade() -> None:
    for name, (columns, _) in INDEXES.items():
        op.drop_index(name, table_name="messages")
        op.create_index(name, "messages", columns)
