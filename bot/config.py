"""Settings: read once from the environment (prefix ``BROBYGGER_``) and ``.env``, then passed down.

A wrong value stops start-up with one line naming the variable (:class:`bot.errors.ConfigError`).
"""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

ENV_PREFIX = "BROBYGGER_"
# Variables with this prefix belong to the test suite, not to the service.
_TEST_PREFIX = "BROBYGGER_TEST_"
_QUIET_HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")


class TelegramMode(enum.StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


def _check_http_url(value: str, *, base_only: bool = False) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    if base_only and (parts.query or parts.fragment):
        raise ValueError(f"must be a base URL without query or fragment: {value!r}")
    return value.rstrip("/") if base_only else value


class Settings(BaseSettings):
    """Every setting of the service; ``.env.example`` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        frozen=True,
    )

    database_url: str = "sqlite+aiosqlite:///./brobygger.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    # Web processes serving HOST:PORT together (uvicorn's workers: one listening socket, the
    # kernel hands each connection to one of them). More than one needs PostgreSQL.
    web_processes: int = Field(default=1, ge=1, le=64)
    secret_key: SecretStr | None = None
    timezone: str = "Europe/Copenhagen"
    log_level: str = "INFO"
    quiet_hours: str = "21:00-08:00"

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_mode: TelegramMode = TelegramMode.POLLING
    telegram_webhook_secret: SecretStr | None = None

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"

    # Dispatcher tuning: how many due messages one tick claims, how many sends run at once,
    # how long a claim is held before another worker may take the row back.
    dispatch_batch_size: int = Field(default=500, ge=1, le=10_000)
    dispatch_concurrency: int = Field(default=64, ge=1, le=1_000)
    dispatch_interval_seconds: float = Field(default=2.0, gt=0, le=3600)
    send_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    lease_seconds: int = Field(default=120, ge=10, le=86_400)
    max_attempts: int = Field(default=6, ge=1, le=50)

    # Encryption at rest (bot.crypto): DATA_KEY encrypts, DATA_KEYS_OLD (comma-separated) only
    # decrypt, LOOKUP_KEY keys the hashes that inbound messages are matched by. Unset with a
    # SQLite file: generated into a key file beside it (bot.keys); unset with PostgreSQL: refused.
    data_key: SecretStr | None = None
    data_keys_old: SecretStr | None = None
    lookup_key: SecretStr | None = None
    # Retention (bot.services.erasure, schedules.retention): erase a participant this many days
    # after their case was closed; blank message texts older than this many days.
    retention_days: int = Field(default=730, ge=30, le=36_500)
    message_body_retention_days: int = Field(default=365, ge=7, le=36_500)
    # Care plans, meetings and alerts. Durations look like "24h", "90m" or "1d12h"; they are
    # checked at start-up by ``schedules.care_rules`` (a wrong one stops start-up, naming it).
    reminder_offsets: str = "24h,2h"
    checkin_reply_window: str = "24h"
    confirmation_reply_window: str = "24h"
    confirmation_margin: str = "26h"
    attendance_question_after: str = "off"
    mentor_alert_after: str = "12h"
    consultant_alert_after: str = "24h"
    alert_digest_window: str = "10m"
    planning_horizon_days: int = Field(default=14, ge=1, le=365)
    # Each process reloads the admins' message texts this often (bot.services.text_overrides).
    text_refresh_seconds: float = Field(default=10.0, gt=0, le=3600)

    # Seed a demo programme (invented people) on first start when no channel is configured.
    demo: bool = True

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("data_key", "data_keys_old")
    @classmethod
    def _data_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for key in value.get_secret_value().split(","):
            try:
                Fernet(key.strip().encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError(
                    "not a key from `brobygger keys generate` (32 url-safe base64-encoded bytes)"
                ) from None
        return value

    @field_validator("lookup_key")
    @classmethod
    def _lookup_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("too short: use `brobygger keys generate` (44 characters)")
        return value

    @field_validator("public_url", "telegram_api_url", "twilio_api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _check_http_url(value, base_only=True)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value.strip().lower() in ("", "off"):
            return "off"
        if not _QUIET_HOURS.fullmatch(value.strip()):
            raise ValueError(f"expected HH:MM-HH:MM (e.g. 21:00-08:00) or off, got {value!r}")
        start, end = value.strip().split("-")
        if start == end:
            raise ValueError(f"an empty window {value!r}: use off to disable quiet hours")
        return value.strip()

    @model_validator(mode="after")
    def _channels_complete(self) -> Settings:
        twilio = {
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "TWILIO_FROM": self.twilio_from,
        }
        given = [name for name, value in twilio.items() if value]
        if given and len(given) != len(twilio):
            missing = ", ".join(ENV_PREFIX + n for n, v in twilio.items() if not v)
            raise ValueError(f"Twilio is half-configured: set {missing} too (or none of them)")
        if self.web_processes > 1:
            self._check_several_processes()
        if (
            self.telegram_token
            and self.telegram_mode is TelegramMode.WEBHOOK
            and not self.telegram_webhook_secret
        ):
            raise ValueError(
                f"{ENV_PREFIX}TELEGRAM_WEBHOOK_SECRET is required when "
                f"{ENV_PREFIX}TELEGRAM_MODE=webhook"
            )
        return self

    def _check_several_processes(self) -> None:
        """What every one of several identical web processes can do at once, and what not."""
        problem = None
        if not self.database_url.startswith("postgresql"):
            problem = "several web processes need PostgreSQL (SQLite has one writer at a time)"
        elif self.telegram_token and self.telegram_mode is TelegramMode.POLLING:
            problem = (
                f"Telegram allows one poller per bot: set {ENV_PREFIX}TELEGRAM_MODE=webhook "
                "to run several web processes"
            )
        elif self.demo and not self.twilio_account_sid and not self.telegram_token:
            problem = (
                f"the demo is seeded by one process on first start: set {ENV_PREFIX}DEMO=false "
                "(or configure a channel) to run several web processes"
            )
        if problem:
            raise ValueError(f"{ENV_PREFIX}WEB_PROCESSES: {problem}")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def old_data_keys(self) -> list[str]:
        """The decrypt-only keys of ``DATA_KEYS_OLD``, in order."""
        if self.data_keys_old is None:
            return []
        return [k.strip() for k in self.data_keys_old.get_secret_value().split(",") if k.strip()]

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the database is SQLite on disk, else ``None``."""
        prefix = "sqlite+aiosqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        path = self.database_url[len(prefix) :].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)


def _unknown_variables(environ: dict[str, str]) -> list[str]:
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(
        key
        for key in environ
        if key.startswith(ENV_PREFIX) and not key.startswith(_TEST_PREFIX) and key not in known
    )


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Parse settings once; raise :class:`ConfigError` naming the first wrong variable."""
    env = dict(os.environ if environ is None else environ)
    unknown = _unknown_variables(env)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting (see .env.example for the list)")
    try:
        if environ is None:
            return Settings(**overrides)
        # An explicit environment replaces the process's own, for tests and tools.
        prefixed = {
            k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)
        }
        prefixed = {k: v for k, v in prefixed.items() if k in Settings.model_fields}
        return Settings(_env_file=None, **{**prefixed, **overrides})
    except ValidationError as error:
        raise ConfigError(_first_problem(error)) from None


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    location = [str(part) for part in problem.get("loc", ()) if part != "__root__"]
    message = str(problem.get("msg", "invalid value")).removeprefix("Value error, ")
    if not location:
        return message
    name = location[0].upper()
    name = name if name.startswith(ENV_PREFIX) else ENV_PREFIX + name
    if problem.get("type") == "extra_forbidden":
        return f"{name}: unknown setting (see .env.example for the list)"
    return f"{name}: {message}"
