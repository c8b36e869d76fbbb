"""The care settings are read once; a wrong one names its variable. Overrides are validated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.config import load_settings
from bot.errors import ConfigError
from schedules.care_rules import CareRules, Override
from schedules.plans import CheckinPlan, PreferredHour


def test_the_defaults_are_24h_and_2h_reminders_and_a_24h_reply_window() -> None:
    rules = CareRules.from_settings(load_settings({}))
    assert rules.reminder_offsets == (timedelta(hours=24), timedelta(hours=2))
    assert rules.checkin_window == timedelta(hours=24)
    assert (rules.mentor_alert_after, rules.consultant_alert_after) == (
        timedelta(hours=12),
        timedelta(hours=24),
    )
    assert rules.attendance_question_after is None
    assert rules.horizon == timedelta(days=14)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REMINDER_OFFSETS", "24 hours", "BROBYGGER_REMINDER_OFFSETS: reminder offsets must look"),
        ("MENTOR_ALERT_AFTER", "12h,1h", "BROBYGGER_MENTOR_ALERT_AFTER: expected one duration"),
        ("CHECKIN_REPLY_WINDOW", "off", "BROBYGGER_CHECKIN_REPLY_WINDOW: expected one duration"),
        ("ALERT_DIGEST_WINDOW", "0m", "BROBYGGER_ALERT_DIGEST_WINDOW: reminder offset '0m'"),
    ],
)
def test_a_wrong_duration_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        CareRules.from_settings(load_settings({f"BROBYGGER_{variable}": value}))
    assert str(error.value).startswith(message)


def test_reminders_still_ahead_are_labelled_for_their_dedupe_keys() -> None:
    from datetime import UTC, datetime

    rules = CareRules.from_settings(load_settings({"BROBYGGER_REMINDER_OFFSETS": "2d,90m"}))
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert rules.meeting_reminders(start, now=start - timedelta(days=3)) == [
        ("48h", start - timedelta(days=2)),
        ("1h30m", start - timedelta(minutes=90)),
    ]
    assert rules.meeting_reminders(start, now=start - timedelta(hours=1)) == []


def test_an_override_round_trips_through_json() -> None:
    data = {
        "paused_until": "2026-12-01",
        "plan": "0..28 weekly",
        "preferred": {"hour": 16, "minute": 30, "weekdays_only": True},
    }
    override = Override.from_json(data)
    assert override == Override(
        paused_until=date(2026, 12, 1),
        plan=CheckinPlan.parse("0..28 weekly"),
        preferred=PreferredHour(16, 30, weekdays_only=True),
    )
    assert override.to_json() == data
    assert Override.from_json({}).to_json() is None


@pytest.mark.parametrize(
    "data",
    [
        {"pause": True},
        {"paused": "yes"},
        {"paused_until": "1 December"},
        {"plan": "every day"},
        {"plan": 7},
        {"preferred": {"minute": 5}},
        {"preferred": {"hour": 25}},
        {"preferred": 16},
    ],
)
def test_a_wrong_override_is_a_value_error(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"plan override|check-in plan|preferred|Invalid"):
        Override.from_json(data)
