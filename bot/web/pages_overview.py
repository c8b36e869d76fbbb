"""The overview page and acknowledging an alert."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.services.alerts import acknowledge_alert
from bot.services.overview import overview
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    alert_for,
    checked_form,
    participant_scope,
    runtime_of,
)
from bot.web.pages_signin import safe_next
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)


@router.get("/")
async def overview_page(request: Request, viewer: PageViewer) -> Response:
    runtime = runtime_of(request)
    async with runtime.database.read() as db:
        data = await overview(db, participant_scope(viewer), runtime.clock.now())
    return pages_of(request).render(request, "overview.html", viewer=viewer, data=data)


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(request: Request, alert_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    viewer.require(Action.ACKNOWLEDGE_ALERT)
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        await alert_for(db, viewer, alert_id)
        await acknowledge_alert(db, alert_id=alert_id, staff_id=viewer.id, now=runtime.clock.now())
    return RedirectResponse(safe_next(form.get("next")), status_code=303)
