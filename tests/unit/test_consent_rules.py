from __future__ import annotations

import pytest

from bot.consent_rules import blocked_reason
from bot.models import ConsentPurpose, MessageKind

ALL = frozenset(ConsentPurpose)


@pytest.mark.parametrize(
    ("kind", "opted_out", "consents", "allowed"),
    [
        (MessageKind.CONSENT_REQUEST, False, (), True),
        (MessageKind.CONSENT_REMINDER, False, (), True),
        (MessageKind.CHECKIN, False, (), False),
        (MessageKind.REMINDER, False, (), False),
        (MessageKind.CHECKIN, False, ALL, True),
        (MessageKind.CHECKIN, False, {ConsentPurpose.MEETING_REMINDERS}, False),
        (MessageKind.REMINDER, False, {ConsentPurpose.MEETING_REMINDERS}, True),
        (MessageKind.STAFF_MESSAGE, False, {ConsentPurpose.CHECKINS}, False),
        (MessageKind.STAFF_MESSAGE, False, {ConsentPurpose.MENTOR_CONTACT}, True),
        (MessageKind.CHECKIN, True, ALL, False),
        (MessageKind.CONSENT_REQUEST, True, (), False),
        (MessageKind.REPLY, True, ALL, False),
        (MessageKind.STOP_CONFIRMATION, True, (), True),
        (MessageKind.UNKNOWN_SENDER_REPLY, False, (), True),
        (MessageKind.REPLY, False, (), True),
        (MessageKind.ALERT, False, ALL, False),
        ("no-such-kind", False, ALL, False),
    ],
)
def test_what_may_be_sent_to_a_citizen(
    kind: str, opted_out: bool, consents: frozenset[ConsentPurpose], allowed: bool
) -> None:
    reason = blocked_reason(kind, opted_out=opted_out, consents=consents)
    assert (reason is None) is allowed, reason
