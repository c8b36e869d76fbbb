"""Twilio's webhook signature as ``is_signed`` checks it: what the twilio library's own validator
accepts, and nothing it refuses."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from handlers.twilio_signature import is_signed

TOKEN = "test-twilio-auth-token"
URL = "https://brobygger.example.org/twilio/sms"
FORM = [("MessageSid", "SM" + "1" * 32), ("From", "+4520304050"), ("Body", "Ja tak")]


def signature(url: str, form: list[tuple[str, str]], token: str = TOKEN) -> str:
    values: dict[str, list[str]] = {}
    for name, value in form:
        values.setdefault(name, []).append(value)

    class Multi(dict[str, list[str]]):
        def getall(self, name: str) -> list[str]:
            return self[name]

    computed: str = RequestValidator(token).compute_signature(url, Multi(values))
    return computed


CHANGED = [*FORM[:2], ("Body", "Nej")]
REPEATED = [*FORM, ("MediaUrl", "b"), ("MediaUrl", "a")]


@pytest.mark.parametrize(
    ("signed_url", "signed", "received", "token", "accepted"),
    [
        (URL, FORM, FORM, TOKEN, True),
        # Twilio signs with or without the default port; the validator takes both.
        ("https://brobygger.example.org:443/twilio/sms", FORM, FORM, TOKEN, True),
        (URL, REPEATED, REPEATED, TOKEN, True),
        (URL, FORM, FORM, "another-token", False),
        ("https://elsewhere.example.org/twilio/sms", FORM, FORM, TOKEN, False),
        (URL, FORM, CHANGED, TOKEN, False),
    ],
    ids=["as-called", "default-port", "repeated-keys", "other-token", "other-host", "changed"],
)
def test_a_signature_is_accepted_exactly_when_twilios_validator_accepts_it(
    signed_url, signed, received, token, accepted
):
    given = signature(signed_url, signed, token)
    assert is_signed(TOKEN, URL, FormData(received), given) is accepted


def test_no_signature_is_refused():
    assert is_signed(TOKEN, URL, FormData(dict(FORM)), "") is False
