"""The programme's status report: the JobUpdate status table and the contact rates.

For a period ``[start, end)`` and the participants in a viewer's scope:

1. **referred**: enrolled within the period;
2. **active**: enrolled before the end and not closed by then;
3. **closed**: closed within the period, split by outcome into *positive* (job, education,
   other positive), *no visible result* and *other* (absconded, transferred, deceased, other),
   with percentages of the closed;

per prison, per jobcentre/municipality and in total. Then, over the same participants and
period: reply rate to check-ins, confirmation and attendance rates of meetings, median time
from a question to its answer, and alerts per participant active in the period.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Alert,
    Appointment,
    AppointmentStatus,
    Attendance,
    Confirmation,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    Participant,
    Site,
)
from bot.models.base import seconds_between

POSITIVE = frozenset({Outcome.JOB, Outcome.EDUCATION, Outcome.OTHER_POSITIVE})
NO_VISIBLE_RESULT = frozenset({Outcome.NO_VISIBLE_RESULT})
SENT = (MessageStatus.SENT, MessageStatus.DELIVERED)


@dataclass
class StatusRow:
    """One line of the status table."""

    label: str
    referred: int = 0
    active: int = 0
    closed: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    @property
    def positive(self) -> int:
        return sum(self.outcomes[o] for o in POSITIVE)

    @property
    def no_visible_result(self) -> int:
        return sum(self.outcomes[o] for o in NO_VISIBLE_RESULT)

    @property
    def other(self) -> int:
        return self.closed - self.positive - self.no_visible_result

    def share(self, count: int) -> float | None:
        """``count`` as a percentage of the closed (None when nobody closed)."""
        return round(100 * count / self.closed, 1) if self.closed else None


@dataclass(frozen=True)
class Rates:
    checkins_sent: int
    checkins_answered: int
    meetings: int
    meetings_confirmed: int
    attendance_recorded: int
    attended: int
    median_reply: timedelta | None
    alerts: int
    participants_in_period: int

    @staticmethod
    def _percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def reply_rate(self) -> float | None:
        return self._percent(self.checkins_answered, self.checkins_sent)

    @property
    def confirmation_rate(self) -> float | None:
        return self._percent(self.meetings_confirmed, self.meetings)

    @property
    def attendance_rate(self) -> float | None:
        return self._percent(self.attended, self.attendance_recorded)

    @property
    def alerts_per_participant(self) -> float | None:
        if not self.participants_in_period:
            return None
        return round(self.alerts / self.participants_in_period, 2)


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    prisons: list[StatusRow]
    jobcentres: list[StatusRow]
    total: StatusRow
    rates: Rates


def _closed_outcome(start: datetime, end: datetime) -> ColumnElement[str | None]:
    """The outcome a participant counts under when closed within the period (else NULL)."""
    return case(
        (
            and_(Participant.closed_at >= start, Participant.closed_at < end),
            func.coalesce(Participant.outcome, Outcome.OTHER.value),
        ),
        else_=None,
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def status_report(
    session: AsyncSession,
    scope: ColumnElement[bool],
    start: datetime,
    end: datetime,
    *,
    second: AsyncSession | None = None,
) -> Report:
    """The status table and the rates, counted by the database (no participant is loaded).

    One aggregate over the participants in scope gives every combination of prison, jobcentre
    and outcome (within the period) with its counts; the prison rows, the jobcentre rows and
    the total are sums of those groups.

    ``second``: another read session, when the caller has one. The median time to reply (half
    the report's time at 100,000 participants) is then computed on it while everything else
    runs on ``session``, side by side: each SQLite connection runs its query in a thread of its
    own (outside the GIL), each PostgreSQL connection in a server process of its own. The two
    read transactions may see the database a moment apart, which a status report can live with.
    """
    in_period = [
        scope,
        Participant.enrolled_at < end,
        or_(Participant.closed_at.is_(None), Participant.closed_at >= start),
    ]
    participants = select(Participant.id).where(*in_period)
    table = _status_table(session, scope, in_period, start, end)
    median = _median_reply(second or session, participants, start, end)
    if second is None:
        (prisons, jobcentres, total, counts), median_reply = await table, await median
    else:
        (prisons, jobcentres, total, counts), median_reply = await asyncio.gather(table, median)
    return Report(
        start, end, prisons, jobcentres, total, Rates(**counts, median_reply=median_reply)
    )


async def _status_table(
    session: AsyncSession,
    scope: ColumnElement[bool],
    in_period: list[ColumnElement[bool]],
    start: datetime,
    end: datetime,
) -> tuple[list[StatusRow], list[StatusRow], StatusRow, dict[str, int]]:
    """The prison rows, the jobcentre rows, the total, then the rates' counts (over the
    participants ``in_period``)."""
    closed_outcome = _closed_outcome(start, end).label("closed_outcome")
    groups = (
        await session.execute(
            # Erased participants count: erasure anonymises them so the programme's numbers stay.
            select(
                Participant.prison_id,
                Participant.jobcentre_id,
                closed_outcome,
                _flag(Participant.enrolled_at >= start),
                _flag(or_(Participant.closed_at.is_(None), Participant.closed_at >= end)),
                func.count(),
            )
            .where(scope, Participant.enrolled_at < end)
            .group_by(Participant.prison_id, Participant.jobcentre_id, closed_outcome)
        )
    ).all()
    names: dict[int, str] = {
        row.id: row.name for row in await session.execute(select(Site.id, Site.name))
    }
    total = StatusRow("Total")
    prisons: dict[int | None, StatusRow] = {}
    jobcentres: dict[int | None, StatusRow] = {}
    for prison_id, jobcentre_id, outcome, referred, active, count in groups:
        for rows, site_id in ((prisons, prison_id), (jobcentres, jobcentre_id)):
            label = names.get(site_id, "—") if site_id is not None else "—"
            _add(rows.setdefault(site_id, StatusRow(label)), outcome, referred, active, count)
        _add(total, outcome, referred, active, count)
    return (
        sorted(prisons.values(), key=lambda row: row.label),
        sorted(jobcentres.values(), key=lambda row: row.label),
        total,
        await _counts(session, in_period, start, end),
    )


def _add(row: StatusRow, outcome: str | None, referred: int, active: int, count: int) -> None:
    row.referred += int(referred)
    row.active += int(active)
    if outcome is not None:
        row.closed += int(count)
        row.outcomes[Outcome(outcome)] += int(count)


async def _counts(
    session: AsyncSession, in_period: list[ColumnElement[bool]], start: datetime, end: datetime
) -> dict[str, int]:
    """The counts of the contact rates over the participants ``in_period`` (conditions on
    ``Participant``), as :class:`Rates` fields; the median is :func:`_median_reply`'s.

    Each count walks the period's rows by time from an index that holds every column it needs
    (``ix_messages_checkins_sent``, ``ix_messages_questions_sent``,
    ``ix_appointments_starts_at``) and keeps those whose participant is in the set ``IN
    (SELECT id ...)``: the database builds that set once, which costs less than looking up each
    row's participant (a join) and keeps the walk on the index (a third of the time at 100,000).
    """
    participants = select(Participant.id).where(*in_period)
    checkins = (
        await session.execute(
            select(func.count(Message.id), func.count(Message.answered_by_id)).where(
                Message.participant_id.in_(participants),
                Message.kind == MessageKind.CHECKIN,
                Message.status.in_(SENT),
                Message.sent_at >= start,
                Message.sent_at < end,
            )
        )
    ).one()
    meetings = (
        await session.execute(
            select(
                func.count(Appointment.id),
                _flag(Appointment.confirmation == Confirmation.CONFIRMED),
                _flag(Appointment.attendance != Attendance.UNKNOWN),
                _flag(Appointment.attendance == Attendance.ATTENDED),
            ).where(
                Appointment.participant_id.in_(participants),
                Appointment.status == AppointmentStatus.SCHEDULED,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
        )
    ).one()
    alerts = await session.scalar(
        select(func.count(Alert.id)).where(
            Alert.participant_id.in_(participants),
            Alert.created_at >= start,
            Alert.created_at < end,
        )
    )
    in_period_count = await session.scalar(select(func.count(Participant.id)).where(*in_period))
    return {
        "checkins_sent": int(checkins[0]),
        "checkins_answered": int(checkins[1]),
        "meetings": int(meetings[0]),
        "meetings_confirmed": int(meetings[1]),
        "attendance_recorded": int(meetings[2]),
        "attended": int(meetings[3]),
        "alerts": int(alerts or 0),
        "participants_in_period": int(in_period_count or 0),
    }


async def _median_reply(
    session: AsyncSession, participants: Select[int], start: datetime, end: datetime
) -> timedelta | None:
    """The median time from a question sent in the period to its answer.

    Computed by the database from ``ix_messages_questions_sent`` alone (the question's
    ``sent_at`` and ``answered_at``), so no list of waits is loaded: PostgreSQL has the median
    as an aggregate (``percentile_cont(0.5)``, the mean of the middle two for an even count, as
    :func:`statistics.median`); on SQLite the answered questions are counted, and the middle
    one or two read from the waits in order (``LIMIT``/``OFFSET``: a sort, where numbering
    every wait with window functions took three times as long).
    """
    wait = seconds_between(Message.sent_at, Message.answered_at)
    answered = [
        Message.participant_id.in_(participants),
        Message.expects_reply.is_(True),
        Message.sent_at >= start,
        Message.sent_at < end,
        Message.answered_at.is_not(None),
    ]
    if session.get_bind().dialect.name == "postgresql":
        median = await session.scalar(
            select(func.percentile_cont(0.5).within_group(wait)).where(*answered)
        )
        return None if median is None else timedelta(seconds=float(median))
    count = int(await session.scalar(select(func.count()).where(*answered)) or 0)
    if not count:
        return None
    middle = (
        select(wait.label("wait"))
        .where(*answered)
        .order_by(wait)
        .offset((count - 1) // 2)
        .limit(2 if count % 2 == 0 else 1)
        .subquery()
    )
    median = await session.scalar(select(func.avg(middle.c.wait)))
    return None if median is None else timedelta(seconds=float(median))


def table_rows(report: Report) -> list[list[str]]:
    """The status table as rows for CSV (header first), numbers and percentages as text."""
    header = [
        "group",
        "site",
        "referred",
        "active",
        "closed",
        "closed_positive",
        "positive_pct",
        "job",
        "education",
        "other_positive",
        "no_visible_result",
        "no_visible_result_pct",
        "other",
        "other_pct",
    ]
    rows = [header]
    groups = (
        ("prison", report.prisons),
        ("jobcentre", report.jobcentres),
        ("total", [report.total]),
    )
    for group, lines in groups:
        for row in lines:
            rows.append(
                [
                    group,
                    row.label,
                    str(row.referred),
                    str(row.active),
                    str(row.closed),
                    str(row.positive),
                    _pct(row.share(row.positive)),
                    str(row.outcomes[Outcome.JOB]),
                    str(row.outcomes[Outcome.EDUCATION]),
                    str(row.outcomes[Outcome.OTHER_POSITIVE]),
                    str(row.no_visible_result),
                    _pct(row.share(row.no_visible_result)),
                    str(row.other),
                    _pct(row.share(row.other)),
                ]
            )
    return rows


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def chart_bars(rows: list[StatusRow], width: int = 400) -> list[dict[str, object]]:
    """Horizontal stacked bars (positive / no visible result / other / active) for an SVG."""
    largest = max((r.closed + r.active for r in rows), default=0) or 1
    bars: list[dict[str, object]] = []
    for index, row in enumerate(rows):
        x = 0.0
        segments = []
        for css, count in (
            ("positive", row.positive),
            ("neutral", row.no_visible_result),
            ("other", row.other),
            ("active", row.active),
        ):
            w = width * count / largest
            if count:
                segments.append(
                    {"x": round(x, 1), "width": round(w, 1), "css": css, "count": count}
                )
            x += w
        bars.append({"label": row.label, "y": index * 28, "segments": segments})
    return bars
