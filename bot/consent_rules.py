"""Which messages may go to a citizen, given their opt-out and consents.

The rules (DESIGN.md, flows 1 and 5):

1. A STOP confirmation and the one polite reply to an unknown sender always go.
2. After STOP, nothing else goes until START (the START confirmation is sent after re-subscribing).
3. Without consent only the consent question, its one reminder and the answer to the citizen's
   consent reply go; answers to something the citizen wrote themselves (help, thanks) also go,
   because they asked.
4. Everything else needs consent for its purpose: check-ins, meeting reminders, or contact from
   staff. Messages to staff are not gated here.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.models import ConsentPurpose, MessageKind

ALWAYS_ALLOWED = frozenset({MessageKind.STOP_CONFIRMATION, MessageKind.UNKNOWN_SENDER_REPLY})

WITHOUT_CONSENT = frozenset(
    {
        MessageKind.CONSENT_REQUEST,
        MessageKind.CONSENT_REMINDER,
        MessageKind.CONSENT_REPLY,
        MessageKind.START_CONFIRMATION,
        MessageKind.REPLY,
    }
)

PURPOSE: dict[MessageKind, ConsentPurpose] = {
    MessageKind.CHECKIN: ConsentPurpose.CHECKINS,
    MessageKind.CHECKIN_NUDGE: ConsentPurpose.CHECKINS,
    MessageKind.CONFIRMATION_REQUEST: ConsentPurpose.MEETING_REMINDERS,
    MessageKind.CONFIRMATION_NUDGE: ConsentPurpose.MEETING_REMINDERS,
    MessageKind.REMINDER: ConsentPurpose.MEETING_REMINDERS,
    MessageKind.MEETING_MOVED: ConsentPurpose.MEETING_REMINDERS,
    MessageKind.MEETING_CANCELLED: ConsentPurpose.MEETING_REMINDERS,
    MessageKind.ATTENDANCE_QUESTION: ConsentPurpose.MEETING_REMINDERS,
    MessageKind.STAFF_MESSAGE: ConsentPurpose.MENTOR_CONTACT,
}


def blocked_reason(
    kind: str, *, opted_out: bool, consents: Collection[ConsentPurpose]
) -> str | None:
    """Why a message of ``kind`` must not go to this citizen, or None if it may."""
    try:
        message_kind = MessageKind(kind)
    except ValueError:
        return f"unknown message kind {kind!r}"
    if message_kind in ALWAYS_ALLOWED:
        return None
    if opted_out:
        return "opted out"
    if message_kind in WITHOUT_CONSENT:
        return None
    purpose = PURPOSE.get(message_kind)
    if purpose is None:
        return f"{message_kind} is not sent to citizens"
    if purpose not in consents:
        return f"no consent for {purpose}"
    return None
