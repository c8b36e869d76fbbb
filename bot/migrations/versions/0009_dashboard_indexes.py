"""dashboard indexes: the overview's last-heard lookup and the statistics' sent messages

Revision ID: 0009
Revises: 0008

Three indexes on ``messages`` for the staff dashboard at 100,000 participants (see
bench/README.md, "Dashboard"):

- ``ix_messages_inbound`` (participant_id, direction, received_at): "when did this participant
  last write to us?" in one index probe, for the overview's list of participants gone quiet;
- ``ix_messages_checkins_sent`` (kind, sent_at, status, participant_id, answered_by_id) and
  ``ix_messages_questions_sent`` (expects_reply, sent_at, participant_id, answered_by_id): the
  statistics count check-ins and questions sent in a period from the index alone.

Plain CREATE INDEX: on PostgreSQL it blocks writes to ``messages`` while it builds (seconds at
a million rows), so run it with the service stopped, as every migration.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INBOUND_COLUMNS = ["participant_id", "direction", "received_at"]
CHECKINS_COLUMNS = ["kind", "sent_at", "status", "participant_id", "answered_by_id"]
QUESTIONS_COLUMNS = ["expects_reply", "sent_at", "participant_id", "answered_by_id"]


def upgrade() -> None:
    op.create_index("ix_messages_inbound", "messages", INBOUND_COLUMNS)
    op.create_index("ix_messages_checkins_sent", "messages", CHECKINS_COLUMNS)
    op.create_index("ix_messages_questions_sent", "messages", QUESTIONS_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_messages_questions_sent", table_name="messages")
    op.drop_index("ix_messages_checkins_sent", table_name="messages")
    op.drop_index("ix_messages_inbound", table_name="messages")
