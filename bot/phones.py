"""Phone numbers: whatever staff type, stored as E.164 (``+4512345678``).

Danish numbers are accepted as staff and citizens write them: ``12345678``, ``+45 12 34 56 78``,
``0045 12345678``. ``phonenumbers`` does the parsing; a number without a country code is read as
Danish. Twilio sends ``From`` in E.164 already, so an inbound sender matches the stored address
exactly.
"""

from __future__ import annotations

import functools

import phonenumbers

from bot.errors import BrobyggerError

DEFAULT_REGION = "DK"


class PhoneNumberError(BrobyggerError):
    """A phone number could not be read or is not a possible number."""


def to_e164(text: str, *, region: str = DEFAULT_REGION) -> str:
    """``text`` as an E.164 number, or :class:`PhoneNumberError` saying what is wrong."""
    cleaned = text.strip()
    if cleaned.startswith("00"):
        # phonenumbers reads the international prefix only for the default region's own
        # convention; "00" is the prefix in all of Europe, so read it as "+".
        cleaned = "+" + cleaned[2:]
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        raise PhoneNumberError(f"not a phone number: {text!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(f"not a valid phone number: {text!r}")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# Every inbound SMS reads its sender's number; parsing it costs more than the rest of reading
# the webhook's form, and the same few thousand citizens write again and again.
@functools.lru_cache(maxsize=16_384)
def maybe_e164(text: str, *, region: str = DEFAULT_REGION) -> str | None:
    """``to_e164`` for a sender's number; None when it cannot be read (kept as received)."""
    try:
        return to_e164(text, region=region)
    except PhoneNumberError:
        return None
