"""Pure plan functions: when check-ins, meeting reminders, reply deadlines and escalations fall.

Nothing here reads the clock or does I/O: ``now``/``start`` are parameters, instants go in
timezone-aware and come out in UTC. Local intentions ("10:00 on the day") become instants
through ``schedules.quiet_hours.wall_time_to_utc``, which holds the DST rules. Quiet hours
are not applied to check-ins or reminders here: the dispatcher holds any message that comes
due in quiet hours (``next_allowed``), unless it is urgent.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from schedules.quiet_hours import QuietHours, as_utc, next_allowed, wall_time_to_utc

# --- Check-ins ----------------------------------------------------------------------------

DEFAULT_CHECKIN_TIME = time(10, 0)
MAX_PLAN_DAY = 3660  # about ten years either side of the release; guards against typos

_CADENCE_NAMES: dict[str, tuple[int, ...]] = {
    "daily": (1,),
    "twice-weekly": (3, 4),
    "weekly": (7,),
}
_PHASE_SEPARATOR = re.compile(r",(?=\s*-?\d+\s*\.\.)")  # a comma before "N..", not in "3,4"
_PHASE_TEXT = re.compile(r"^(-?\d+)\s*\.\.\s*(-?\d+)\s+(.+)$")
_EVERY_TEXT = re.compile(r"^every\s+(\d+(?:\s*,\s*\d+)*)$")
_PLAN_EXAMPLE = "'-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly'"


def _plain_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"check-in plan: {field} must be a whole number, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class CheckinPhase:
    """Check-ins on the days ``[from_day, to_day)`` counted from the release day (day 0).

    The first check-in is on ``from_day``; the next ones follow after the gaps in
    ``every_days``, used in turn: ``(7,)`` is weekly, ``(1,)`` daily and ``(3, 4)`` twice a
    week (e.g. Monday and Thursday when the phase starts on a Monday).
    """

    from_day: int
    to_day: int
    every_days: tuple[int, ...]

    def __post_init__(self) -> None:
        for field, day in (("from_day", self.from_day), ("to_day", self.to_day)):
            if abs(_plain_int(day, field)) > MAX_PLAN_DAY:
                raise ValueError(f"check-in plan: {field} {day} is beyond {MAX_PLAN_DAY} days")
        if self.from_day >= self.to_day:
            raise ValueError(
                f"check-in plan: phase {self.from_day}..{self.to_day} must end after it starts"
            )
        if not self.every_days:
            raise ValueError("check-in plan: a phase needs at least one gap in every_days")
        for gap in self.every_days:
            if _plain_int(gap, "every_days") < 1:
                raise ValueError(f"check-in plan: gaps are whole days >= 1, got {gap}")

    def days(self) -> Iterator[int]:
        """The check-in days of this phase, relative to the release day, ascending."""
        day, turn = self.from_day, 0
        while day < self.to_day:
            yield day
            day += self.every_days[turn % len(self.every_days)]
            turn += 1

    def __str__(self) -> str:
        names = {gaps: name for name, gaps in _CADENCE_NAMES.items()}
        cadence = names.get(self.every_days) or "every " + ",".join(map(str, self.every_days))
        return f"{self.from_day}..{self.to_day} {cadence}"


@dataclass(frozen=True, slots=True)
class CheckinPlan:
    """A check-in cadence relative to the release date: non-overlapping phases in order.

    Text form (``parse``/``str``), for settings and forms::

        -28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly

    Dict form (``to_dict``/``from_dict``), for storing as JSON::

        {"phases": [{"from_day": -28, "to_day": 0, "every_days": [7]}, ...]}
    """

    phases: tuple[CheckinPhase, ...]

    def __post_init__(self) -> None:
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if after.from_day < before.to_day:
                raise ValueError(
                    f"check-in plan: phases {before} and {after} overlap or are out of order"
                )

    def days(self) -> Iterator[int]:
        """Every check-in day of the plan, relative to the release day, ascending."""
        for phase in self.phases:
            yield from phase.days()

    @classmethod
    def parse(cls, text: str) -> CheckinPlan:
        """Parse the text form; cadences are daily, weekly, twice-weekly or ``every N[,M...]``."""
        parts = _PHASE_SEPARATOR.split(text.strip()) if text.strip() else []
        return cls(tuple(_parse_phase(part.strip(), text) for part in parts))

    def __str__(self) -> str:
        return ", ".join(map(str, self.phases))

    def to_dict(self) -> dict[str, Any]:
        return {
            "phases": [
                {"from_day": p.from_day, "to_day": p.to_day, "every_days": list(p.every_days)}
                for p in self.phases
            ]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckinPlan:
        """The inverse of ``to_dict``; unknown or missing keys are a ``ValueError``."""
        if not isinstance(data, Mapping) or set(data) != {"phases"}:
            raise ValueError("check-in plan: expected an object with exactly one key, 'phases'")
        raw_phases = data["phases"]
        if not isinstance(raw_phases, list):
            raise ValueError("check-in plan: 'phases' must be a list")
        phases = []
        for raw in raw_phases:
            keys = {"from_day", "to_day", "every_days"}
            if not isinstance(raw, Mapping) or set(raw) != keys:
                raise ValueError(f"check-in plan: each phase needs exactly {sorted(keys)}")
            gaps = raw["every_days"]
            if not isinstance(gaps, list):
                raise ValueError("check-in plan: every_days must be a list of whole days")
            phases.append(CheckinPhase(raw["from_day"], raw["to_day"], tuple(gaps)))
        return cls(tuple(phases))


def _parse_phase(part: str, text: str) -> CheckinPhase:
    match = _PHASE_TEXT.match(part)
    if match is None:
        raise ValueError(f"check-in plan {text!r}: cannot read {part!r}; e.g. {_PLAN_EXAMPLE}")
    cadence = match[3].strip().lower()
    if cadence in _CADENCE_NAMES:
        gaps = _CADENCE_NAMES[cadence]
    elif every := _EVERY_TEXT.match(cadence):
        gaps = tuple(int(g) for g in every[1].split(","))
    else:
        known = ", ".join(_CADENCE_NAMES)
        raise ValueError(f"check-in plan: unknown cadence {cadence!r}; use {known} or 'every N'")
    return CheckinPhase(int(match[1]), int(match[2]), gaps)


DEFAULT_CHECKIN_PLAN = CheckinPlan.parse(
    "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly"
)


@dataclass(frozen=True, slots=True)
class PreferredHour:
    """The citizen's preferred local check-in time, e.g. "after 16 on weekdays".

    With ``weekdays_only`` Saturdays and Sundays keep the default time (10:00): the wish is
    about working days, and moving a weekend check-in to Monday would bunch check-ins up in
    the daily phase.
    """

    hour: int
    minute: int = 0
    weekdays_only: bool = False

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError(f"preferred time {self.hour}:{self.minute:02d} is not a time of day")

    def time_on(self, day: date, default: time = DEFAULT_CHECKIN_TIME) -> time:
        if self.weekdays_only and day.weekday() >= 5:
            return default
        return time(self.hour, self.minute)


def checkin_times(
    plan: CheckinPlan,
    release_date: date,
    tz: ZoneInfo,
    *,
    start: datetime,
    until: datetime,
    preferred: PreferredHour | None = None,
    paused_until: date | None = None,
    default_time: time = DEFAULT_CHECKIN_TIME,
) -> list[datetime]:
    """The UTC instants of the check-ins in ``[start, until)``, ascending.

    1. Each plan day (release day = day 0, which is a check-in in the default plan)
       becomes a local date.
    2. Dates before ``paused_until`` are skipped; check-ins resume on ``paused_until``.
    3. The local time is the preferred time (or ``default_time``), resolved to UTC with
       the DST rules of ``wall_time_to_utc``: 10:00 is 09:00Z in winter, 08:00Z in summer.
    4. Only instants in ``[start, until)`` are kept. So a past release date, or a plan
       edited mid-way and called again with ``start=now``, never yields a past instant.
    """
    return [
        instant
        for _, instant in checkin_dates(
            plan,
            release_date,
            tz,
            start=start,
            until=until,
            preferred=preferred,
            paused_until=paused_until,
            default_time=default_time,
        )
    ]


def checkin_dates(
    plan: CheckinPlan,
    release_date: date,
    tz: ZoneInfo,
    *,
    start: datetime,
    until: datetime,
    preferred: PreferredHour | None = None,
    paused_until: date | None = None,
    default_time: time = DEFAULT_CHECKIN_TIME,
) -> list[tuple[date, datetime]]:
    """``checkin_times`` with each instant's local date (the planner keys check-ins by it)."""
    start, until = as_utc(start, "start"), as_utc(until, "until")
    # A local date more than a day from the window cannot have an instant in it (no UTC offset
    # is a day long), so only the plan days within two days of it are looked at (found by
    # bisecting the plan's ascending days) before any time zone arithmetic.
    days = _plan_days(plan)
    first = (start.date() - timedelta(days=2) - release_date).days
    last = (until.date() + timedelta(days=2) - release_date).days
    found = []
    for day in days[bisect_left(days, first) : bisect_right(days, last)]:
        local_date = release_date + timedelta(days=day)
        if paused_until is not None and local_date < paused_until:
            continue
        wall = preferred.time_on(local_date, default_time) if preferred else default_time
        instant = wall_time_to_utc(local_date, wall, tz)
        if start <= instant < until:
            found.append((local_date, instant))
    return found


@functools.lru_cache(maxsize=256)
def _plan_days(plan: CheckinPlan) -> tuple[int, ...]:
    """The plan's days as a tuple, once per plan (the planner asks for every participant)."""
    return tuple(plan.days())


# --- Meeting reminders ---------------------------------------------------------------------

DEFAULT_REMINDER_OFFSETS = (timedelta(hours=24), timedelta(hours=2))
MAX_REMINDER_OFFSET = timedelta(days=90)

_OFFSET_TEXT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Parse ``"24h,2h"`` (units d, h, m; ``"1h30m"`` works) into offsets, largest first.

    ``""`` or ``"off"`` mean no reminders. Zero, duplicates and anything else are a
    ``ValueError``.
    """
    if text.strip().lower() in ("", "off"):
        return ()
    offsets: list[timedelta] = []
    for item in text.split(","):
        cleaned = item.replace(" ", "").lower()
        match = _OFFSET_TEXT.match(cleaned)
        if not cleaned or match is None:
            raise ValueError(f"reminder offsets must look like '24h,2h', got {text!r}")
        days, hours, minutes = (int(g) if g else 0 for g in match.groups())
        total_minutes = (days * 24 + hours) * 60 + minutes  # an int, so no overflow
        if not 0 < total_minutes <= MAX_REMINDER_OFFSET // timedelta(minutes=1):
            raise ValueError(f"reminder offset {item.strip()!r} must be between 1m and 90d")
        offset = timedelta(minutes=total_minutes)
        if offset in offsets:
            raise ValueError(f"reminder offset {item.strip()!r} is given twice in {text!r}")
        offsets.append(offset)
    return tuple(sorted(offsets, reverse=True))


def format_offset(offset: timedelta) -> str:
    """``24h``, ``2h``, ``1h30m``, ``30m``: the label in dedupe keys and settings."""
    if offset <= timedelta(0) or offset % timedelta(minutes=1):
        raise ValueError(f"a reminder offset is a positive whole number of minutes, got {offset}")
    hours, minutes = divmod(offset // timedelta(minutes=1), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")


def reminder_times(
    starts_at: datetime,
    offsets: Sequence[timedelta] = DEFAULT_REMINDER_OFFSETS,
    *,
    now: datetime,
) -> list[tuple[timedelta, datetime]]:
    """``(offset, instant)`` for each reminder not yet past at ``now``, earliest first.

    Offsets are elapsed time, not wall-clock time: 24 h before a 10:00 meeting on the
    day after a DST change is 09:00 or 11:00 local. A reminder due exactly at ``now`` is kept.
    """
    starts_at, now = as_utc(starts_at, "starts_at"), as_utc(now, "now")
    reminders = []
    for offset in sorted(set(offsets), reverse=True):
        if offset <= timedelta(0):
            raise ValueError(f"reminder offsets must be positive, got {offset}")
        if starts_at - offset >= now:
            reminders.append((offset, starts_at - offset))
    return reminders


# --- Reply deadlines and escalation --------------------------------------------------------


class QuestionKind(StrEnum):
    """Questions that expect an answer, and so have a deadline."""

    CHECKIN = "checkin"
    MEETING_CONFIRMATION = "meeting_confirmation"


def reply_deadline(
    kind: QuestionKind,
    asked_at: datetime,
    *,
    meeting_starts_at: datetime | None = None,
    checkin_window: timedelta = timedelta(hours=24),
    confirmation_window: timedelta = timedelta(hours=24),
    confirmation_margin: timedelta = timedelta(hours=26),
    confirmation_min_window: timedelta = timedelta(hours=1),
) -> datetime:
    """When an unanswered question counts as unanswered (the nudge is due then).

    A check-in: ``asked_at + checkin_window``. A meeting confirmation: ``asked_at +
    confirmation_window``, but no later than ``confirmation_margin`` before the meeting, so
    that nudge and mentor alert can still happen the day before. When that cap leaves less
    than ``confirmation_min_window``, the citizen gets that minimum anyway, but never past the
    meeting start; for a meeting that has already started the deadline is ``asked_at``.
    """
    asked_at = as_utc(asked_at, "asked_at")
    if kind is QuestionKind.CHECKIN:
        if meeting_starts_at is not None:
            raise ValueError("meeting_starts_at only applies to meeting confirmations")
        return asked_at + checkin_window
    if meeting_starts_at is None:
        raise ValueError("a meeting confirmation deadline needs meeting_starts_at")
    meeting = as_utc(meeting_starts_at, "meeting_starts_at")
    capped = min(asked_at + confirmation_window, meeting - confirmation_margin)
    floor = min(asked_at + confirmation_min_window, meeting)
    return max(capped, floor, asked_at)


DEFAULT_MENTOR_ALERT_AFTER = timedelta(hours=12)
DEFAULT_CONSULTANT_ALERT_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class EscalationSteps:
    """When each step falls for a question still unanswered at its deadline (UTC)."""

    nudge_at: datetime
    mentor_alert_at: datetime
    consultant_alert_at: datetime


def escalation_steps(
    deadline: datetime,
    *,
    mentor_after: timedelta = DEFAULT_MENTOR_ALERT_AFTER,
    consultant_after: timedelta = DEFAULT_CONSULTANT_ALERT_AFTER,
    quiet: QuietHours | None = None,
    tz: ZoneInfo | None = None,
) -> EscalationSteps:
    """One nudge at the deadline, a mentor alert later, the consultant if still unacknowledged.

    With ``quiet`` (and ``tz``) the nudge moves out of the citizen's quiet hours and the mentor
    alert counts from the nudge actually going out, so the citizen always gets the full
    ``mentor_after`` to answer it. The consultant step is planned from the mentor alert; the
    escalation tick raises it only if that alert is still unacknowledged.
    """
    if quiet is not None and tz is None:
        raise ValueError("quiet hours need the local time zone (tz)")
    if mentor_after <= timedelta(0) or consultant_after <= timedelta(0):
        raise ValueError("escalation periods must be positive")
    nudge_at = as_utc(deadline, "deadline")
    if quiet is not None and tz is not None:
        nudge_at = next_allowed(nudge_at, quiet, tz)
    mentor_alert_at = nudge_at + mentor_after
    return EscalationSteps(nudge_at, mentor_alert_at, mentor_alert_at + consultant_after)
