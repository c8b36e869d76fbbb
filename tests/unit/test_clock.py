from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.clock import FakeClock, SystemClock


def test_fake_clock_moves_only_when_advanced() -> None:
    clock = FakeClock(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert clock.advance(timedelta(hours=2)) == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)


def test_fake_clock_answers_in_utc() -> None:
    clock = FakeClock(datetime(2026, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fake_clock_refuses_naive_times_and_going_backwards() -> None:
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 1, 1))
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        clock.set(datetime(2025, 12, 31, tzinfo=UTC))


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC
