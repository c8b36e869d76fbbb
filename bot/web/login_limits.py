"""Rate limits on sign-in attempts, per account and per client address.

Kept in memory: a restart forgets them, and each worker process counts on its own. That is
enough to make guessing a password by the web form impractical (at most
:data:`PER_ACCOUNT` wrong tries per account and :data:`PER_ADDRESS` per address in
:data:`WINDOW`) without a table that grows with every attempt.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_ADDRESS = 20


class LoginLimiter:
    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)

    def _recent(self, key: str, now: datetime) -> int:
        failures = self._failures[key]
        while failures and now - failures[0] > WINDOW:
            failures.popleft()
        return len(failures)

    def blocked(self, *, email: str, address: str, now: datetime) -> bool:
        """True when this account or this address has used up its wrong tries."""
        return (
            self._recent("account:" + email, now) >= PER_ACCOUNT
            or self._recent("address:" + address, now) >= PER_ADDRESS
        )

    def failed(self, *, email: str, address: str, now: datetime) -> None:
        self._failures["account:" + email].append(now)
        self._failures["address:" + address].append(now)

    def succeeded(self, *, email: str) -> None:
        self._failures.pop("account:" + email, None)
