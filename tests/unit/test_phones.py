"""Phone numbers as staff type them, stored as E.164."""

from __future__ import annotations

import pytest

from bot.phones import PhoneNumberError, maybe_e164, to_e164


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("20304050", "+4520304050"),
        ("+45 20 30 40 50", "+4520304050"),
        ("0045 20304050", "+4520304050"),
        ("004520304050", "+4520304050"),
        ("+4520304050", "+4520304050"),
        (" 20-30-40-50 ", "+4520304050"),
        ("(+45) 2030 4050", "+4520304050"),
        ("+46 70 123 45 67", "+46701234567"),  # a Swedish mobile
        ("0046701234567", "+46701234567"),
    ],
)
def test_numbers_are_stored_as_e164(typed, stored):
    assert to_e164(typed) == stored


@pytest.mark.parametrize("typed", ["", "abc", "1234", "+45 1234", "2030405060708090", "+999 1"])
def test_impossible_numbers_are_refused_with_the_input_named(typed):
    with pytest.raises(PhoneNumberError, match="phone number"):
        to_e164(typed)


def test_a_sender_that_is_not_a_number_is_kept_as_received():
    assert maybe_e164("Brobygger") is None
    assert maybe_e164("+4520304050") == "+4520304050"
