"""Check-in cadence, meeting reminders, reply deadlines and escalation, in Europe/Copenhagen.

Every expected instant is written out in UTC: 10:00 local is 09:00Z in winter (CET) and
08:00Z in summer (CEST). In 2026 the clocks go forward on Sunday 29 March and back on
Sunday 25 October.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schedules.plans import (
    DEFAULT_CHECKIN_PLAN,
    CheckinPhase,
    CheckinPlan,
    EscalationSteps,
    PreferredHour,
    QuestionKind,
    checkin_times,
    escalation_steps,
    format_offset,
    parse_offsets,
    reminder_times,
    reply_deadline,
)
from schedules.quiet_hours import QuietHours

CPH = ZoneInfo("Europe/Copenhagen")
H = timedelta(hours=1)
NIGHT = QuietHours.parse("21:00-08:00")


def at(text: str) -> datetime:
    """An instant from ISO text that carries its own offset ("Z" or "+02:00")."""
    instant = datetime.fromisoformat(text)
    assert instant.tzinfo is not None, text
    return instant


def ats(*texts: str) -> list[datetime]:
    return [at(text) for text in texts]


def assert_utc_in_window(instants: list[datetime], start: datetime, until: datetime) -> None:
    assert all(instant.tzinfo is UTC for instant in instants)
    assert all(start <= instant < until for instant in instants)
    assert instants == sorted(instants)


# --- The default plan --------------------------------------------------------------------


def test_the_default_plan_is_weekly_then_daily_then_twice_weekly_then_weekly() -> None:
    assert list(DEFAULT_CHECKIN_PLAN.days()) == [
        *(-28, -21, -14, -7),  # weekly in the last four weeks before release
        *(0, 1, 2, 3, 4, 5, 6),  # daily in the first week, the release day included
        *(7, 10, 14, 17, 21, 24),  # twice a week until week 4
        *(28, 35, 42, 49, 56, 63, 70, 77),  # weekly until week 12
    ]


# --- Check-in times ------------------------------------------------------------------------

CHECKIN_CASES = [
    pytest.param(
        date(2026, 5, 4), "2026-05-04T00:00Z", "2026-05-05T00:00Z",
        ats("2026-05-04T08:00Z"),
        id="release-day-itself-has-a-check-in",
    ),
    pytest.param(
        date(2026, 5, 4), "2026-04-01T00:00Z", "2026-05-04T00:00Z",
        ats("2026-04-06T08:00Z", "2026-04-13T08:00Z", "2026-04-20T08:00Z", "2026-04-27T08:00Z"),
        id="weekly-in-the-last-four-weeks-before-release",
    ),
    pytest.param(
        date(2026, 5, 4), "2026-05-01T00:00Z", "2026-05-12T00:00Z",
        ats("2026-05-04T08:00Z", "2026-05-05T08:00Z", "2026-05-06T08:00Z", "2026-05-07T08:00Z",
            "2026-05-08T08:00Z", "2026-05-09T08:00Z", "2026-05-10T08:00Z", "2026-05-11T08:00Z"),
        id="daily-in-the-first-week-after-release",
    ),
    pytest.param(
        date(2026, 5, 4), "2026-05-11T00:00Z", "2026-06-08T00:00Z",
        ats("2026-05-11T08:00Z", "2026-05-14T08:00Z", "2026-05-18T08:00Z", "2026-05-21T08:00Z",
            "2026-05-25T08:00Z", "2026-05-28T08:00Z", "2026-06-01T08:00Z"),
        id="twice-weekly-until-week-4-then-weekly",
    ),
    pytest.param(
        date(2026, 5, 4), "2026-07-15T00:00Z", "2026-09-01T00:00Z",
        ats("2026-07-20T08:00Z"),
        id="the-last-check-in-is-in-week-12",
    ),
    pytest.param(
        date(2026, 1, 5), "2026-01-20T12:00Z", "2026-02-03T00:00Z",
        ats("2026-01-22T09:00Z", "2026-01-26T09:00Z", "2026-01-29T09:00Z", "2026-02-02T09:00Z"),
        id="release-in-the-past-yields-only-future-check-ins",
    ),
    pytest.param(
        date(2025, 1, 6), "2026-01-20T12:00Z", "2026-03-01T00:00Z",
        [],
        id="release-long-past-and-plan-over-yields-nothing",
    ),
    pytest.param(
        date(2026, 1, 5), "2026-01-22T09:00Z", "2026-01-29T09:00Z",
        ats("2026-01-22T09:00Z", "2026-01-26T09:00Z"),
        id="start-is-inclusive-until-is-exclusive",
    ),
    pytest.param(
        date(2026, 1, 5), "2026-01-29T09:00Z", "2026-01-22T09:00Z",
        [],
        id="an-empty-window-yields-nothing",
    ),
    pytest.param(
        date(2026, 3, 27), "2026-03-27T00:00Z", "2026-03-31T00:00Z",
        ats("2026-03-27T09:00Z", "2026-03-28T09:00Z", "2026-03-29T08:00Z", "2026-03-30T08:00Z"),
        id="daily-10-local-across-march-dst",
    ),
    pytest.param(
        date(2026, 10, 23), "2026-10-23T00:00Z", "2026-10-27T00:00Z",
        ats("2026-10-23T08:00Z", "2026-10-24T08:00Z", "2026-10-25T09:00Z", "2026-10-26T09:00Z"),
        id="daily-10-local-across-october-dst",
    ),
    pytest.param(
        date(2026, 4, 12), "2026-03-01T00:00Z", "2026-04-12T00:00Z",
        ats("2026-03-15T09:00Z", "2026-03-22T09:00Z", "2026-03-29T08:00Z", "2026-04-05T08:00Z"),
        id="weekly-before-release-across-march-dst",
    ),
    pytest.param(
        date(2026, 9, 21), "2026-10-16T00:00Z", "2026-11-03T00:00Z",
        ats("2026-10-19T08:00Z", "2026-10-26T09:00Z", "2026-11-02T09:00Z"),
        id="weekly-after-release-across-october-dst",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("release", "start", "until", "expected"), CHECKIN_CASES)
def test_default_plan_checks_in_at_10_local(
    release: date, start: str, until: str, expected: list[datetime]
) -> None:
    times = checkin_times(DEFAULT_CHECKIN_PLAN, release, CPH, start=at(start), until=at(until))
    assert times == expected
    assert_utc_in_window(times, at(start), at(until))


@pytest.mark.parametrize(
    ("preferred", "release", "start", "until", "expected"),
    [
        pytest.param(
            PreferredHour(16, weekdays_only=True),
            date(2026, 5, 8), "2026-05-08T00:00Z", "2026-05-12T00:00Z",
            # Fri 16:00, Sat 10:00, Sun 10:00, Mon 16:00 (CEST)
            ats("2026-05-08T14:00Z", "2026-05-09T08:00Z", "2026-05-10T08:00Z",
                "2026-05-11T14:00Z"),
            id="after-16-on-weekdays-weekends-keep-10",
        ),
        pytest.param(
            PreferredHour(16, weekdays_only=True),
            date(2026, 3, 27), "2026-03-27T00:00Z", "2026-03-31T00:00Z",
            # Fri 16:00 CET, Sat 10:00 CET, Sun 10:00 CEST, Mon 16:00 CEST
            ats("2026-03-27T15:00Z", "2026-03-28T09:00Z", "2026-03-29T08:00Z",
                "2026-03-30T14:00Z"),
            id="after-16-on-weekdays-across-march-dst",
        ),
        pytest.param(
            PreferredHour(18, 30),
            date(2026, 5, 8), "2026-05-08T00:00Z", "2026-05-11T00:00Z",
            ats("2026-05-08T16:30Z", "2026-05-09T16:30Z", "2026-05-10T16:30Z"),
            id="18-30-every-day-including-weekends",
        ),
        pytest.param(
            PreferredHour(18, 30),
            date(2026, 10, 24), "2026-10-24T00:00Z", "2026-10-26T00:00Z",
            ats("2026-10-24T16:30Z", "2026-10-25T17:30Z"),
            id="18-30-across-october-dst",
        ),
        pytest.param(
            PreferredHour(2, 30),
            date(2026, 3, 29), "2026-03-29T00:00Z", "2026-03-30T00:00Z",
            ats("2026-03-29T01:00Z"),
            id="02-30-in-the-march-gap-moves-to-the-gap-end",
        ),
        pytest.param(
            PreferredHour(2, 30),
            date(2026, 10, 25), "2026-10-25T00:00Z", "2026-10-26T00:00Z",
            ats("2026-10-25T00:30Z"),
            id="02-30-in-the-october-overlap-takes-the-first",
        ),
    ],
)  # fmt: skip
def test_check_ins_go_at_the_preferred_local_time(
    preferred: PreferredHour, release: date, start: str, until: str, expected: list[datetime]
) -> None:
    times = checkin_times(
        DEFAULT_CHECKIN_PLAN, release, CPH, start=at(start), until=at(until), preferred=preferred
    )
    assert times == expected
    assert_utc_in_window(times, at(start), at(until))


def test_a_pause_skips_check_ins_until_the_day_it_ends() -> None:
    times = checkin_times(
        DEFAULT_CHECKIN_PLAN,
        date(2026, 5, 4),
        CPH,
        start=at("2026-05-01T00:00Z"),
        until=at("2026-05-12T00:00Z"),
        paused_until=date(2026, 5, 7),
    )
    assert times == ats(
        "2026-05-07T08:00Z",
        "2026-05-08T08:00Z",
        "2026-05-09T08:00Z",
        "2026-05-10T08:00Z",
        "2026-05-11T08:00Z",
    )


NOW_ON_DAY_9 = "2026-05-13T12:00Z"  # release 2026-05-04, day 9 at 14:00 local


@pytest.mark.parametrize(
    ("plan_text", "expected"),
    [
        pytest.param(
            "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly",
            ats("2026-05-14T08:00Z", "2026-05-18T08:00Z", "2026-05-21T08:00Z",
                "2026-05-25T08:00Z", "2026-05-28T08:00Z", "2026-06-01T08:00Z"),
            id="unchanged-default-plan",
        ),
        pytest.param(
            "0..7 daily, 7..84 weekly",
            ats("2026-05-18T08:00Z", "2026-05-25T08:00Z", "2026-06-01T08:00Z"),
            id="twice-weekly-dropped-for-weekly",
        ),
        pytest.param(
            "0..14 daily, 14..84 weekly",
            ats("2026-05-14T08:00Z", "2026-05-15T08:00Z", "2026-05-16T08:00Z",
                "2026-05-17T08:00Z", "2026-05-18T08:00Z", "2026-05-25T08:00Z",
                "2026-06-01T08:00Z"),
            id="daily-phase-extended-to-two-weeks",
        ),
        pytest.param("", [], id="check-ins-switched-off"),
    ],
)  # fmt: skip
def test_a_plan_edited_mid_way_applies_from_now_and_never_reaches_back(
    plan_text: str, expected: list[datetime]
) -> None:
    now, until = at(NOW_ON_DAY_9), at("2026-06-02T00:00Z")
    plan = CheckinPlan.parse(plan_text)
    times = checkin_times(plan, date(2026, 5, 4), CPH, start=now, until=until)
    assert times == expected
    assert_utc_in_window(times, now, until)


def test_a_naive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="start must be a timezone-aware"):
        checkin_times(
            DEFAULT_CHECKIN_PLAN,
            date(2026, 5, 4),
            CPH,
            start=datetime(2026, 5, 4),
            until=at("2026-05-05T00:00Z"),
        )


# --- Plans as text and JSON --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phases", "canonical"),
    [
        (
            "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly",
            (
                CheckinPhase(-28, 0, (7,)),
                CheckinPhase(0, 7, (1,)),
                CheckinPhase(7, 28, (3, 4)),
                CheckinPhase(28, 84, (7,)),
            ),
            "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly",
        ),
        ("0..14 every 2", (CheckinPhase(0, 14, (2,)),), "0..14 every 2"),
        ("0 .. 28  EVERY 3, 4", (CheckinPhase(0, 28, (3, 4)),), "0..28 twice-weekly"),
        ("84..182 every 14", (CheckinPhase(84, 182, (14,)),), "84..182 every 14"),
        ("", (), ""),
    ],
)
def test_a_plan_parses_from_text_and_prints_canonically(
    text: str, phases: tuple[CheckinPhase, ...], canonical: str
) -> None:
    plan = CheckinPlan.parse(text)
    assert plan.phases == phases
    assert str(plan) == canonical
    assert CheckinPlan.parse(str(plan)) == plan


def test_every_2_days_counts_from_the_start_of_its_phase() -> None:
    assert list(CheckinPlan.parse("-3..6 every 2, 6..9 every 1,2").days()) == [
        *(-3, -1, 1, 3, 5),
        *(6, 7),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0..7 hourly", "unknown cadence 'hourly'"),
        ("0..7 daily,", "unknown cadence 'daily,'"),
        ("0..7 every 3,,4", "unknown cadence"),
        ("0..7 every", "unknown cadence"),
        ("weekly", "cannot read 'weekly'"),
        ("0-7 daily", "cannot read"),
        ("7..0 daily", "must end after it starts"),
        ("7..7 daily", "must end after it starts"),
        ("0..7 daily, 5..14 weekly", "overlap or are out of order"),
        ("7..14 weekly, 0..7 daily", "overlap or are out of order"),
        ("0..7 every 0", "gaps are whole days >= 1"),
        ("0..99999 weekly", "beyond 3660 days"),
    ],
)
def test_a_bad_plan_text_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CheckinPlan.parse(text)


def test_a_plan_round_trips_through_json() -> None:
    plan = CheckinPlan.parse("-7..0 weekly, 0..28 twice-weekly")
    stored = json.dumps(plan.to_dict())
    assert json.loads(stored) == {
        "phases": [
            {"from_day": -7, "to_day": 0, "every_days": [7]},
            {"from_day": 0, "to_day": 28, "every_days": [3, 4]},
        ]
    }
    assert CheckinPlan.from_dict(json.loads(stored)) == plan
    assert CheckinPlan.from_dict(DEFAULT_CHECKIN_PLAN.to_dict()) == DEFAULT_CHECKIN_PLAN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "exactly one key, 'phases'"),
        ({"phases": [], "version": 2}, "exactly one key, 'phases'"),
        ({"phases": "weekly"}, "'phases' must be a list"),
        ({"phases": [{"from_day": 0, "to_day": 7}]}, "each phase needs exactly"),
        ({"phases": [{"from_day": 0, "to_day": 7, "every_days": [1], "x": 1}]}, "exactly"),
        ({"phases": [{"from_day": "0", "to_day": 7, "every_days": [1]}]}, "whole number"),
        ({"phases": [{"from_day": 0, "to_day": 7.5, "every_days": [1]}]}, "whole number"),
        ({"phases": [{"from_day": 0, "to_day": 7, "every_days": [True]}]}, "whole number"),
        ({"phases": [{"from_day": 0, "to_day": 7, "every_days": 1}]}, "must be a list"),
        ({"phases": [{"from_day": 0, "to_day": 7, "every_days": []}]}, "at least one gap"),
    ],
)
def test_a_bad_stored_plan_is_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CheckinPlan.from_dict(data)


@pytest.mark.parametrize(("hour", "minute"), [(24, 0), (-1, 0), (16, 60)])
def test_a_preferred_time_must_be_a_time_of_day(hour: int, minute: int) -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        PreferredHour(hour, minute)


# --- Meeting reminders ---------------------------------------------------------------------

MEETING = "2026-05-20T08:00Z"  # Wednesday 10:00 CEST


@pytest.mark.parametrize(
    ("starts_at", "offsets", "now", "expected"),
    [
        pytest.param(
            MEETING, (24 * H, 2 * H), "2026-05-18T00:00Z",
            [(24 * H, at("2026-05-19T08:00Z")), (2 * H, at("2026-05-20T06:00Z"))],
            id="both-reminders-ahead",
        ),
        pytest.param(
            MEETING, (24 * H, 2 * H), "2026-05-19T08:00Z",
            [(24 * H, at("2026-05-19T08:00Z")), (2 * H, at("2026-05-20T06:00Z"))],
            id="a-reminder-due-exactly-now-is-kept",
        ),
        pytest.param(
            MEETING, (24 * H, 2 * H), "2026-05-19T08:00:01Z",
            [(2 * H, at("2026-05-20T06:00Z"))],
            id="a-past-reminder-is-skipped",
        ),
        pytest.param(
            MEETING, (24 * H, 2 * H), "2026-05-20T07:00Z", [],
            id="both-reminders-past",
        ),
        pytest.param(
            MEETING, (24 * H, 2 * H), "2026-05-21T00:00Z", [],
            id="meeting-over",
        ),
        pytest.param(
            MEETING, (2 * H, 72 * H, 24 * H, 24 * H), "2026-05-01T00:00Z",
            [(72 * H, at("2026-05-17T08:00Z")), (24 * H, at("2026-05-19T08:00Z")),
             (2 * H, at("2026-05-20T06:00Z"))],
            id="unordered-duplicate-offsets-sorted-and-merged",
        ),
        pytest.param(
            MEETING, (), "2026-05-01T00:00Z", [],
            id="no-offsets-no-reminders",
        ),
        pytest.param(
            "2026-03-29T10:00+02:00", (24 * H, 2 * H), "2026-03-01T00:00Z",
            # elapsed time: 24 h before 10:00 CEST is 09:00 CET the day before
            [(24 * H, at("2026-03-28T08:00Z")), (2 * H, at("2026-03-29T06:00Z"))],
            id="march-dst-offsets-are-elapsed-time",
        ),
        pytest.param(
            "2026-10-25T10:00+01:00", (24 * H, 2 * H), "2026-10-01T00:00Z",
            # elapsed time: 24 h before 10:00 CET is 11:00 CEST the day before
            [(24 * H, at("2026-10-24T09:00Z")), (2 * H, at("2026-10-25T07:00Z"))],
            id="october-dst-offsets-are-elapsed-time",
        ),
    ],
)  # fmt: skip
def test_meeting_reminders_fall_at_offsets_before_the_start(
    starts_at: str,
    offsets: tuple[timedelta, ...],
    now: str,
    expected: list[tuple[timedelta, datetime]],
) -> None:
    reminders = reminder_times(at(starts_at), offsets, now=at(now))
    assert reminders == expected
    assert all(instant.tzinfo is UTC for _, instant in reminders)


def test_meeting_reminders_default_to_24h_and_2h() -> None:
    assert reminder_times(at(MEETING), now=at("2026-05-18T00:00Z")) == [
        (24 * H, at("2026-05-19T08:00Z")),
        (2 * H, at("2026-05-20T06:00Z")),
    ]


@pytest.mark.parametrize("offset", [timedelta(0), -2 * H])
def test_a_reminder_offset_must_be_positive(offset: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        reminder_times(at(MEETING), (24 * H, offset), now=at("2026-05-18T00:00Z"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h,2h", (24 * H, 2 * H)),
        ("2h, 24h", (24 * H, 2 * H)),
        ("48H, 2H", (48 * H, 2 * H)),
        ("1d", (24 * H,)),
        ("1d2h", (26 * H,)),
        ("90m", (timedelta(minutes=90),)),
        ("1h30m", (timedelta(minutes=90),)),
        ("1 h 30 m", (timedelta(minutes=90),)),
        ("90d", (timedelta(days=90),)),
        ("", ()),
        ("off", ()),
    ],
)
def test_reminder_offsets_parse_largest_first(text: str, expected: tuple[timedelta, ...]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24", "must look like '24h,2h'"),
        ("h", "must look like"),
        ("-2h", "must look like"),
        ("2x", "must look like"),
        ("2h30", "must look like"),
        ("1m1h", "must look like"),
        ("24h,,2h", "must look like"),
        ("24h,", "must look like"),
        ("0h", "between 1m and 90d"),
        ("91d", "between 1m and 90d"),
        ("99999999999999999999m", "between 1m and 90d"),
        ("24h,1d", "given twice"),
    ],
)
def test_garbage_reminder_offsets_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_offsets(text)


@pytest.mark.parametrize(
    ("offset", "label"),
    [
        (24 * H, "24h"),
        (2 * H, "2h"),
        (48 * H, "48h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(minutes=30), "30m"),
    ],
)
def test_an_offset_label_is_stable_for_dedupe_keys(offset: timedelta, label: str) -> None:
    assert format_offset(offset) == label
    assert parse_offsets(label) == (offset,)


@pytest.mark.parametrize("offset", [timedelta(0), -H, timedelta(seconds=30)])
def test_an_offset_label_needs_positive_whole_minutes(offset: timedelta) -> None:
    with pytest.raises(ValueError, match="positive whole number of minutes"):
        format_offset(offset)


# --- Reply deadlines -----------------------------------------------------------------------

ASKED = "2026-05-04T08:00Z"


@pytest.mark.parametrize(
    ("kind", "meeting", "window", "expected"),
    [
        pytest.param(QuestionKind.CHECKIN, None, None, "2026-05-05T08:00Z",
                     id="check-in-24h-after-asked"),
        pytest.param(QuestionKind.CHECKIN, None, 12 * H, "2026-05-04T20:00Z",
                     id="check-in-custom-window"),
        pytest.param(QuestionKind.MEETING_CONFIRMATION, "2026-05-10T08:00Z", None,
                     "2026-05-05T08:00Z", id="confirmation-24h-when-the-meeting-is-far"),
        pytest.param(QuestionKind.MEETING_CONFIRMATION, "2026-05-06T00:00Z", None,
                     "2026-05-04T22:00Z", id="confirmation-26h-before-a-meeting-40h-away"),
        pytest.param(QuestionKind.MEETING_CONFIRMATION, "2026-05-05T10:30Z", None,
                     "2026-05-04T09:00Z", id="confirmation-at-least-1h-when-the-cap-is-too-close"),
        pytest.param(QuestionKind.MEETING_CONFIRMATION, "2026-05-04T18:00Z", None,
                     "2026-05-04T09:00Z", id="confirmation-1h-for-a-meeting-later-today"),
        pytest.param(QuestionKind.MEETING_CONFIRMATION, "2026-05-04T08:30Z", None,
                     "2026-05-04T08:30Z", id="confirmation-never-after-the-meeting-starts"),
        pytest.param(QuestionKind.MEETING_CONFIRMATION, "2026-05-04T07:00Z", None,
                     "2026-05-04T08:00Z", id="confirmation-for-a-started-meeting-is-due-at-once"),
    ],
)  # fmt: skip
def test_a_question_has_a_reply_deadline(
    kind: QuestionKind, meeting: str | None, window: timedelta | None, expected: str
) -> None:
    windows = {} if window is None else {"checkin_window": window}
    deadline = reply_deadline(
        kind, at(ASKED), meeting_starts_at=at(meeting) if meeting else None, **windows
    )
    assert deadline == at(expected)
    assert deadline.tzinfo is UTC


def test_a_deadline_asked_in_local_time_comes_back_in_utc() -> None:
    deadline = reply_deadline(QuestionKind.CHECKIN, at("2026-05-04T10:00+02:00"))
    assert deadline == at("2026-05-05T08:00Z")
    assert deadline.tzinfo is UTC


@pytest.mark.parametrize(
    ("kind", "meeting", "message"),
    [
        (QuestionKind.MEETING_CONFIRMATION, None, "needs meeting_starts_at"),
        (QuestionKind.CHECKIN, "2026-05-10T08:00Z", "only applies to meeting confirmations"),
    ],
)
def test_a_deadline_needs_a_meeting_exactly_for_confirmations(
    kind: QuestionKind, meeting: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        reply_deadline(kind, at(ASKED), meeting_starts_at=at(meeting) if meeting else None)


# --- Escalation ----------------------------------------------------------------------------


def test_escalation_defaults_to_mentor_after_12h_and_consultant_24h_after_that() -> None:
    assert escalation_steps(at("2026-05-05T08:00Z")) == EscalationSteps(
        nudge_at=at("2026-05-05T08:00Z"),
        mentor_alert_at=at("2026-05-05T20:00Z"),
        consultant_alert_at=at("2026-05-06T20:00Z"),
    )


@pytest.mark.parametrize(
    ("deadline", "mentor_after", "consultant_after", "quiet", "expected"),
    [
        pytest.param(
            "2026-05-05T08:00Z", 6 * H, 48 * H, None,
            EscalationSteps(at("2026-05-05T08:00Z"), at("2026-05-05T14:00Z"),
                            at("2026-05-07T14:00Z")),
            id="custom-periods",
        ),
        pytest.param(
            "2026-05-05T12:00Z", 12 * H, 24 * H, NIGHT,  # 14:00 CEST
            EscalationSteps(at("2026-05-05T12:00Z"), at("2026-05-06T00:00Z"),
                            at("2026-05-07T00:00Z")),
            id="deadline-outside-quiet-hours-unchanged",
        ),
        pytest.param(
            "2026-05-05T20:00Z", 12 * H, 24 * H, NIGHT,  # 22:00 CEST
            EscalationSteps(at("2026-05-06T06:00Z"), at("2026-05-06T18:00Z"),
                            at("2026-05-07T18:00Z")),
            id="nudge-waits-for-the-morning-and-the-mentor-alert-counts-from-it",
        ),
        pytest.param(
            "2026-03-28T22:30Z", 12 * H, 24 * H, NIGHT,  # 23:30 CET, clocks go forward
            EscalationSteps(at("2026-03-29T06:00Z"), at("2026-03-29T18:00Z"),
                            at("2026-03-30T18:00Z")),
            id="nudge-waits-for-08-cest-across-march-dst",
        ),
        pytest.param(
            "2026-10-24T21:30Z", 12 * H, 24 * H, NIGHT,  # 23:30 CEST, clocks go back
            EscalationSteps(at("2026-10-25T07:00Z"), at("2026-10-25T19:00Z"),
                            at("2026-10-26T19:00Z")),
            id="nudge-waits-for-08-cet-across-october-dst",
        ),
    ],
)  # fmt: skip
def test_an_unanswered_question_escalates_step_by_step(
    deadline: str,
    mentor_after: timedelta,
    consultant_after: timedelta,
    quiet: QuietHours | None,
    expected: EscalationSteps,
) -> None:
    steps = escalation_steps(
        at(deadline),
        mentor_after=mentor_after,
        consultant_after=consultant_after,
        quiet=quiet,
        tz=CPH,
    )
    assert steps == expected
    assert steps.nudge_at.tzinfo is UTC


def test_escalation_with_quiet_hours_needs_the_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        escalation_steps(at("2026-05-05T08:00Z"), quiet=NIGHT)


@pytest.mark.parametrize(
    ("mentor_after", "consultant_after"), [(timedelta(0), 24 * H), (12 * H, -H)]
)
def test_escalation_periods_must_be_positive(
    mentor_after: timedelta, consultant_after: timedelta
) -> None:
    with pytest.raises(ValueError, match="positive"):
        escalation_steps(
            at("2026-05-05T08:00Z"), mentor_after=mentor_after, consultant_after=consultant_after
        )
