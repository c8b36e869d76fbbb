"""questions carry the time they were answered: the statistics' median reads one index

Revision ID: 0010
Revises: 0009

``messages.answered_at`` is set with ``answered_by_id`` (the answer's ``received_at``), and
``ix_messages_questions_sent`` (expects_reply, sent_at, participant_id, answered_at) replaces
the index of 0009 that ended with ``answered_by_id``. The statistics' median time to reply then
reads the question's send and answer times from that index alone, where it used to look up
every answer's row as well (two thirds of the statistics page at 100,000 participants; see
bench/README.md, "Dashboard").

Existing answered questions are filled in from their answers. Run it with the service stopped,
as every migration: at a million messages it rewrites the answered third of them (seconds).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COLUMNS = ["expects_reply", "sent_at", "participant_id", "answered_by_id"]
NEW_COLUMNS = ["expects_reply", "sent_at", "participant_id", "answered_at"]


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of the table): SQLite adds a nullable column in place.
    op.add_column(
        "messages",
        sa.Column("answered_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE messages SET answered_at = (SELECT answer.received_at FROM messages AS answer"
        " WHERE answer.id = messages.answered_by_id) WHERE answered_by_id IS NOT NULL"
    )
    op.drop_index("ix_messages_questions_sent", table_name="messages")
    op.create_index("ix_messages_questions_sent", "messages", NEW_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_messages_questions_sent", table_name="messages")
    op.create_index("ix_messages_questions_sent", "messages", OLD_COLUMNS)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("answered_at")
