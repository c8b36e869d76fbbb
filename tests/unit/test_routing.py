"""Which address a message goes to, and how long a retry waits."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bot.channels.routing import Candidate, Route, citizen_route, staff_route
from bot.models import AddressStatus, ChannelKind
from schedules.outcomes import Backoff

SMS = Candidate(ChannelKind.SMS, "+4520000001", AddressStatus.ACTIVE, priority=0, id=1)
TELEGRAM = Candidate(ChannelKind.TELEGRAM, "4242", AddressStatus.ACTIVE, priority=1, id=2)


def test_the_first_active_address_by_priority_is_chosen():
    assert citizen_route([TELEGRAM, SMS], {None}) == Route(ChannelKind.SMS, "+4520000001")


def test_a_dead_address_is_skipped():
    dead = Candidate(ChannelKind.SMS, "+4520000001", AddressStatus.OPTED_OUT, priority=0, id=1)
    assert citizen_route([dead, TELEGRAM], {None}) == Route(ChannelKind.TELEGRAM, "4242")


def test_only_consented_channels_are_used_when_consent_names_a_channel():
    assert citizen_route([SMS, TELEGRAM], {ChannelKind.TELEGRAM}) == Route(
        ChannelKind.TELEGRAM, "4242"
    )
    assert citizen_route([TELEGRAM], {ChannelKind.SMS}) is None


def test_before_any_consent_every_active_address_may_carry_the_consent_question():
    assert citizen_route([SMS], set()) == Route(ChannelKind.SMS, "+4520000001")


def test_staff_prefer_telegram_then_phone_then_the_simulator():
    assert staff_route(1, telegram_chat_id="9", phone="+45") == Route(ChannelKind.TELEGRAM, "9")
    assert staff_route(1, telegram_chat_id=None, phone="+45") == Route(ChannelKind.SMS, "+45")
    assert staff_route(7, telegram_chat_id=None, phone=None) == Route(
        ChannelKind.SIMULATOR, "staff-7"
    )


@pytest.mark.parametrize(
    ("attempts", "ceiling"), [(1, 30), (2, 60), (3, 120), (8, 3600), (40, 3600)]
)
def test_backoff_doubles_up_to_the_cap_with_jitter(attempts, ceiling):
    rng = random.Random(attempts)
    delays = [Backoff().delay(attempts, rng, None) for _ in range(200)]
    assert all(timedelta(seconds=ceiling / 2) <= d <= timedelta(seconds=ceiling) for d in delays)
    assert len(set(delays)) > 100  # jittered, so workers do not retry in step


def test_backoff_honours_the_providers_retry_after():
    delay = Backoff().delay(1, random.Random(1), 600)
    assert timedelta(seconds=600) <= delay <= timedelta(seconds=720)
