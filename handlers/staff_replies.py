"""Mentors and consultants answer alerts on the same channels: "OK 123" or the "I'm on it" button.

A staff member may acknowledge an alert about a citizen they mentor, or one that was sent to
them (as the mentor's alert or its escalation); any other number gets "no open alert with that
number", so nobody learns about other people's alerts by trying numbers. Acknowledging twice is
harmless and answered the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.i18n import Catalogs
from bot.models import Alert, MessageKind, Participant, Staff
from bot.services.alerts import acknowledge_alert
from handlers.answers import Reply
from handlers.replies import Intent, IntentKind

logger = logging.getLogger(__name__)


async def acknowledge_by_staff(
    session: AsyncSession, staff: Staff, intent: Intent, catalogs: Catalogs, now: datetime
) -> Reply | None:
    """Act on a staff member's message: an acknowledgement gets an answer, anything else is
    only logged (staff talk to citizens on the dashboard, not through the bot)."""
    if intent.kind is not IntentKind.ACK or intent.reference is None:
        return None
    alert_id = intent.reference
    found = (
        await session.execute(
            select(Alert, Participant)
            .outerjoin(Participant, Participant.id == Alert.participant_id)
            .where(
                Alert.id == alert_id,
                Alert.resolved_at.is_(None),
                or_(
                    Participant.mentor_id == staff.id,
                    Alert.notified_staff_id == staff.id,
                    Alert.escalated_to_id == staff.id,
                ),
            )
        )
    ).first()
    if found is None:
        return Reply(
            MessageKind.REPLY,
            catalogs.render(staff.language, texts.ALERT_NOT_FOUND, alert_id=alert_id),
        )
    alert, participant = found
    if await acknowledge_alert(session, alert_id=alert.id, staff_id=staff.id, now=now):
        logger.info("alert %s acknowledged by staff %s", alert.id, staff.id)
    name = participant.name if participant is not None else ""
    return Reply(
        MessageKind.REPLY, catalogs.render(staff.language, texts.ALERT_ACKNOWLEDGED, name=name)
    )
