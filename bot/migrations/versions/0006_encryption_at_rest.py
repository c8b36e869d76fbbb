"""encryption at rest: ciphertext columns become TEXT; keyed lookup hashes for addresses and staff

Revision ID: 0006
Revises: 0001

Phone numbers, chat ids, message bodies, consent texts and alert details are stored as Fernet tokens
(bot.crypto), which are longer than the values, so their columns become TEXT. Lookups move to
keyed hashes: ``addresses.address_hash`` (unique per channel, replacing the unique constraint on
the address itself) and ``staff.phone_hash`` / ``staff.telegram_chat_id_hash``.

A migration cannot encrypt rows without the keys, and no release before this one stored any, so
it refuses to run on a database that already holds addresses, messages, consents or staff phone
numbers (one clear line instead of silently mixing clear text into encrypted columns).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARDED = {
    "addresses": "SELECT count(*) FROM addresses",
    "messages": "SELECT count(*) FROM messages",
    "consents": "SELECT count(*) FROM consents",
    "alerts": "SELECT count(*) FROM alerts WHERE detail IS NOT NULL",
    "staff": "SELECT count(*) FROM staff WHERE phone IS NOT NULL OR telegram_chat_id IS NOT NULL",
}


def _refuse_clear_text_rows() -> None:
    connection = op.get_bind()
    for table, query in _GUARDED.items():
        if connection.execute(sa.text(query)).scalar():
            raise RuntimeError(
                f"migration 0006 cannot encrypt existing rows in {table}: "
                "migrate an empty database, or export and re-enrol"
            )


def upgrade() -> None:
    _refuse_clear_text_rows()
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_constraint("uq_addresses_channel_address", type_="unique")
        batch_op.alter_column("address", existing_type=sa.String(length=64), type_=sa.Text())
        batch_op.add_column(sa.Column("address_hash", sa.String(length=64), nullable=False))
        batch_op.create_unique_constraint(
            batch_op.f("uq_addresses_channel_address_hash"), ["channel", "address_hash"]
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("address", existing_type=sa.String(length=64), type_=sa.Text())
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_telegram_chat_id")
        batch_op.alter_column("phone", existing_type=sa.String(length=32), type_=sa.Text())
        batch_op.alter_column(
            "telegram_chat_id", existing_type=sa.String(length=32), type_=sa.Text()
        )
        batch_op.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("telegram_chat_id_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_staff_phone_hash"), ["phone_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_staff_telegram_chat_id_hash"), ["telegram_chat_id_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_telegram_chat_id_hash"))
        batch_op.drop_index(batch_op.f("ix_staff_phone_hash"))
        batch_op.drop_column("telegram_chat_id_hash")
        batch_op.drop_column("phone_hash")
        batch_op.alter_column(
            "telegram_chat_id", existing_type=sa.Text(), type_=sa.String(length=32)
        )
        batch_op.alter_column("phone", existing_type=sa.Text(), type_=sa.String(length=32))
        batch_op.create_index("ix_staff_telegram_chat_id", ["telegram_chat_id"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("address", existing_type=sa.Text(), type_=sa.String(length=64))
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_addresses_channel_address_hash"), type_="unique")
        batch_op.drop_column("address_hash")
        batch_op.alter_column("address", existing_type=sa.Text(), type_=sa.String(length=64))
        batch_op.create_unique_constraint("uq_addresses_channel_address", ["channel", "address"])
