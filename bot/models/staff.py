"""Staff: admins, consultants and mentors; the sites a consultant covers; API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bot.crypto import installed_keyring
from bot.models.base import Base, EncryptedText, UTCDateTime, str_enum, utcnow
from bot.models.sites import Site


class Role(enum.StrEnum):
    ADMIN = "admin"
    CONSULTANT = "consultant"
    MENTOR = "mentor"


staff_sites = Table(
    "staff_sites",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="da")
    # Where a mentor receives alerts: an E.164 number and/or a Telegram chat id. Encrypted at
    # rest; the keyed hashes beside them (set on assignment) are what inbound lookups use
    # (bot.services.addresses.find_staff_by_address).
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(EncryptedText())
    telegram_chat_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Every session cookie carries the generation it was signed in under; raising it (a new
    # password, a disabled account) ends all the account's sessions at once (bot.web.access).
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    sites: Mapped[list[Site]] = relationship(secondary=staff_sites, lazy="selectin")

    @validates("phone", "telegram_chat_id")
    def _keep_hashes_current(self, key: str, value: str | None) -> str | None:
        channel = "sms" if key == "phone" else "telegram"
        digest = None if not value else installed_keyring().lookup_hash(channel, value)
        setattr(self, f"{key}_hash", digest)
        return value


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
