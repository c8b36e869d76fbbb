"""admin overrides of message texts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:03:30.837509

``text_overrides``: an admin's wording of a message per language (``bot.models.text_overrides``),
used instead of the catalog's text by every process that renders messages.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff.id"],
            name=op.f("fk_text_overrides_updated_by_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_overrides")),
        sa.UniqueConstraint("msgid", "language", name=op.f("uq_text_overrides_msgid_language")),
    )


def downgrade() -> None:
    op.drop_table("text_overrides")
