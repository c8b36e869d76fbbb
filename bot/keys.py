"""Where the keys come from: the settings, or (for the SQLite demo only) a generated key file.

1. ``DATA_KEY`` and ``LOOKUP_KEY`` set: use them (``DATA_KEYS_OLD`` still decrypt).
2. Neither set and the database is a SQLite file: read the key file next to it
   (``brobygger.db`` -> ``brobygger.keys``), creating it with new random keys and mode 0600 on
   first use. This keeps ``make run`` a one-command demo; whoever copies the database without
   the key file copies no readable phone number.
3. Neither set and the database is PostgreSQL (production): refuse to start, naming the
   variables. A production database must never get keys nobody wrote down.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.config import ENV_PREFIX, Settings
from bot.crypto import Keyring, generate_key
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

_FILE_KEYS = ("DATA_KEY", "LOOKUP_KEY")


def key_file_path(settings: Settings) -> Path | None:
    """The demo key file beside a SQLite database file, or None for other databases."""
    database = settings.sqlite_path
    return None if database is None else database.with_suffix(".keys")


def uses_key_file(settings: Settings) -> bool:
    """Whether the keys come from the demo key file (no key set, a SQLite file database)."""
    no_keys = settings.data_key is None and settings.lookup_key is None
    return no_keys and key_file_path(settings) is not None


def _read_key_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    missing = [name for name in _FILE_KEYS if not values.get(name)]
    if missing:
        raise ConfigError(f"the key file {path} lacks {missing[0]}: restore it from a backup")
    return values


def _create_key_file(path: Path) -> dict[str, str]:
    values = {name: generate_key() for name in _FILE_KEYS}
    content = (
        "# Brobygger demo keys for the database beside this file. Losing this file makes the\n"
        "# phone numbers and message texts in that database unreadable. Keep it out of git.\n"
        + "".join(f"{name}={value}\n" for name, value in values.items())
    )
    # O_EXCL: two processes starting at once cannot both write a different file.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(content)
    logger.warning("generated demo keys in %s (set BROBYGGER_DATA_KEY in production)", path)
    return values


def load_keyring(settings: Settings) -> Keyring:
    """The keyring for these settings, or :class:`ConfigError` naming what is missing."""
    old = settings.old_data_keys
    if settings.data_key is not None or settings.lookup_key is not None:
        if settings.data_key is None or settings.lookup_key is None:
            missing = "DATA_KEY" if settings.data_key is None else "LOOKUP_KEY"
            raise ConfigError(f"{ENV_PREFIX}{missing}: required when the other key is set")
        return Keyring(
            [settings.data_key.get_secret_value(), *old], settings.lookup_key.get_secret_value()
        )
    path = key_file_path(settings)
    if path is None:
        raise ConfigError(
            f"{ENV_PREFIX}DATA_KEY and {ENV_PREFIX}LOOKUP_KEY are required with this database "
            "(create them with `brobygger keys generate`)"
        )
    try:
        values = _read_key_file(path)
    except FileNotFoundError:
        try:
            values = _create_key_file(path)
        except FileExistsError:
            values = _read_key_file(path)
    try:
        return Keyring([values["DATA_KEY"], *old], values["LOOKUP_KEY"])
    except ValueError:
        raise ConfigError(f"the key file {path} holds a damaged DATA_KEY") from None
