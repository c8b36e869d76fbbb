"""Catching personal data in logs: collect every record of a test, then search it.

Use the ``all_logs`` fixture (tests/conftest.py) in any test that runs a scenario, then::

    assert_no_personal_data(all_logs.records, [phone, chat_id, body])

Records are searched as formatted by the application (message with its arguments, plus any
exception text), and plain strings (a subprocess's stderr) are searched as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable


class LogCollector(logging.Handler):
    """Every record at INFO and above, from every logger (uvicorn's and the libraries' too)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _text(item: logging.LogRecord | str) -> str:
    if isinstance(item, str):
        return item
    parts = [item.getMessage(), item.name]
    if item.exc_info and item.exc_info[1] is not None:
        parts.append(repr(item.exc_info[1]))
    if item.exc_text:
        parts.append(item.exc_text)
    return "\n".join(parts)


def assert_no_personal_data(
    records: Iterable[logging.LogRecord | str], values: Iterable[str]
) -> None:
    """Fail naming the first personal value that occurs in any record."""
    texts = [_text(record) for record in records]
    for value in values:
        hits = [text for text in texts if value and value in text]
        assert not hits, f"personal data {value!r} logged: {hits[0]!r}"
