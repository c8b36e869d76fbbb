"""Meetings (appointments) with the citizen's confirmation and the recorded attendance."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, str_enum, utcnow


class AppointmentKind(enum.StrEnum):
    RELEASE_MEETING = "release_meeting"
    JOBCENTRE = "jobcentre"
    MENTOR = "mentor"
    TREATMENT = "treatment"
    EDUCATION_WORK = "education_work"
    OTHER = "other"


class AppointmentStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Confirmation(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Attendance(enum.StrEnum):
    UNKNOWN = "unknown"
    ATTENDED = "attended"
    MISSED = "missed"


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_participant_starts", "participant_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    kind: Mapped[AppointmentKind] = mapped_column(str_enum(AppointmentKind))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Shown to the citizen; staff are warned when it names a sensitive place.
    place: Mapped[str] = mapped_column(String(300))
    staff_note: Mapped[str | None] = mapped_column(Text())
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus), default=AppointmentStatus.SCHEDULED
    )
    # Bumped each time the meeting moves, so reminders of the new time get new dedupe keys.
    version: Mapped[int] = mapped_column(default=1)
    confirmation: Mapped[Confirmation] = mapped_column(
        str_enum(Confirmation), default=Confirmation.PENDING
    )
    confirmation_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance: Mapped[Attendance] = mapped_column(str_enum(Attendance), default=Attendance.UNKNOWN)
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
