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

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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


def _count(row: StatusRow, p: Participant, start: datetime, end: datetime) -> None:
    if start <= p.enrolled_at < end:
        row.referred += 1
    if p.enrolled_at < end and (p.closed_at is None or p.closed_at >= end):
        row.active += 1
    if p.closed_at is not None and start <= p.closed_at < end:
        row.closed += 1
        row.outcomes[p.outcome or Outcome.OTHER] += 1


def _rows(
    people: Iterable[Participant], key: str, names: dict[int, str], start: datetime, end: datetime
) -> list[StatusRow]:
    rows: dict[int | None, StatusRow] = {}
    for p in people:
        site_id = getattr(p, key)
        label = names.get(site_id, "—") if site_id is not None else "—"
        _count(rows.setdefault(site_id, StatusRow(label)), p, start, end)
    return sorted(rows.values(), key=lambda row: row.label)


async def status_report(
    session: AsyncSession, scope: ColumnElement[bool], start: datetime, end: datetime
) -> Report:
    people = list(
        # Erased participants count: erasure anonymises them so the programme's numbers stay.
        await session.scalars(select(Participant).where(scope, Participant.enrolled_at < end))
    )
    names = {site.id: site.name for site in await session.scalars(select(Site))}
    total = StatusRow("Total")
    for p in people:
        _count(total, p, start, end)
    in_period = [p for p in people if p.closed_at is None or p.closed_at >= start]
    rates = await _rates(session, [p.id for p in in_period], start, end)
    return Report(
        start,
        end,
        _rows(people, "prison_id", names, start, end),
        _rows(people, "jobcentre_id", names, start, end),
        total,
        rates,
    )


async def _rates(session: AsyncSession, ids: list[int], start: datetime, end: datetime) -> Rates:
    checkins = (
        await session.execute(
            select(func.count(Message.id), func.count(Message.answered_by_id)).where(
                Message.participant_id.in_(ids),
                Message.kind == MessageKind.CHECKIN,
                Message.status.in_(SENT),
                Message.sent_at >= start,
                Message.sent_at < end,
            )
        )
    ).one()
    meetings = list(
        await session.scalars(
            select(Appointment).where(
                Appointment.participant_id.in_(ids),
                Appointment.status == AppointmentStatus.SCHEDULED,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
        )
    )
    answer = aliased(Message)
    waits = [
        (answered - asked).total_seconds()
        for asked, answered in (
            await session.execute(
                select(Message.sent_at, answer.received_at)
                .join(answer, answer.id == Message.answered_by_id)
                .where(
                    Message.participant_id.in_(ids),
                    Message.expects_reply.is_(True),
                    Message.sent_at >= start,
                    Message.sent_at < end,
                )
            )
        ).all()
        if asked is not None and answered is not None
    ]
    alerts = await session.scalar(
        select(func.count(Alert.id)).where(
            Alert.participant_id.in_(ids), Alert.created_at >= start, Alert.created_at < end
        )
    )
    recorded = [m for m in meetings if m.attendance is not Attendance.UNKNOWN]
    return Rates(
        checkins_sent=int(checkins[0]),
        checkins_answered=int(checkins[1]),
        meetings=len(meetings),
        meetings_confirmed=sum(m.confirmation is Confirmation.CONFIRMED for m in meetings),
        attendance_recorded=len(recorded),
        attended=sum(m.attendance is Attendance.ATTENDED for m in recorded),
        median_reply=timedelta(seconds=statistics.median(waits)) if waits else None,
        alerts=int(alerts or 0),
        participants_in_period=len(ids),
    )


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
