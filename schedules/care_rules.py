"""The timing rules of the care plan, read once from the settings.

``bot/`` may not import ``schedules/``, so the services in ``bot.services`` that need these
rules (meetings, plan administration) receive a :class:`CareRules` built here by the composition
root (``bot.app``). It wraps the pure functions of :mod:`schedules.plans` with the configured
durations; a wrong duration stops start-up with one line naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import ENV_PREFIX, Settings
from bot.errors import ConfigError
from schedules.plans import (
    DEFAULT_CHECKIN_PLAN,
    CheckinPlan,
    PreferredHour,
    QuestionKind,
    format_offset,
    parse_offsets,
    reminder_times,
    reply_deadline,
)
from schedules.quiet_hours import QuietHours


def _duration(settings: Settings, name: str, *, optional: bool = False) -> timedelta | None:
    text = getattr(settings, name)
    try:
        values = parse_offsets(text)
    except ValueError as error:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: {error}") from None
    if not values and optional:
        return None
    if len(values) != 1:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}: expected one duration such as 24h")
    return values[0]


def _required(settings: Settings, name: str) -> timedelta:
    value = _duration(settings, name)
    assert value is not None
    return value


@dataclass(frozen=True, slots=True)
class CareRules:
    """Configured offsets, windows and periods, plus the questions the services ask of them."""

    tz: ZoneInfo
    quiet: QuietHours | None
    reminder_offsets: tuple[timedelta, ...]
    checkin_window: timedelta
    confirmation_window: timedelta
    confirmation_margin: timedelta
    attendance_question_after: timedelta | None
    mentor_alert_after: timedelta
    consultant_alert_after: timedelta
    digest_window: timedelta
    horizon: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> CareRules:
        """Read the care settings; raise :class:`ConfigError` naming the first wrong one."""
        try:
            offsets = parse_offsets(settings.reminder_offsets)
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}REMINDER_OFFSETS: {error}") from None
        return cls(
            tz=settings.tz,
            quiet=QuietHours.parse(settings.quiet_hours),
            reminder_offsets=offsets,
            checkin_window=_required(settings, "checkin_reply_window"),
            confirmation_window=_required(settings, "confirmation_reply_window"),
            confirmation_margin=_required(settings, "confirmation_margin"),
            attendance_question_after=_duration(
                settings, "attendance_question_after", optional=True
            ),
            mentor_alert_after=_required(settings, "mentor_alert_after"),
            consultant_alert_after=_required(settings, "consultant_alert_after"),
            digest_window=_required(settings, "alert_digest_window"),
            horizon=timedelta(days=settings.planning_horizon_days),
        )

    # --- Meetings (bot.services.appointments.MeetingRules) -----------------------------------

    def meeting_reminders(
        self, starts_at: datetime, *, now: datetime
    ) -> list[tuple[str, datetime]]:
        """``(label, instant)`` of each reminder still ahead; the label goes in the dedupe key."""
        return [
            (format_offset(offset), instant)
            for offset, instant in reminder_times(starts_at, self.reminder_offsets, now=now)
        ]

    def confirmation_deadline(self, asked_at: datetime, starts_at: datetime) -> datetime:
        return reply_deadline(
            QuestionKind.MEETING_CONFIRMATION,
            asked_at,
            meeting_starts_at=starts_at,
            confirmation_window=self.confirmation_window,
            confirmation_margin=self.confirmation_margin,
        )

    def checkin_deadline(self, asked_at: datetime) -> datetime:
        return reply_deadline(QuestionKind.CHECKIN, asked_at, checkin_window=self.checkin_window)

    # --- Plans (bot.services.care_plans.PlanRules) --------------------------------------------

    def parse_plan(self, text: str) -> dict[str, Any]:
        """The stored (JSON) form of a plan typed as text; ``ValueError`` says what is wrong."""
        return CheckinPlan.parse(text).to_dict()

    def describe_plan(self, definition: Mapping[str, Any] | None) -> str:
        """The text form of a stored plan; None is the built-in default plan."""
        plan = DEFAULT_CHECKIN_PLAN if definition is None else CheckinPlan.from_dict(definition)
        return str(plan)

    def normalise_override(self, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """Validate a participant's override (``ValueError`` says why); None means no override."""
        return Override.from_json(data).to_json()


@dataclass(frozen=True, slots=True)
class Override:
    """A participant's own plan settings, read from ``Participant.plan_override`` (JSON).

    ``{"paused": true}`` pauses check-ins until further notice, ``{"paused_until": "2026-12-01"}``
    until that local date; ``{"plan": "0..28 weekly"}`` replaces the programme's cadence;
    ``{"preferred": {"hour": 16, "minute": 0, "weekdays_only": true}}`` moves check-ins to
    16:00 on weekdays.
    """

    paused: bool = False
    paused_until: date | None = None
    plan: CheckinPlan | None = None
    preferred: PreferredHour | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Override:
        if not data:
            return cls()
        unknown = set(data) - {"paused", "paused_until", "plan", "preferred"}
        if unknown:
            raise ValueError(f"plan override: unknown keys {sorted(unknown)}")
        paused = data.get("paused", False)
        if not isinstance(paused, bool):
            raise ValueError("plan override: paused must be true or false")
        until = data.get("paused_until")
        plan = data.get("plan")
        preferred = data.get("preferred")
        if preferred is not None and not isinstance(preferred, Mapping):
            raise ValueError("plan override: preferred must be an object with hour and minute")
        if plan is not None and not isinstance(plan, str):
            raise ValueError("plan override: plan must be the text form, e.g. '0..28 weekly'")
        try:
            return cls(
                paused=paused,
                paused_until=date.fromisoformat(until) if until else None,
                plan=CheckinPlan.parse(plan) if plan else None,
                preferred=PreferredHour(
                    hour=int(preferred["hour"]),
                    minute=int(preferred.get("minute", 0)),
                    weekdays_only=bool(preferred.get("weekdays_only", False)),
                )
                if preferred
                else None,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"plan override: {error!r} is missing or of the wrong type") from None

    def to_json(self) -> dict[str, Any] | None:
        data: dict[str, Any] = {}
        if self.paused:
            data["paused"] = True
        if self.paused_until is not None:
            data["paused_until"] = self.paused_until.isoformat()
        if self.plan is not None:
            data["plan"] = str(self.plan)
        if self.preferred is not None:
            data["preferred"] = {
                "hour": self.preferred.hour,
                "minute": self.preferred.minute,
                "weekdays_only": self.preferred.weekdays_only,
            }
        return data or None
