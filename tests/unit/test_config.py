"""Settings: defaults that run, and one clear line naming the variable for every wrong value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import TelegramMode, load_settings
from bot.errors import ConfigError


def test_defaults_give_a_runnable_sqlite_service() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///./brobygger.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.timezone == "Europe/Copenhagen"
    assert settings.telegram_mode is TelegramMode.POLLING
    assert settings.quiet_hours == "21:00-08:00"
    assert not settings.twilio_enabled
    assert not settings.telegram_enabled
    assert settings.sqlite_path == Path("./brobygger.db")


def test_secrets_are_not_shown_in_the_settings_repr() -> None:
    settings = load_settings(
        {
            "BROBYGGER_TWILIO_ACCOUNT_SID": "AC123",
            "BROBYGGER_TWILIO_AUTH_TOKEN": "very-secret-token",
            "BROBYGGER_TWILIO_FROM": "+4512345678",
            "BROBYGGER_TELEGRAM_TOKEN": "123:telegram-secret",
        }
    )
    assert settings.twilio_enabled and settings.telegram_enabled
    assert "very-secret-token" not in repr(settings)
    assert "telegram-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BROBYGGER_DATABASE_URL", "mysql://localhost/x", "BROBYGGER_DATABASE_URL: must start"),
        ("BROBYGGER_PUBLIC_URL", "not a url", "BROBYGGER_PUBLIC_URL: not an http(s) URL"),
        ("BROBYGGER_PUBLIC_URL", "ftp://example.org", "BROBYGGER_PUBLIC_URL"),
        ("BROBYGGER_TELEGRAM_API_URL", "localhost:8081", "BROBYGGER_TELEGRAM_API_URL"),
        ("BROBYGGER_TWILIO_API_URL", "http://", "BROBYGGER_TWILIO_API_URL"),
        ("BROBYGGER_TIMEZONE", "Europe/Aarhus", "BROBYGGER_TIMEZONE: unknown time zone"),
        ("BROBYGGER_PORT", "eighty", "BROBYGGER_PORT"),
        ("BROBYGGER_PORT", "70000", "BROBYGGER_PORT"),
        ("BROBYGGER_TELEGRAM_MODE", "carrier-pigeon", "BROBYGGER_TELEGRAM_MODE"),
        ("BROBYGGER_QUIET_HOURS", "9pm-8am", "BROBYGGER_QUIET_HOURS: expected HH:MM-HH:MM"),
        ("BROBYGGER_LOG_LEVEL", "LOUD", "BROBYGGER_LOG_LEVEL"),
        ("BROBYGGER_DISPATCH_CONCURRENCY", "0", "BROBYGGER_DISPATCH_CONCURRENCY"),
    ],
)
def test_a_wrong_value_names_its_variable(variable: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({variable: value})
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^BROBYGGER_DATABSE_URL: unknown setting"):
        load_settings({"BROBYGGER_DATABSE_URL": "sqlite+aiosqlite:///x.db"})


def test_test_suite_variables_are_not_settings() -> None:
    load_settings({"BROBYGGER_TEST_POSTGRES_URL": "postgresql+asyncpg://x@y/z"})


def test_half_configured_twilio_names_what_is_missing() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"BROBYGGER_TWILIO_ACCOUNT_SID": "AC123"})
    assert "BROBYGGER_TWILIO_AUTH_TOKEN" in str(error.value)
    assert "BROBYGGER_TWILIO_FROM" in str(error.value)


def test_telegram_webhook_mode_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="BROBYGGER_TELEGRAM_WEBHOOK_SECRET"):
        load_settings({"BROBYGGER_TELEGRAM_TOKEN": "1:x", "BROBYGGER_TELEGRAM_MODE": "webhook"})


def test_quiet_hours_can_be_switched_off() -> None:
    assert load_settings({"BROBYGGER_QUIET_HOURS": "off"}).quiet_hours == "off"


def test_base_urls_lose_their_trailing_slash() -> None:
    settings = load_settings({"BROBYGGER_PUBLIC_URL": "https://bro.example.org/"})
    assert settings.public_url == "https://bro.example.org"


def test_env_file_in_the_working_directory_is_read(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("BROBYGGER_PORT=8123\n", encoding="utf-8")
    assert load_settings().port == 8123


def test_a_wrong_value_in_the_env_file_names_its_variable(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("BROBYGGER_TIMEZONE=Nowhere/Land\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^BROBYGGER_TIMEZONE: unknown time zone"):
        load_settings()


def test_an_unknown_setting_in_the_env_file_is_refused(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("BROBYGGER_COLOUR=blue\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^BROBYGGER_COLOUR: unknown setting"):
        load_settings()


PG = {"BROBYGGER_DATABASE_URL": "postgresql+asyncpg://brobygger@db.internal/brobygger"}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "several web processes need PostgreSQL"),
        ({**PG, "BROBYGGER_TELEGRAM_TOKEN": "123:abc"}, "Telegram allows one poller per bot"),
        (PG, "the demo is seeded by one process on first start"),
    ],
)
def test_several_web_processes_refuse_what_only_one_may_do(
    environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**environ, "BROBYGGER_WEB_PROCESSES": "2"})
    assert str(error.value).startswith(f"BROBYGGER_WEB_PROCESSES: {expected}")


def test_several_web_processes_run_on_postgresql_with_telegram_webhooks() -> None:
    settings = load_settings(
        {
            **PG,
            "BROBYGGER_WEB_PROCESSES": "3",
            "BROBYGGER_TELEGRAM_TOKEN": "123:abc",
            "BROBYGGER_TELEGRAM_MODE": "webhook",
            "BROBYGGER_TELEGRAM_WEBHOOK_SECRET": "s3cret",
        }
    )
    assert settings.web_processes == 3
