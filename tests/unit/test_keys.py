"""Where keys come from: settings, the demo key file beside SQLite, or a clear refusal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.crypto import Keyring, generate_key, normalise_address
from bot.errors import ConfigError
from bot.keys import key_file_path, load_keyring


def test_postgres_without_keys_is_refused_naming_the_variables() -> None:
    settings = load_settings({"BROBYGGER_DATABASE_URL": "postgresql+asyncpg://x@127.0.0.1/db"})
    with pytest.raises(ConfigError, match="BROBYGGER_DATA_KEY and BROBYGGER_LOOKUP_KEY"):
        load_keyring(settings)


def test_sqlite_without_keys_gets_a_private_key_file_that_is_reused(tmp_path: Path) -> None:
    settings = load_settings({"BROBYGGER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/demo.db"})
    path = key_file_path(settings)
    assert path == tmp_path / "demo.keys"
    first = load_keyring(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_keyring(settings)
    token = first.encrypt("+4520123456")
    assert second.decrypt(token) == "+4520123456"
    assert first.lookup_hash("sms", "20123456") == second.lookup_hash("sms", "+4520123456")


def test_configured_keys_win_and_old_keys_still_decrypt(tmp_path: Path) -> None:
    old, new, lookup = generate_key(), generate_key(), generate_key()
    settings = load_settings(
        {
            "BROBYGGER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "BROBYGGER_DATA_KEY": new,
            "BROBYGGER_DATA_KEYS_OLD": f"{generate_key()}, {old}",
            "BROBYGGER_LOOKUP_KEY": lookup,
        }
    )
    keyring = load_keyring(settings)
    old_token = Keyring([old], lookup).encrypt("hemmelig")
    assert keyring.decrypt(old_token) == "hemmelig"
    assert not keyring.is_current(old_token)
    assert keyring.is_current(keyring.reencrypt(old_token))
    assert not (tmp_path / "x.keys").exists()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"BROBYGGER_DATA_KEY": "too-short"}, "BROBYGGER_DATA_KEY: not a key"),
        ({"BROBYGGER_DATA_KEYS_OLD": "nope"}, "BROBYGGER_DATA_KEYS_OLD: not a key"),
        ({"BROBYGGER_LOOKUP_KEY": "short"}, "BROBYGGER_LOOKUP_KEY: too short"),
    ],
)
def test_a_malformed_key_names_its_variable(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(environ)


def test_half_the_keys_is_refused() -> None:
    settings = load_settings({"BROBYGGER_DATA_KEY": generate_key()})
    with pytest.raises(ConfigError, match="BROBYGGER_LOOKUP_KEY: required"):
        load_keyring(settings)


@pytest.mark.parametrize(
    ("channel", "written", "normalised"),
    [
        ("sms", "20 12 34 56", "+4520123456"),
        ("sms", "0045 20-12-34-56", "+4520123456"),
        ("sms", "+46 70 123 45 67", "+46701234567"),
        ("telegram", " 555000111 ", "555000111"),
    ],
)
def test_addresses_are_normalised_before_hashing(
    channel: str, written: str, normalised: str
) -> None:
    assert normalise_address(channel, written) == normalised
