"""Brobygger's own exceptions, in one tree.

BrobyggerError
├── ConfigError          a setting is wrong; the message names the variable
├── DatabaseError        the database cannot be used (unreachable, missing folder)
│   └── SchemaError      the schema is behind or ahead of this code
└── DeliveryError        a channel could not send (see bot.channels)
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
    """A channel failed to send; the channel classifies the failure once, here.

    ``permanent`` errors (invalid number, opted out, bot blocked, a message the provider will
    never take) are never retried; ``unreachable`` says the address itself is dead and
    ``opted_out`` that its owner stopped this channel (Twilio 21610, a blocked Telegram bot), so
    the citizen's next address takes over. Transient errors are retried, after ``retry_after``
    seconds when the provider says so. ``may_have_sent``: the provider may have taken the message
    (a timeout after the request went out); it is recorded as unknown, never resent blindly.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        opted_out: bool = False,
        unreachable: bool = False,
        may_have_sent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.opted_out = opted_out
        self.unreachable = unreachable or opted_out
        self.may_have_sent = may_have_sent
