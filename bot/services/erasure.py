"""Erasure per citizen: remove what identifies a participant, keep the anonymous counts.

The programme reports outcomes per prison and jobcentre (referred, completed, job, education,
...) and reply, confirmation and attendance rates; those need rows, not names. So erasure
irreversibly anonymises rather than deletes:

1. Deleted: every address (phone numbers, chat ids) and every enrolment code.
2. Blanked: the name (becomes "Slettet deltager #<id>"), the outcome note, the plan override,
   every message body, address and provider error text (including messages without a
   participant that are about them: staff notices of their alerts, digests naming them,
   messages from their number as an unknown sender), every consent text, the place and staff
   note of every meeting, every alert's free-text detail.
3. Kept: the participant row with prison, jobcentre, mentor/consultant ids, release date,
   status, outcome and dates; each message's kind, direction, status, intent, score and times;
   each meeting's kind, time, confirmation and attendance; check-ins and their scores; alert
   reasons and times; consent purposes and dates; the audit log (it holds no personal data).
4. Planned messages are cancelled (a blank message must never go out) and the case is closed.
5. One audit row records what was erased, as counts.

What counts as "personal data to erase" versus "anonymous statistics to keep" is a policy of the
programme's data protection officer; this module is the one place that decides it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import installed_keyring
from bot.errors import BrobyggerError
from bot.models import (
    Address,
    Alert,
    Appointment,
    Consent,
    EnrolmentCode,
    Message,
    MessageStatus,
    Participant,
    ParticipantStatus,
)
from bot.outbox import cancel
from bot.services import audit


class ErasureError(BrobyggerError):
    """The participant does not exist or was erased already."""


def erased_name(participant_id: int) -> str:
    return f"Slettet deltager #{participant_id}"


async def _count(session: AsyncSession, model: Any, participant_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(model).where(model.participant_id == participant_id)
        )
        or 0
    )


async def unlinked_messages_about(session: AsyncSession, participant: Participant) -> list[int]:
    """Messages without a ``participant_id`` that are still about this participant.

    Notices to staff about one of their alerts, alert digests naming them, and messages from
    one of their addresses that arrived as "unknown sender". Bodies are encrypted, so this
    decrypts the participant-less messages not yet blanked (mostly staff notices and unknown
    senders) and matches in Python; a digest naming someone with the same name is blanked too,
    which errs on the side of erasing (names shorter than 3 characters are not matched).
    """
    keyring = installed_keyring()
    hashes = {(str(a.channel), a.address_hash) for a in participant.addresses}
    alert_ids = set(
        await session.scalars(select(Alert.id).where(Alert.participant_id == participant.id))
    )
    rows = await session.execute(
        select(Message.id, Message.alert_id, Message.channel, Message.address, Message.body).where(
            Message.participant_id.is_(None),
            or_(Message.body != "", Message.address.is_not(None)),
        )
    )
    return [
        message_id
        for message_id, alert_id, channel, address, body in rows
        if alert_id in alert_ids
        or (len(participant.name.strip()) >= 3 and participant.name in body)
        or (channel and address and (str(channel), keyring.lookup_hash(channel, address)) in hashes)
    ]


async def erase_participant(
    session: AsyncSession,
    participant_id: int,
    now: datetime,
    staff_id: int | None,
    *,
    purpose: str = "erasure",
) -> dict[str, int]:
    """Erase one participant's personal data (see the module docstring); returns the counts.

    ``staff_id`` is who asked (None: the retention job). ``purpose`` goes into the audit row
    (e.g. "CLI participant erase", "retention").
    """
    participant = await session.get(Participant, participant_id)
    if participant is None:
        raise ErasureError(f"no participant #{participant_id}")
    if participant.erased_at is not None:
        raise ErasureError(
            f"participant #{participant_id} was erased already ({participant.erased_at:%Y-%m-%d})"
        )
    about_participant = Message.id.in_(await unlinked_messages_about(session, participant))
    of_participant = Message.participant_id == participant_id
    counts = {
        "addresses": await _count(session, Address, participant_id),
        "enrolment_codes": await _count(session, EnrolmentCode, participant_id),
        "messages": await _count(session, Message, participant_id),
        "consents": await _count(session, Consent, participant_id),
        "appointments": await _count(session, Appointment, participant_id),
        "alerts": await _count(session, Alert, participant_id),
    }
    counts["unlinked_messages"] = int(
        await session.scalar(select(func.count()).select_from(Message).where(about_participant))
        or 0
    )
    counts["planned_messages_cancelled"] = await cancel(session, of_participant, now=now)
    await session.execute(delete(Address).where(Address.participant_id == participant_id))
    await session.execute(
        delete(EnrolmentCode).where(EnrolmentCode.participant_id == participant_id)
    )
    await session.execute(
        update(Message)
        .where(or_(of_participant, about_participant))
        .values(body="", address=None, error=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Consent).where(Consent.participant_id == participant_id).values(text="")
    )
    await session.execute(
        update(Appointment)
        .where(Appointment.participant_id == participant_id)
        .values(place="", staff_note=None)
    )
    await session.execute(
        update(Alert).where(Alert.participant_id == participant_id).values(detail=None)
    )
    participant.name = erased_name(participant_id)
    participant.outcome_note = None
    participant.plan_override = None
    participant.erased_at = now
    if participant.status is not ParticipantStatus.CLOSED:
        participant.status = ParticipantStatus.CLOSED
        participant.closed_at = now
    await session.flush()
    session.expire(participant, ["addresses"])
    await audit.record(
        session,
        staff_id=staff_id,
        action=audit.Action.ERASED,
        participant_id=participant_id,
        purpose=purpose,
        detail={"erased": counts},
        at=now,
    )
    return counts


async def blank_old_message_bodies(session: AsyncSession, older_than: datetime) -> int:
    """Blank the text of messages that arrived or were due before ``older_than``.

    Messages still waiting to go (planned, sending) keep their text. The row stays (kind,
    status, intent, times), so the statistics and the timeline's shape survive.
    """
    when = func.coalesce(Message.received_at, Message.due_at, Message.created_at)
    result = await session.execute(
        update(Message)
        .where(
            when < older_than,
            Message.body != "",
            Message.status.not_in([MessageStatus.PLANNED, MessageStatus.SENDING]),
        )
        .values(body="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
