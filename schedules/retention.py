"""The nightly retention tick: erase closed cases past ``RETENTION_DAYS``, blank old message texts.

Personal data is kept no longer than the programme needs it (GDPR art. 5(1)(e)). The periods are
settings (see README, "Privacy"); this tick only applies them:

1. Every participant closed more than ``RETENTION_DAYS`` ago and not yet erased is erased
   (``bot.services.erasure.erase_participant``), one unit of work each, so one failure does not
   hold back the rest, and each erasure leaves its own audit row.
2. Message texts older than ``MESSAGE_BODY_RETENTION_DAYS`` are blanked, in one statement.

Both steps are idempotent: running the tick twice a night changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.db import Database
from bot.models import Participant, ParticipantStatus
from bot.services.erasure import blank_old_message_bodies, erase_participant

logger = logging.getLogger(__name__)

INTERVAL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class RetentionResult:
    erased_participants: int
    blanked_messages: int


async def apply_retention(
    database: Database, clock: Clock, *, retention_days: int, message_body_retention_days: int
) -> RetentionResult:
    """Apply both retention rules as of ``clock.now()``."""
    now = clock.now()
    closed_before = now - timedelta(days=retention_days)
    async with database.read() as session:
        due = list(
            await session.scalars(
                select(Participant.id)
                .where(
                    Participant.status == ParticipantStatus.CLOSED,
                    Participant.closed_at < closed_before,
                    Participant.erased_at.is_(None),
                )
                .order_by(Participant.id)
            )
        )
    erased = 0
    for participant_id in due:
        try:
            async with database.session() as session:
                await erase_participant(
                    session, participant_id, now, staff_id=None, purpose="retention"
                )
            erased += 1
        except Exception:
            logger.exception("retention: erasing participant %s failed", participant_id)
    async with database.session() as session:
        blanked = await blank_old_message_bodies(
            session, now - timedelta(days=message_body_retention_days)
        )
    if erased or blanked:
        logger.info("retention: erased %d participants, blanked %d messages", erased, blanked)
    return RetentionResult(erased_participants=erased, blanked_messages=blanked)
