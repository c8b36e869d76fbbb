"""The admin's privacy actions on one participant: access history, export, erasure (issue #8).

All three are admin-only (``Action.PRIVACY``): a participant outside the viewer's scope is 404
as everywhere, a visible participant is 403 for other roles. Each writes an audit row: viewing
the history is a view, the export is recorded by ``export_and_record``, the erasure by
``erase_participant``. Erasure is irreversible, so it needs a confirmation: the admin types the
participant's number into a CSRF-protected form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from bot.models import Staff
from bot.services import audit
from bot.services.erasure import erase_participant
from bot.services.subject_export import export_and_record, render_html, to_json
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    Viewer,
    checked_form,
    participant_for,
    runtime_of,
)
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)
CONFIRM_FIELD = "confirm_id"


@router.get("/participants/{participant_id}/access-history")
async def access_history_page(
    request: Request, participant_id: RowId, viewer: PageViewer
) -> Response:
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        viewer.require(Action.PRIVACY)
        await audit.record(
            db,
            staff_id=viewer.id,
            action=audit.Action.VIEWED,
            participant_id=participant_id,
            purpose="access history",
            at=runtime.clock.now(),
        )
        history = await audit.access_history(db, participant_id)
        staff = {s.id: s.name for s in await db.scalars(select(Staff))}
    return pages_of(request).render(
        request,
        "access_history.html",
        viewer=viewer,
        participant=participant,
        history=list(reversed(history)),
        staff=staff,
    )


async def _export(
    request: Request, participant_id: int, viewer: Viewer, purpose: str
) -> dict[str, Any]:
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        await participant_for(db, viewer, participant_id)
        viewer.require(Action.PRIVACY)
        document = await export_and_record(
            db, participant_id, runtime.clock.now(), staff_id=viewer.id, purpose=purpose
        )
    return document


@router.get("/participants/{participant_id}/subject-export.json")
async def subject_export_json(
    request: Request, participant_id: RowId, viewer: PageViewer
) -> Response:
    document = await _export(request, participant_id, viewer, "dashboard subject export (json)")
    return Response(
        to_json(document),
        media_type="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="participant-{participant_id}-export.json"'
            ),
            "Cache-Control": "no-store",
        },
    )


@router.get("/participants/{participant_id}/subject-export.html")
async def subject_export_html(
    request: Request, participant_id: RowId, viewer: PageViewer
) -> Response:
    document = await _export(request, participant_id, viewer, "dashboard subject export (html)")
    return HTMLResponse(render_html(document))


@router.get("/participants/{participant_id}/erase")
async def erase_form(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    async with runtime_of(request).database.read() as db:
        participant = await participant_for(db, viewer, participant_id)
    viewer.require(Action.PRIVACY)
    return pages_of(request).render(
        request, "erase.html", viewer=viewer, participant=participant, problem=None
    )


@router.post("/participants/{participant_id}/erase")
async def erase(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        viewer.require(Action.PRIVACY)
        if str(form.get(CONFIRM_FIELD, "")).strip().lstrip("#") != str(participant_id):
            return pages_of(request).render(
                request,
                "erase.html",
                viewer=viewer,
                participant=participant,
                problem="Type the participant's number to confirm. Nothing was erased.",
                status_code=422,
            )
        await erase_participant(
            db, participant_id, runtime.clock.now(), viewer.id, purpose="dashboard erasure"
        )
    return RedirectResponse(f"/participants?erased={participant_id}", status_code=303)
