"""An admin's own wording of a message, per language, in place of the catalog's text.

Keyed by the msgid (the English source text in ``bot/texts.py``), not by the constant's name: a
release that rewrites a text changes its msgid, and with it possibly its placeholders, so an
override written for the old wording quietly stops applying instead of breaking the new one.
``name`` only says which constant the override was written for, for the dashboard.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class TextOverride(Base):
    __tablename__ = "text_overrides"
    __table_args__ = (UniqueConstraint("msgid", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    msgid: Mapped[str] = mapped_column(Text())
    name: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    # Not personal data: the same words go to every participant, so not encrypted.
    text: Mapped[str] = mapped_column(Text())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
