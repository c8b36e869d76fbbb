"""Quiet hours, and turning local wall-clock intentions into UTC instants.

Instants go in and come out as timezone-aware datetimes; everything returned is
in UTC. The local time zone (normally Europe/Copenhagen) is always passed in as
a ``ZoneInfo``; nothing here reads the clock or the disk.

Two DST rules are decided once, here, and every plan function uses them:

* A local wall time that does not exist (the spring-forward gap, 02:00-03:00
  on the last Sunday of March in Copenhagen) resolves *forwards* to the moment
  the gap ends: "02:30 on 29 March 2026" is 03:00 CEST (01:00Z), the first
  instant at which the clock shows 02:30 or later.
* A local wall time that occurs twice (the fall-back overlap, 02:00-03:00 on
  the last Sunday of October) takes the *first* occurrence: "02:30 on
  25 October 2026" is 02:30 CEST (00:30Z).

Quiet hours are decided by what the wall clock shows: an instant is quiet when
its local time lies in ``[start, end)``. So in the repeated hour of October a
window ending at 02:30 is quiet twice; ``next_allowed`` then returns the first
occurrence of the end that is not already past.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})$")
_OFF = frozenset({"", "off"})
_EXAMPLE = "'21:00-08:00' (or 'off')"


def as_utc(instant: datetime, name: str = "instant") -> datetime:
    """Return ``instant`` in UTC; a naive datetime is a programming error."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {instant!r}")
    return instant.astimezone(UTC)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of ``instant`` in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


@functools.lru_cache(maxsize=8192)
def wall_time_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the clock in ``tz`` first shows ``wall`` on ``day``.

    Cached: the planner asks for the same few (day, 10:00) pairs for every participant whose
    plan falls on that day, and the answer never changes.

    Ambiguous times take the first occurrence; nonexistent times (in a DST gap)
    resolve to the end of the gap, the first instant whose wall time is later.

    For a time in the gap zoneinfo's fold=1 lands before the gap and fold=0
    after it, so the transition lies between them; it is found by bisecting on
    whole seconds (tz transitions fall on whole seconds).
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == naive:
        return first
    low = int(naive.replace(tzinfo=tz, fold=1).timestamp())  # wall clock still before `wall`
    high = int(first.timestamp()) + 1  # wall clock already past `wall`
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _parse_time(hours: str, minutes: str, text: str) -> time:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(f"quiet hours {text!r}: times run from 00:00 to 23:59, e.g. {_EXAMPLE}")
    return time(hour, minute)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window of local wall-clock time, ``[start, end)``, that may wrap midnight."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local wall-clock times; give naive times")
        if self.start == self.end:
            raise ValueError(f"quiet hours {self} are an empty window; use 'off' for none")

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """Parse ``"21:00-08:00"`` (an en dash works too); ``""`` or ``"off"`` mean none."""
        cleaned = text.strip()
        if cleaned.lower() in _OFF:
            return None
        match = _WINDOW.match(cleaned)
        if match is None:
            raise ValueError(f"quiet hours must look like {_EXAMPLE}, got {text!r}")
        start = _parse_time(match[1], match[2], text)
        end = _parse_time(match[3], match[4], text)
        if start == end:
            raise ValueError(f"quiet hours {text!r} are an empty window; use 'off' for none")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def wraps_midnight(self) -> bool:
        return self.start > self.end

    def contains(self, wall: time) -> bool:
        """Whether a local wall-clock time lies inside the window."""
        if self.wraps_midnight:
            return wall >= self.start or wall < self.end
        return self.start <= wall < self.end


def is_quiet(instant: datetime, quiet: QuietHours | None, tz: ZoneInfo) -> bool:
    """Whether the local wall clock at ``instant`` is inside the quiet window."""
    instant = as_utc(instant)
    return quiet is not None and quiet.contains(_wall(instant, tz).time())


def _window_end_after(instant: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """The end of the quiet window that ``instant`` (which is quiet) lies in."""
    local = _wall(instant, tz)
    day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    end = wall_time_to_utc(day, quiet.end, tz)
    if end < instant:
        # Only in the repeated hour of October: the first occurrence of the end
        # has passed and the clock shows a quiet time again; wait for the second.
        end = datetime.combine(day, quiet.end, tzinfo=tz).replace(fold=1).astimezone(UTC)
    return end


def next_allowed(instant: datetime, quiet: QuietHours | None, tz: ZoneInfo) -> datetime:
    """The earliest UTC instant at or after ``instant`` that is outside quiet hours.

    A message due 23:30 local with quiet hours 21:00-08:00 goes at 08:00 local
    the next morning; one due at 08:00 or 20:59 goes at once. The loop only
    repeats for a window whose allowed part falls in a DST gap, where the end
    of the window is itself still quiet on that day.
    """
    candidate = as_utc(instant)
    if quiet is None:
        return candidate
    for _ in range(3):
        if not is_quiet(candidate, quiet, tz):
            return candidate
        candidate = _window_end_after(candidate, quiet, tz)
    raise AssertionError(f"no allowed instant found after {instant} for quiet hours {quiet}")
