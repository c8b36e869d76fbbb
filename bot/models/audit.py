"""The audit log: who did what to whose data, when and where. Rows are only ever added."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_participant_at", "participant_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Null for the system itself (retention purge, the bot).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # viewed, exported, created, changed, erased
    # No foreign key: the row must outlive the participant it describes.
    participant_id: Mapped[int | None] = mapped_column()
    purpose: Mapped[str | None] = mapped_column(String(200))  # the page or endpoint
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON())


class InboundEvent(Base):
    """Provider event ids already handled (Twilio MessageSid, Telegram update_id): each once."""

    __tablename__ = "inbound_events"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
