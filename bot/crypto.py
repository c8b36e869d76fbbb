"""Encryption at rest for phone numbers, chat ids and message bodies, and keyed lookup hashes.

Why: a copy of the database alone (a backup, a stolen laptop, a dump sent to a developer) must
reveal no phone number, no chat id and no message text. So those columns hold Fernet tokens
(AES-128-CBC with an HMAC-SHA256 tag: authenticated, so a tampered value fails loudly instead of
decrypting to garbage), and inbound lookups ("which participant has this number?") go through an
HMAC-SHA256 of the normalised address under a separate ``LOOKUP_KEY``.

Keys:

- ``DATA_KEY`` encrypts every new value; ``DATA_KEYS_OLD`` (comma-separated) only decrypt. To
  rotate: generate a key (``brobygger keys generate``), make it ``DATA_KEY``, move the previous
  one into ``DATA_KEYS_OLD``, restart, run ``brobygger keys rotate`` (re-encrypts every value
  with the new key), then drop the old key.
- ``LOOKUP_KEY`` can be changed with the service stopped: the same ``keys rotate`` recomputes
  every lookup hash from the decrypted address (inbound lookups miss until it has run).

The keyring is installed by the composition root at start-up (``bot.app``, ``bot.cli``), never at
import time; the column type (:class:`bot.models.base.EncryptedText`) asks for it when it binds or
loads a value. Tests install one in ``tests/conftest.py``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Sequence

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import BrobyggerError


class KeyringError(BrobyggerError):
    """No keyring is installed, or a stored value cannot be decrypted with any known key."""


_UNDECRYPTABLE = (
    "a stored value cannot be decrypted with DATA_KEY or DATA_KEYS_OLD "
    "(a key is missing, or the value was altered)"
)
_PHONE_NOISE = re.compile(r"[\s\-().]")


def generate_key() -> str:
    """A new random key, printable (url-safe base64 of 32 bytes), for any of the three settings."""
    return Fernet.generate_key().decode("ascii")


# Every inbound message hashes its sender: phone numbers are parsed once each, not every time.
@functools.lru_cache(maxsize=16_384)
def normalise_address(channel: str, address: str) -> str:
    """The form of an address that its lookup hash is computed from.

    Phone numbers (``sms``) become E.164 (Danish numbers may be written without +45 or with
    spaces); anything else is only stripped. The same person must hash the same way whether a
    consultant typed ``20 12 34 56`` or Twilio sent ``+4520123456``.
    """
    value = address.strip()
    if channel != "sms":
        return value
    value = _PHONE_NOISE.sub("", value)
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, "DK")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Keyring:
    """The data keys (first encrypts, all decrypt) and the lookup key."""

    def __init__(self, data_keys: Sequence[str], lookup_key: str) -> None:
        if not data_keys:
            raise ValueError("a keyring needs at least one data key")
        self._fernets = [Fernet(key.encode("ascii")) for key in data_keys]
        self._current = self._fernets[0]
        self._all = MultiFernet(self._fernets)
        self._lookup_key = lookup_key.encode("utf-8")

    def encrypt(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise KeyringError(_UNDECRYPTABLE) from None

    def is_current(self, token: str) -> bool:
        """Whether ``token`` was encrypted with the current ``DATA_KEY``."""
        try:
            self._current.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def reencrypt(self, token: str) -> str:
        """The same plaintext under the current key (fails like :meth:`decrypt`)."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise KeyringError(_UNDECRYPTABLE) from None

    def lookup_hash(self, channel: str, address: str) -> str:
        """HMAC-SHA256 (hex) of the normalised address: equal addresses, equal hashes."""
        normalised = normalise_address(channel, address).encode("utf-8")
        return hmac.new(self._lookup_key, normalised, hashlib.sha256).hexdigest()


_installed: list[Keyring] = []


def install_keyring(keyring: Keyring) -> None:
    """Make ``keyring`` the one the encrypted columns use (the composition root calls this)."""
    _installed[:] = [keyring]


def installed_keyring() -> Keyring:
    if not _installed:
        raise KeyringError(
            "no keyring installed: bot.app or bot.cli installs one at start-up "
            "(bot.keys.load_keyring)"
        )
    return _installed[0]


def uninstall_keyring() -> None:
    _installed.clear()
