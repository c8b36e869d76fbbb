"""Finding who wrote to us: participants' addresses and staff by phone number or chat id.

Addresses, staff phone numbers and chat ids are encrypted at rest with a fresh nonce each time,
so ``select(Address).where(Address.address == number)`` can never match. Look them up here: the
query compares the keyed hash (``bot.crypto.Keyring.lookup_hash``) of the normalised address,
which is what the database holds beside the ciphertext.

Use these for every inbound SMS, Telegram update and status callback::

    address = await find_address(session, ChannelKind.SMS, form["From"])
    participant = address.participant if address else None
    mentor = await find_staff_by_address(session, ChannelKind.TELEGRAM, str(chat_id))
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import installed_keyring
from bot.models import Address, ChannelKind, Staff

# Built once: every inbound message runs it, and building it per call cost as much as running it.
_ADDRESS_BY_HASH = select(Address).where(
    Address.channel == bindparam("channel"), Address.address_hash == bindparam("hash")
)


def address_hash(channel: ChannelKind | str, address: str) -> str:
    """The lookup hash of ``address`` on ``channel`` (what ``Address.address_hash`` holds)."""
    return installed_keyring().lookup_hash(str(channel), address)


async def find_address(
    session: AsyncSession, channel: ChannelKind | str, address: str
) -> Address | None:
    """The participant's address row for ``address`` on ``channel``, or None."""
    values = {"channel": ChannelKind(channel), "hash": address_hash(channel, address)}
    return (await session.execute(_ADDRESS_BY_HASH, values)).scalar_one_or_none()


async def find_staff_by_address(
    session: AsyncSession, channel: ChannelKind | str, address: str
) -> Staff | None:
    """The active staff member with this phone number (SMS) or chat id (Telegram), or None."""
    kind = ChannelKind(channel)
    if kind is ChannelKind.SMS:
        column = Staff.phone_hash
    elif kind is ChannelKind.TELEGRAM:
        column = Staff.telegram_chat_id_hash
    else:
        return None
    statement = (
        select(Staff)
        .where(column == address_hash(kind, address), Staff.active.is_(True))
        .order_by(Staff.id)
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()
