"""Statistics (the status report), its CSV, and the per-participant exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.services.exports import csv_text, municipality_report, timeline_rows
from bot.services.statistics import Report, chart_bars, status_report, table_rows
from bot.services.timeline import read_timeline
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    Viewer,
    participant_for,
    participant_scope,
    runtime_of,
)
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def period(
    request: Request, start: str | None, end: str | None
) -> tuple[date, date, datetime, datetime]:
    """The chosen period in local days (default: this year so far) and as UTC instants.

    ``end`` is inclusive for people and exclusive as an instant (the next midnight).
    """
    runtime = runtime_of(request)
    tz = runtime.settings.tz
    today = runtime.clock.now().astimezone(tz).date()
    first = _day(start) or date(today.year, 1, 1)
    last = _day(end) or today
    if last < first:
        first, last = last, first

    def instant(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

    return first, last, instant(first), instant(last + timedelta(days=1))


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _status_report(
    request: Request, viewer: Viewer, start: str | None, end: str | None
) -> tuple[date, date, Report]:
    """The status report over the viewer's participants for the chosen period (403 by role)."""
    viewer.require(Action.VIEW_STATISTICS)
    first, last, since, until = period(request, start, end)
    database = runtime_of(request).database
    # Two connections: the median runs beside the rest of the report (see status_report).
    async with database.read() as db, database.read() as second:
        report = await status_report(db, participant_scope(viewer), since, until, second=second)
    return first, last, report


@router.get("/statistics")
async def statistics_page(
    request: Request, viewer: PageViewer, start: str | None = None, end: str | None = None
) -> Response:
    first, last, report = await _status_report(request, viewer, start, end)
    return pages_of(request).render(
        request,
        "statistics.html",
        viewer=viewer,
        report=report,
        first=first,
        last=last,
        prison_bars=chart_bars(report.prisons),
        jobcentre_bars=chart_bars(report.jobcentres),
    )


@router.get("/statistics.csv")
async def statistics_csv(
    request: Request, viewer: PageViewer, start: str | None = None, end: str | None = None
) -> Response:
    first, last, report = await _status_report(request, viewer, start, end)
    return _csv(csv_text(table_rows(report)), f"brobygger-status-{first}-{last}.csv")


@router.get("/participants/{participant_id}/export.csv")
async def timeline_csv(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        viewer.require(Action.EXPORT)
        entries = await read_timeline(
            db,
            participant,
            staff_id=viewer.id,
            action="exported",
            purpose="timeline csv",
            now=runtime.clock.now(),
        )
    rows = timeline_rows(entries, runtime.settings.tz)
    return _csv(csv_text(rows), f"brobygger-timeline-{participant.id}.csv")


@router.get("/participants/{participant_id}/report")
async def printable_report(
    request: Request,
    participant_id: RowId,
    viewer: PageViewer,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    runtime = runtime_of(request)
    first, last, since, until = period(request, start, end)
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        viewer.require(Action.EXPORT)
        if start is None:  # default: since enrolment
            first = participant.enrolled_at.astimezone(runtime.settings.tz).date()
            since = participant.enrolled_at
        entries = await read_timeline(
            db,
            participant,
            staff_id=viewer.id,
            action="exported",
            purpose="municipality report",
            now=runtime.clock.now(),
        )
    return pages_of(request).render(
        request,
        "report.html",
        viewer=viewer,
        participant=participant,
        first=first,
        last=last,
        report=municipality_report(entries, since, until),
    )
