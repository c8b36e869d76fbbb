"""Check-ins: one row per planned "how are you doing, 1-5" question, and its answer."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, str_enum, utcnow


class CheckinStatus(enum.StrEnum):
    PLANNED = "planned"
    ASKED = "asked"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    CANCELLED = "cancelled"


class Checkin(Base):
    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("participant_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[CheckinStatus] = mapped_column(
        str_enum(CheckinStatus), default=CheckinStatus.PLANNED
    )
    score: Mapped[int | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CheckinPlanRecord(Base):
    """The programme's check-in plan as an admin stored it (schedules.plans reads the JSON)."""

    __tablename__ = "checkin_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON())
    is_default: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
