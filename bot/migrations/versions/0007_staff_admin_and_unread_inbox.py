"""staff administration: last sign-in, session generation; a partial index for the unread badge

Revision ID: 0007
Revises: 0006

``staff.last_sign_in_at`` is shown on the admin's staff list. ``staff.session_generation`` is
copied into each session cookie at sign-in; a new password or a disabled account raises it, which
ends every session of that account at once. ``ix_messages_unread_inbox`` holds only unread
free-text replies, so the inbox badge on every page is one cheap COUNT.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNREAD_INBOX = sa.text(
    "direction = 'in' AND read_at IS NULL"
    " AND (intent IS NULL OR (intent NOT IN ('yes', 'no', 'score', 'ack')))"
)


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_sign_in_at", bot.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "session_generation", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_unread_inbox",
            ["participant_id"],
            unique=False,
            postgresql_where=_UNREAD_INBOX,
            sqlite_where=_UNREAD_INBOX,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_messages_unread_inbox",
            postgresql_where=_UNREAD_INBOX,
            sqlite_where=_UNREAD_INBOX,
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
        batch_op.drop_column("last_sign_in_at")
