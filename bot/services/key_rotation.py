"""Re-encrypting every encrypted value with the current ``DATA_KEY`` (``brobygger keys rotate``).

After a new key becomes ``DATA_KEY`` (the old one moved to ``DATA_KEYS_OLD``), new writes use
the new key but old rows still hold tokens of the old one. This walks every column of type
``EncryptedText`` in every table, in batches of rows ordered by primary key, one transaction per
batch, and rewrites each token that the current key alone cannot open. Rows already current are
skipped, so the command is idempotent and can be resumed after an interruption. When it reports
nothing left, the old key can be removed.

``rehash_all`` does the same for the lookup hashes after ``LOOKUP_KEY`` changed: it recomputes
each hash from the decrypted address and rewrites the ones that differ. Between changing
``LOOKUP_KEY`` and rehashing, inbound lookups miss, so change it with the service stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, Text, select, type_coerce, update

from bot.crypto import Keyring, installed_keyring
from bot.db import Database
from bot.models import Address, Base, EncryptedText, Staff

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class EncryptedColumns:
    table: Table
    key: Column[int]
    columns: list[Column[str]]


def encrypted_columns() -> list[EncryptedColumns]:
    """Every table with encrypted columns (found from the models, so new ones are included)."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            (key,) = table.primary_key.columns
            found.append(EncryptedColumns(table, key, columns))
    return found


async def reencrypt_all(database: Database, *, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Re-encrypt every value not under the current key; returns how many values changed."""
    keyring = installed_keyring()
    changed = 0
    for group in encrypted_columns():
        raw = [type_coerce(column, Text()).label(column.name) for column in group.columns]
        last_id: int | None = None
        while True:
            async with database.session() as session:
                statement = select(group.key, *raw).order_by(group.key).limit(batch_size)
                if last_id is not None:
                    statement = statement.where(group.key > last_id)
                rows = (await session.execute(statement)).all()
                for row in rows:
                    values = {
                        column.name: type_coerce(keyring.reencrypt(token), Text())
                        for column, token in zip(group.columns, row[1:], strict=True)
                        if token and not keyring.is_current(token)
                    }
                    if values:
                        await session.execute(
                            update(group.table).where(group.key == row[0]).values(values)
                        )
                        changed += len(values)
            if len(rows) < batch_size:
                break
            last_id = rows[-1][0]
    return changed


def _address_hashes(row: Any, keyring: Keyring) -> dict[str, str | None]:
    return {"address_hash": keyring.lookup_hash(str(row.channel), row.address)}


def _staff_hashes(row: Any, keyring: Keyring) -> dict[str, str | None]:
    return {
        "phone_hash": keyring.lookup_hash("sms", row.phone) if row.phone else None,
        "telegram_chat_id_hash": (
            keyring.lookup_hash("telegram", row.telegram_chat_id) if row.telegram_chat_id else None
        ),
    }


_HASHED: list[tuple[type[Any], Callable[[Any, Keyring], dict[str, str | None]]]] = [
    (Address, _address_hashes),
    (Staff, _staff_hashes),
]


async def rehash_all(database: Database, *, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Recompute every lookup hash with the current ``LOOKUP_KEY``; returns how many changed."""
    keyring = installed_keyring()
    changed = 0
    for model, hashes in _HASHED:
        last_id = 0
        while True:
            async with database.session() as session:
                rows = list(
                    await session.scalars(
                        select(model).where(model.id > last_id).order_by(model.id).limit(batch_size)
                    )
                )
                for row in rows:
                    for column, value in hashes(row, keyring).items():
                        if getattr(row, column) != value:
                            setattr(row, column, value)
                            changed += 1
            if len(rows) < batch_size:
                break
            last_id = rows[-1].id
    return changed
