"""Logging set-up. Never log phone numbers, chat ids or message bodies above DEBUG."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        force=True,
    )
    # Library loggers that would print request URLs (with tokens) or bodies at INFO.
    for noisy in ("httpx", "httpcore", "telegram", "twilio", "apscheduler", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
