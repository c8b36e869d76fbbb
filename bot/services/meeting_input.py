"""Meeting input as staff type it (dashboard form or API), checked before the meeting service.

``bot.services.appointments`` owns what a meeting change does (messages, reminders, alerts);
this module only turns typed values into the arguments it takes, with field-named errors.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from bot.models import AppointmentKind, Attendance
from bot.services.participants import InputProblem, printable


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class MeetingIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    kind: AppointmentKind
    starts_at: AwareDatetime
    place: str = Field(min_length=1, max_length=300)
    note: str | None = Field(default=None, max_length=2000)
    allow_sensitive_place: bool = False

    _starts_at_utc = field_validator("starts_at")(_utc)

    @field_validator("place", "note")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return printable(value) if value is not None else None


class MeetingMove(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    starts_at: AwareDatetime
    place: str | None = Field(default=None, min_length=1, max_length=300)
    allow_sensitive_place: bool = False

    _starts_at_utc = field_validator("starts_at")(_utc)

    @field_validator("place")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return printable(value) if value is not None else None


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attendance: Attendance


def local_instant(day: str, clock_time: str, tz: ZoneInfo) -> datetime:
    """A date and time typed in local time (``2026-03-01``, ``10:00``) as an aware instant."""
    try:
        parsed = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock_time))
    except ValueError:
        raise InputProblem("starts_at", "give a date and a time") from None
    return parsed.replace(tzinfo=tz)
