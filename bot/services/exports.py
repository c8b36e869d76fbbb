"""Exports for the municipality: CSV that spreadsheets cannot execute, and the report's figures.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) would be read
as a formula by Excel and LibreOffice; such cells get a leading apostrophe. Citizen text goes
into these cells, so it is untrusted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.models import Alert, Appointment, Attendance, Confirmation, MessageKind
from bot.services.timeline import EntryType, TimelineEntry

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TIMELINE_COLUMNS = (
    "at",
    "type",
    "kind",
    "channel",
    "status",
    "intent",
    "intent_value",
    "author",
    "body",
    "place",
    "confirmation",
    "attendance",
    "reason",
    "acknowledged_by",
)


def neutralise(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def timeline_rows(entries: Iterable[TimelineEntry], tz: ZoneInfo) -> list[list[object]]:
    """The timeline oldest first, one row per entry, local times."""
    rows: list[list[object]] = [list(TIMELINE_COLUMNS)]
    for entry in sorted(entries, key=lambda e: e.at):
        data = entry.to_json()
        local = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        rows.append([local, *(data.get(column, "") for column in TIMELINE_COLUMNS[1:])])
    return rows


@dataclass(frozen=True)
class MunicipalityReport:
    """The figures of the "fyldestgørende rapport" for one participant and period."""

    start: datetime
    end: datetime
    meetings: list[Appointment]
    attended: int
    missed: int
    confirmed: int
    checkins_asked: int
    checkins_answered: int
    scores: list[int]
    free_text_replies: int
    alerts: list[Alert]

    @property
    def average_score(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 1) if self.scores else None


def municipality_report(
    entries: list[TimelineEntry], start: datetime, end: datetime
) -> MunicipalityReport:
    """Summarise a timeline for the period: meetings and attendance, check-ins, alerts."""
    inside = [e for e in entries if start <= e.at < end]
    meetings = sorted(
        (e.appointment for e in inside if e.appointment is not None), key=lambda a: a.starts_at
    )
    outgoing = [e.message for e in inside if e.type is EntryType.MESSAGE_OUT and e.message]
    incoming = [e.message for e in inside if e.type is EntryType.MESSAGE_IN and e.message]
    checkins = [m for m in outgoing if m.kind == MessageKind.CHECKIN and m.sent_at is not None]
    scores = [
        int(value)
        for m in incoming
        if m.intent == "score" and (value := m.intent_value or "").isdigit()
    ]
    return MunicipalityReport(
        start=start,
        end=end,
        meetings=meetings,
        attended=sum(a.attendance is Attendance.ATTENDED for a in meetings),
        missed=sum(a.attendance is Attendance.MISSED for a in meetings),
        confirmed=sum(a.confirmation is Confirmation.CONFIRMED for a in meetings),
        checkins_asked=len(checkins),
        checkins_answered=sum(m.answered_by_id is not None for m in checkins),
        scores=scores,
        free_text_replies=sum(m.intent in (None, "free_text") for m in incoming),
        alerts=[e.alert for e in inside if e.alert is not None],
    )
