"""Brobygger's own exceptions, in one tree.

BrobyggerError
├── ConfigError          a setting is wrong; the message names the variable
├── DatabaseError        the database cannot be used (unreachable, missing folder)
│   └── SchemaError      the schema is behind or ahead of this code
├── DeliveryError        a channel could not send (see bot.channels)
├── KeyringError         no keys installed, or a stored value cannot be decrypted (bot.crypto)
└── AppendOnlyError      something tried to change or delete an audit row
"""

from __future__ import annotations


class BrobyggerError(Exception):
    """Base class: anything we raise on purpose."""


class ConfigError(BrobyggerError):
    """A setting has a wrong value; ``str(error)`` is one line naming the variable."""


class DatabaseError(BrobyggerError):
    """The configured database cannot be reached or opened."""


class SchemaError(DatabaseError):
    """The database's migration revision does not match this code."""


class DeliveryError(BrobyggerError):
    """A channel failed to send.

    ``permanent`` errors (invalid number, opted out, bot blocked) are never retried;
    transient ones are retried, after ``retry_after`` seconds when the provider says so.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        opted_out: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        # The recipient asked the provider to stop (Twilio 21610, a blocked Telegram bot).
        self.opted_out = opted_out


class AppendOnlyError(BrobyggerError):
    """The audit log is append-only: an UPDATE or DELETE of ``audit_events`` was attempted."""
