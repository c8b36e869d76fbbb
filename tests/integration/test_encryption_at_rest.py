"""Phone numbers, chat ids and message texts are unreadable at rest, yet inbound lookups work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Text, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.crypto import Keyring, KeyringError, generate_key, install_keyring
from bot.db import Database
from bot.models import Address, ChannelKind, Message
from bot.services.addresses import find_address, find_staff_by_address
from bot.services.key_rotation import encrypted_columns, reencrypt_all, rehash_all
from tests.conftest import TEST_DATA_KEY
from tests.privacy_scenario import all_text_values, found, seed_two


async def test_a_dump_of_the_sqlite_file_holds_no_number_or_message_text(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, second, _mentor = await seed_two(session, clock.now())
    secrets = [
        value
        for person in (first, second)
        for value in (person.phone_e164, person.phone, person.chat_id, *person.texts)
    ] + ["+4540404040", "777000111"]

    async with database.read() as session:
        stored = await all_text_values(session, raw=True)
        readable = await all_text_values(session, raw=False)
    assert found(stored, secrets) == []
    # The same values are there for the application: the scan would find them in clear text.
    assert found(readable, secrets) == secrets

    if database.is_sqlite:
        await database.dispose()  # checkpoint nothing away: read the files as they are
        path = Path(database.url.split(":///", 1)[1])
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        raw = b"".join(p.read_bytes() for p in files)
        with sqlite3.connect(path) as connection:
            dump = "\n".join(connection.iterdump())
        for secret in secrets:
            assert secret.encode("utf-8") not in raw, secret
            assert secret not in dump, secret


async def test_inbound_lookups_go_through_the_keyed_hash(
    database: Database, clock: FakeClock
) -> None:
    async with database.session() as session:
        first, second, mentor = await seed_two(session, clock.now())
    async with database.read() as session:
        # Twilio sends E.164; the consultant typed "20 12 34 56".
        address = await find_address(session, ChannelKind.SMS, first.phone_e164)
        assert address is not None and address.participant_id == first.id
        assert address.address == first.phone
        telegram = await find_address(session, "telegram", second.chat_id)
        assert telegram is not None and telegram.participant_id == second.id
        assert await find_address(session, ChannelKind.SMS, "+4599999999") is None
        # Equality on the ciphertext can never match: that is why the lookup exists.
        naive = select(Address).where(Address.address == first.phone)
        assert (await session.execute(naive)).first() is None

        by_phone = await find_staff_by_address(session, "sms", "+45 40 40 40 40")
        by_chat = await find_staff_by_address(session, "telegram", "777000111")
        assert by_phone is not None and by_phone.id == mentor.id
        assert by_chat is not None and by_chat.id == mentor.id
        assert await find_staff_by_address(session, "telegram", "555000111") is None


async def test_the_same_number_twice_on_one_channel_is_refused(
    database: Database, clock: FakeClock
) -> None:
    from sqlalchemy.exc import IntegrityError

    async with database.session() as session:
        first, _second, _mentor = await seed_two(session, clock.now())
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(Address(participant_id=first.id, channel="sms", address="004520123456"))


async def test_a_tampered_value_fails_loudly(database: Database, clock: FakeClock) -> None:
    async with database.session() as session:
        first, _second, _mentor = await seed_two(session, clock.now())
        await session.execute(
            text("UPDATE messages SET body = :b WHERE id = :i"),
            {"b": "gAAAAABtampered", "i": first.message_ids[0]},
        )
    async with database.read() as session:
        with pytest.raises(KeyringError, match="cannot be decrypted"):
            await session.get(Message, first.message_ids[0])


async def test_after_rotation_old_tokens_are_gone_and_lookups_still_work(
    database: Database, clock: FakeClock, keyring: Keyring
) -> None:
    async with database.session() as session:
        first, second, mentor = await seed_two(session, clock.now())
    old_key, new_key, new_lookup_key = keyring, generate_key(), generate_key()
    install_keyring(Keyring([new_key, TEST_DATA_KEY], new_lookup_key))

    changed = await reencrypt_all(database, batch_size=3)  # several batches per table
    rehashed = await rehash_all(database, batch_size=3)
    assert changed > 20
    assert rehashed == 4 + 2  # two addresses each, the mentor's phone and chat id
    assert await reencrypt_all(database, batch_size=3) == 0  # idempotent
    assert await rehash_all(database, batch_size=3) == 0

    only_new = Keyring([new_key], new_lookup_key)
    install_keyring(only_new)
    async with database.read() as session:
        tokens = await _raw_tokens(session)
        address = await find_address(session, ChannelKind.SMS, first.phone_e164)
        assert address is not None and address.participant_id == first.id
        assert address.address == first.phone
        message = await session.get(Message, second.message_ids[-1])
        assert message is not None and message.body == second.texts[2]
        staff = await find_staff_by_address(session, ChannelKind.TELEGRAM, "777000111")
        assert staff is not None and staff.id == mentor.id
    assert tokens and all(only_new.is_current(token) for token in tokens)
    assert not any(old_key.is_current(token) for token in tokens)


async def _raw_tokens(session: AsyncSession) -> list[str]:
    tokens: list[str] = []
    for group in encrypted_columns():
        selected = [type_coerce(c, Text()) for c in group.columns]
        for row in (await session.execute(select(*selected))).all():
            tokens.extend(value for value in row if value)
    return tokens
