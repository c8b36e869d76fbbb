"""Quiet hours and local wall-clock resolution, in Europe/Copenhagen.

Inputs are written with their local offset (+01:00 winter, +02:00 summer) so the local
intention is visible; every expected instant is written out in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from schedules.quiet_hours import QuietHours, is_quiet, next_allowed, wall_time_to_utc

CPH = ZoneInfo("Europe/Copenhagen")
NIGHT = QuietHours(time(21, 0), time(8, 0))


def at(text: str) -> datetime:
    """An instant from ISO text that carries its own offset ("Z" or "+01:00")."""
    instant = datetime.fromisoformat(text)
    assert instant.tzinfo is not None, text
    return instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00-08:00", QuietHours(time(21, 0), time(8, 0))),
        ("  21:00 - 08:00 ", QuietHours(time(21, 0), time(8, 0))),
        ("21:00\u201308:00", QuietHours(time(21, 0), time(8, 0))),
        ("9:30-17:15", QuietHours(time(9, 30), time(17, 15))),
        ("00:00-06:00", QuietHours(time(0, 0), time(6, 0))),
        ("", None),
        ("off", None),
        (" OFF ", None),
    ],
    ids=[
        "wraps-midnight",
        "spaces",
        "en-dash",
        "one-digit-hour",
        "from-midnight",
        "empty",
        "off",
        "off-any-case",
    ],
)
def test_quiet_hours_parse_a_window_or_off(text: str, expected: QuietHours | None) -> None:
    assert QuietHours.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("21-08", "must look like"),
        ("21:00", "must look like"),
        ("21:00-08:00-09:00", "must look like"),
        ("nights", "must look like"),
        ("21:0-08:00", "must look like"),
        ("24:00-08:00", "00:00 to 23:59"),
        ("21:00-08:60", "00:00 to 23:59"),
        ("08:00-08:00", "empty window"),
    ],
)
def test_quiet_hours_reject_garbage_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QuietHours.parse(text)


def test_quiet_hours_print_as_they_are_parsed() -> None:
    assert str(QuietHours.parse("9:30-17:15")) == "09:30-17:15"
    assert QuietHours.parse(str(NIGHT)) == NIGHT


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # due (local)               goes at (UTC)
        ("2026-01-14T23:30+01:00", "2026-01-15T07:00Z"),  # 23:30 -> 08:00 next morning
        ("2026-01-15T07:59+01:00", "2026-01-15T07:00Z"),  # 07:59 -> 08:00
        ("2026-01-15T08:00+01:00", "2026-01-15T07:00Z"),  # 08:00 -> at once
        ("2026-01-15T20:59+01:00", "2026-01-15T19:59Z"),  # 20:59 -> at once
        ("2026-01-15T21:00+01:00", "2026-01-16T07:00Z"),  # 21:00 -> next morning
        ("2026-01-16T00:00+01:00", "2026-01-16T07:00Z"),  # midnight -> same morning
        ("2026-01-15T12:34:56.789+01:00", "2026-01-15T11:34:56.789Z"),  # untouched by day
        ("2026-06-10T23:30+02:00", "2026-06-11T06:00Z"),  # summer: 08:00 CEST is 06:00Z
        ("2026-03-28T23:30+01:00", "2026-03-29T06:00Z"),  # night clocks go forward
        ("2026-03-29T03:30+02:00", "2026-03-29T06:00Z"),  # just after the gap
        ("2026-10-24T23:30+02:00", "2026-10-25T07:00Z"),  # night clocks go back
        ("2026-10-25T02:30+02:00", "2026-10-25T07:00Z"),  # repeated hour, first time
        ("2026-10-25T02:30+01:00", "2026-10-25T07:00Z"),  # repeated hour, second time
    ],
)
def test_a_message_due_in_quiet_hours_waits_for_the_morning(due: str, expected: str) -> None:
    sent = next_allowed(at(due), NIGHT, CPH)
    assert sent == at(expected)
    assert sent.tzinfo is UTC


@pytest.mark.parametrize(
    ("window", "due", "expected"),
    [
        # A window inside the day does not wrap.
        ("12:00-13:00", "2026-05-06T12:30+02:00", "2026-05-06T11:00Z"),
        ("12:00-13:00", "2026-05-06T11:59+02:00", "2026-05-06T09:59Z"),
        ("12:00-13:00", "2026-05-06T13:00+02:00", "2026-05-06T11:00Z"),
        # An end in the March gap (02:30 does not exist) ends when the gap does: 03:00 CEST.
        ("22:00-02:30", "2026-03-28T23:30+01:00", "2026-03-29T01:00Z"),
        # A start in the March gap starts when the gap ends.
        ("02:30-08:00", "2026-03-29T01:59+01:00", "2026-03-29T00:59Z"),
        ("02:30-08:00", "2026-03-29T03:00+02:00", "2026-03-29T06:00Z"),
        # An end in the October overlap takes the first 02:30 (CEST) ...
        ("22:00-02:30", "2026-10-24T23:30+02:00", "2026-10-25T00:30Z"),
        # ... and the wall clock decides: 02:10 CET, after the clocks went back, is quiet
        # again until the second 02:30.
        ("22:00-02:30", "2026-10-25T02:10+01:00", "2026-10-25T01:30Z"),
        # The only allowed quarter hour (02:30-02:45) falls in the gap: wait a day.
        ("02:45-02:30", "2026-03-29T01:30+01:00", "2026-03-30T00:30Z"),
    ],
)
def test_quiet_hours_follow_the_wall_clock_through_dst(
    window: str, due: str, expected: str
) -> None:
    assert next_allowed(at(due), QuietHours.parse(window), CPH) == at(expected)


def test_without_quiet_hours_a_message_goes_when_due_in_utc() -> None:
    sent = next_allowed(at("2026-01-14T23:30+01:00"), None, CPH)
    assert sent == at("2026-01-14T22:30Z")
    assert sent.tzinfo is UTC


@pytest.mark.parametrize(
    ("instant", "quiet"),
    [
        ("2026-01-15T20:59+01:00", False),
        ("2026-01-15T21:00+01:00", True),
        ("2026-01-16T07:59:59+01:00", True),
        ("2026-01-16T08:00+01:00", False),
        ("2026-07-01T06:30Z", False),  # 08:30 CEST
        ("2026-07-01T05:30Z", True),  # 07:30 CEST
    ],
)
def test_is_quiet_reads_the_local_wall_clock(instant: str, quiet: bool) -> None:
    assert is_quiet(at(instant), NIGHT, CPH) is quiet
    assert is_quiet(at(instant), None, CPH) is False


@pytest.mark.parametrize(
    ("day", "wall", "expected"),
    [
        (date(2026, 1, 15), time(10, 0), "2026-01-15T09:00Z"),
        (date(2026, 7, 15), time(10, 0), "2026-07-15T08:00Z"),
        (date(2026, 3, 29), time(1, 59), "2026-03-29T00:59Z"),
        (date(2026, 3, 29), time(2, 0), "2026-03-29T01:00Z"),  # nonexistent: gap end
        (date(2026, 3, 29), time(2, 30), "2026-03-29T01:00Z"),  # nonexistent: gap end
        (date(2026, 3, 29), time(3, 0), "2026-03-29T01:00Z"),
        (date(2026, 10, 25), time(2, 30), "2026-10-25T00:30Z"),  # ambiguous: first
        (date(2026, 10, 25), time(3, 0), "2026-10-25T02:00Z"),
    ],
)
def test_wall_time_resolves_gaps_forwards_and_overlaps_to_the_first(
    day: date, wall: time, expected: str
) -> None:
    resolved = wall_time_to_utc(day, wall, CPH)
    assert resolved == at(expected)
    assert resolved.tzinfo is UTC


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed(datetime(2026, 1, 15, 23, 30), NIGHT, CPH)
