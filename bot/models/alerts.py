"""Alerts: a human is told that a citizen went quiet, declined, missed or is struggling."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, EncryptedText, UTCDateTime, str_enum, utcnow


class AlertReason(enum.StrEnum):
    NO_REPLY = "no_reply"
    DECLINED_MEETING = "declined_meeting"
    MISSED_MEETING = "missed_meeting"
    LOW_SCORE = "low_score"
    WORRYING_REPLY = "worrying_reply"
    UNREACHABLE = "unreachable"
    DELIVERY_FAILED = "delivery_failed"


UNACKNOWLEDGED = text("resolved_at IS NULL AND acknowledged_at IS NULL")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_open", "resolved_at", "participant_id"),
        # The overview's first list: the alerts nobody has taken yet, newest first.
        Index(
            "ix_alerts_unacknowledged",
            "created_at",
            postgresql_where=UNACKNOWLEDGED,
            sqlite_where=UNACKNOWLEDGED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[AlertReason] = mapped_column(str_enum(AlertReason))
    # Free text that may quote the citizen's reply: encrypted at rest like message bodies.
    detail: Mapped[str | None] = mapped_column(EncryptedText())
    # One alert per cause (e.g. ``no_reply:message:42``): no ladder runs twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The unanswered question behind a no-reply alert. No foreign key: messages already point
    # at alerts, and a cycle of constraints cannot be created on SQLite.
    question_id: Mapped[int | None] = mapped_column()
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL")
    )
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
