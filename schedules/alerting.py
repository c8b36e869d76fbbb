"""The alert tick: raise delivery alerts, tell mentors about new alerts, escalate to consultants.

1. Delivery problems become alerts, once: a citizen's message that ended ``failed`` raises a
   ``delivery_failed`` alert, and one ``suppressed`` for having no reachable address raises an
   ``unreachable`` alert, unless an open alert of that reason exists for the citizen (then the
   message is linked to it). ``Message.alert_id`` marks a message as handled.
2. Every new alert (``notified_at`` empty) goes to the citizen's mentor on their own channel:
   Telegram if they have a chat id (with an "I'm on it" button: ``ReplyChoices.ACK``), else SMS
   ("Svar OK 123"). No mentor, or no address: the consultant. An ``unreachable`` alert goes to
   the consultant as well, at once.
3. Several alerts for one person within ``ALERT_DIGEST_WINDOW`` after the last one they were
   sent arrive as one digest: the first alert goes at once, later ones wait for the window to
   end and then go together.
4. An alert nobody acknowledged ``CONSULTANT_ALERT_AFTER`` after the mentor was told (counted
   from when quiet hours let the notice go) goes to the consultant, once.

Notices to staff respect quiet hours like any other message (they are not urgent).

Each step works through its rows ``BATCH`` per unit of work (``schedules.batches``): after an
outage the backlog may hold thousands of alerts, and one unit of work over them all held
SQLite's write lock long enough for webhooks to fail. Alerts for one person that fall into two
batches of the same tick are two notices at most: the second batch finds the digest window
just opened and leaves its alerts for the digest at the window's end.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.channels.routing import NO_REACHABLE_ADDRESS
from bot.clock import Clock
from bot.db import Database
from bot.i18n import Catalogs, format_date, format_time
from bot.models import (
    Alert,
    AlertReason,
    Appointment,
    ChannelKind,
    Checkin,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Participant,
    ReplyChoices,
    Staff,
)
from bot.outbox import Planned, plan
from bot.services.alerts import raise_alert
from schedules.batches import BATCH, in_batches
from schedules.care_rules import CareRules
from schedules.quiet_hours import next_allowed

logger = logging.getLogger(__name__)

_SCORE = re.compile(r"\b([1-5])\b")


@dataclass(frozen=True, slots=True)
class AlertingRun:
    raised: int = 0
    notices: int = 0
    escalated: int = 0


async def notify_alerts(
    database: Database,
    clock: Clock,
    rules: CareRules,
    catalogs: Catalogs,
    *,
    batch: int = BATCH,
) -> AlertingRun:
    """One pass of steps 1-4 of the module doc, ``batch`` rows per unit of work."""
    now = clock.now()
    raised = notices = escalated = 0

    async def raise_for(session: AsyncSession, problems: list[Message]) -> None:
        nonlocal raised
        raised += await _raise_delivery_alerts(session, problems, now)

    async def notify(session: AsyncSession, alerts: list[Alert]) -> None:
        nonlocal notices
        notices += await _notify_new(session, alerts, now, rules, catalogs)

    async def escalate(session: AsyncSession, alerts: list[Alert]) -> None:
        nonlocal escalated
        escalated += await _escalate_unacknowledged(session, alerts, now, rules, catalogs)

    await in_batches(database, _delivery_problems, raise_for, size=batch)
    await in_batches(database, _new_alerts, notify, size=batch)
    overdue = functools.partial(_unacknowledged, now - rules.consultant_alert_after)
    await in_batches(database, overdue, escalate, size=batch)
    run = AlertingRun(raised, notices, escalated)
    if run != AlertingRun():
        logger.info("alerts: %d raised, %d notices, %d escalated", raised, notices, escalated)
    return run


# --- 1. Delivery problems ---------------------------------------------------------------------


def _delivery_problems(after_id: int, limit: int) -> Select[Message]:
    """Citizens' messages that failed or found no address, not yet linked to an alert."""
    return (
        select(Message)
        .where(
            Message.direction == Direction.OUT,
            Message.participant_id.is_not(None),
            Message.alert_id.is_(None),
            (Message.status == MessageStatus.FAILED)
            | (
                (Message.status == MessageStatus.SUPPRESSED)
                & Message.error.contains(NO_REACHABLE_ADDRESS)
            ),
            Message.id > after_id,
        )
        .order_by(Message.id)
        .limit(limit)
    )


async def _raise_delivery_alerts(
    session: AsyncSession, problems: list[Message], now: datetime
) -> int:
    raised = 0
    for message in problems:
        reason = (
            AlertReason.DELIVERY_FAILED
            if message.status is MessageStatus.FAILED
            else AlertReason.UNREACHABLE
        )
        open_alert = await session.scalar(
            select(Alert.id).where(
                Alert.participant_id == message.participant_id,
                Alert.reason == reason,
                Alert.resolved_at.is_(None),
            )
        )
        if open_alert is None:
            open_alert = await raise_alert(
                session,
                participant_id=message.participant_id,
                reason=reason,
                dedupe_key=f"{reason}:message:{message.id}",
                now=now,
                appointment_id=message.appointment_id,
            )
            raised += open_alert is not None
        message.alert_id = open_alert
    return raised


# --- 2 and 3. Telling the mentor --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Recipient:
    staff: Staff
    channel: ChannelKind
    address: str


def _reachable(staff: Staff | None) -> _Recipient | None:
    if staff is None or not staff.active:
        return None
    if staff.telegram_chat_id:
        return _Recipient(staff, ChannelKind.TELEGRAM, staff.telegram_chat_id)
    if staff.phone:
        return _Recipient(staff, ChannelKind.SMS, staff.phone)
    return None


async def _staff(session: AsyncSession, staff_id: int | None) -> Staff | None:
    return await session.get(Staff, staff_id) if staff_id is not None else None


def _new_alerts(after_id: int, limit: int) -> Select[Alert]:
    """Open alerts nobody has been told about yet."""
    return (
        select(Alert)
        .where(
            Alert.notified_at.is_(None),
            Alert.acknowledged_at.is_(None),
            Alert.resolved_at.is_(None),
            Alert.id > after_id,
        )
        .order_by(Alert.id)
        .limit(limit)
    )


async def _notify_new(
    session: AsyncSession,
    new_alerts: list[Alert],
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
) -> int:
    waiting: dict[int, tuple[_Recipient, list[tuple[Alert, Participant]]]] = {}
    for alert in new_alerts:
        participant = await session.get(Participant, alert.participant_id)
        if participant is None:
            alert.notified_at = now  # the citizen was erased; only the dashboard shows it
            continue
        mentor = _reachable(await _staff(session, participant.mentor_id))
        consultant = _reachable(await _staff(session, participant.consultant_id))
        recipient = mentor or consultant
        if recipient is None:
            logger.warning("alert %s: neither mentor nor consultant can be reached", alert.id)
            alert.notified_at = now
            continue
        waiting.setdefault(recipient.staff.id, (recipient, []))[1].append((alert, participant))
    notices = 0
    for recipient, alerts in waiting.values():
        if not await _digest_window_over(session, recipient.staff.id, now, rules):
            continue
        await _send_notice(session, recipient, alerts, now, rules, catalogs)
        notices += 1
        for alert, participant in alerts:
            alert.notified_staff_id = recipient.staff.id
            alert.notified_at = now
            is_mentor = recipient.staff.id == participant.mentor_id
            if not is_mentor or alert.reason is AlertReason.UNREACHABLE:
                notices += await _escalate(session, alert, participant, now, rules, catalogs)
    return notices


async def _digest_window_over(
    session: AsyncSession, staff_id: int, now: datetime, rules: CareRules
) -> bool:
    last = await session.scalar(
        select(func.max(Message.due_at)).where(
            Message.staff_id == staff_id,
            Message.kind.in_((MessageKind.ALERT, MessageKind.ALERT_DIGEST)),
        )
    )
    return last is None or now >= last + rules.digest_window


async def _send_notice(
    session: AsyncSession,
    recipient: _Recipient,
    alerts: list[tuple[Alert, Participant]],
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
) -> None:
    lang = recipient.staff.language
    if len(alerts) == 1:
        alert, participant = alerts[0]
        body = await _alert_text(session, alert, participant, lang, rules, catalogs)
        kind, key, choices, alert_id = (
            MessageKind.ALERT,
            f"alert:{alert.id}:notice",
            ReplyChoices.ACK,
            alert.id,
        )
    else:
        lines = [catalogs.render(lang, texts.DIGEST_HEADER, count=len(alerts))]
        lines += [
            catalogs.render(
                lang,
                texts.DIGEST_LINE,
                name=participant.name,
                reason=catalogs.render(lang, texts.ALERT_REASON_LABELS[alert.reason]),
                alert_id=alert.id,
            )
            for alert, participant in alerts
        ]
        body = "\n".join(lines)
        kind, key, choices, alert_id = (
            MessageKind.ALERT_DIGEST,
            f"alert_digest:{recipient.staff.id}:{alerts[0][0].id}",
            None,
            None,
        )
    await plan(
        session,
        Planned(
            kind=kind,
            body=body,
            due_at=now,
            dedupe_key=key,
            staff_id=recipient.staff.id,
            channel=recipient.channel,
            address=recipient.address,
            language=lang,
            choices=choices,
            alert_id=alert_id,
        ),
    )


async def _alert_text(
    session: AsyncSession,
    alert: Alert,
    participant: Participant,
    lang: str,
    rules: CareRules,
    catalogs: Catalogs,
) -> str:
    """The mentor's message for one alert: who, why, when, and how to acknowledge it."""
    fields: dict[str, object] = {"name": participant.name, "alert_id": alert.id}
    question = await session.get(Message, alert.question_id) if alert.question_id else None
    if alert.reason is AlertReason.NO_REPLY:
        asked = (question.sent_at or question.due_at) if question else None
        fields["since"] = format_date(lang, (asked or alert.created_at).astimezone(rules.tz).date())
    appointment = (
        await session.get(Appointment, alert.appointment_id) if alert.appointment_id else None
    )
    if appointment is not None:
        local = appointment.starts_at.astimezone(rules.tz)
        fields |= {"date": format_date(lang, local.date()), "time": format_time(lang, local.time())}
    if alert.reason is AlertReason.LOW_SCORE:
        fields["score"] = await _score(session, alert, question)
    template = texts.ALERT_MESSAGES[alert.reason]
    try:
        return catalogs.render(lang, template, **fields)
    except KeyError:
        # A detail is missing (e.g. a meeting alert without its meeting): name the reason only.
        reason = catalogs.render(lang, texts.ALERT_REASON_LABELS[alert.reason])
        return catalogs.render(
            lang, texts.DIGEST_LINE, name=participant.name, reason=reason, alert_id=alert.id
        ).removeprefix("- ")


async def _score(session: AsyncSession, alert: Alert, question: Message | None) -> str:
    checkin_id = question.checkin_id if question is not None else None
    checkin = await session.get(Checkin, checkin_id) if checkin_id is not None else None
    if checkin is not None and checkin.score is not None:
        return str(checkin.score)
    match = _SCORE.search(alert.detail or "")
    if match:
        return match[1]
    latest = await session.scalar(
        select(Checkin.score)
        .where(Checkin.participant_id == alert.participant_id, Checkin.score.is_not(None))
        .order_by(Checkin.answered_at.desc())
        .limit(1)
    )
    return str(latest) if latest is not None else "?"


# --- 4. Escalation to the consultant ----------------------------------------------------------


def _unacknowledged(told_before: datetime, after_id: int, limit: int) -> Select[Alert]:
    """Open alerts told about before ``told_before``, unacknowledged and not yet escalated."""
    return (
        select(Alert)
        .where(
            Alert.notified_at.is_not(None),
            Alert.notified_at <= told_before,
            Alert.acknowledged_at.is_(None),
            Alert.resolved_at.is_(None),
            Alert.escalated_at.is_(None),
            Alert.id > after_id,
        )
        .order_by(Alert.id)
        .limit(limit)
    )


async def _escalate_unacknowledged(
    session: AsyncSession,
    overdue: list[Alert],
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
) -> int:
    escalated = 0
    for alert in overdue:
        assert alert.notified_at is not None
        told_at = next_allowed(alert.notified_at, rules.quiet, rules.tz)
        if now < told_at + rules.consultant_alert_after:
            continue
        participant = await session.get(Participant, alert.participant_id)
        if participant is None:
            alert.escalated_at = now
            continue
        escalated += await _escalate(session, alert, participant, now, rules, catalogs)
    return escalated


async def _escalate(
    session: AsyncSession,
    alert: Alert,
    participant: Participant,
    now: datetime,
    rules: CareRules,
    catalogs: Catalogs,
) -> int:
    """Tell the consultant about ``alert`` (once); 1 if a message was planned."""
    alert.escalated_at = now
    consultant = _reachable(await _staff(session, participant.consultant_id))
    if consultant is None or consultant.staff.id == alert.notified_staff_id:
        return 0
    alert.escalated_to_id = consultant.staff.id
    lang = consultant.staff.language
    mentor = await _staff(session, participant.mentor_id)
    if alert.reason is AlertReason.UNREACHABLE:
        body = await _alert_text(session, alert, participant, lang, rules, catalogs)
    else:
        body = catalogs.render(
            lang,
            texts.ALERT_ESCALATED,
            mentor_name=mentor.name if mentor is not None else "-",
            name=participant.name,
            reason=catalogs.render(lang, texts.ALERT_REASON_LABELS[alert.reason]),
            alert_id=alert.id,
        )
    new = await plan(
        session,
        Planned(
            kind=MessageKind.ALERT,
            body=body,
            due_at=now,
            dedupe_key=f"alert:{alert.id}:escalated",
            staff_id=consultant.staff.id,
            channel=consultant.channel,
            address=consultant.address,
            language=lang,
            choices=ReplyChoices.ACK,
            alert_id=alert.id,
        ),
    )
    return int(new is not None)
