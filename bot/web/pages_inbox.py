"""Staff writing to a participant from the timeline, and the inbox of citizens' own words."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.services.participants import InputProblem
from bot.services.staff_messages import inbox, mark_read, unread_count, write_to_participant
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    checked_form,
    participant_for,
    participant_scope,
    runtime_of,
)
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)


@router.post("/participants/{participant_id}/messages")
async def write(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    viewer.require(Action.WRITE_MESSAGE)
    runtime = runtime_of(request)
    try:
        async with runtime.database.session() as db:
            participant = await participant_for(db, viewer, participant_id)
            await write_to_participant(
                db,
                participant,
                author_id=viewer.id,
                body=str(form.get("body", "")),
                now=runtime.clock.now(),
            )
    except InputProblem as problem:
        raise HTTPException(status_code=422, detail=problem.message) from None
    return RedirectResponse(f"/participants/{participant_id}#timeline", status_code=303)


@router.get("/inbox")
async def inbox_page(request: Request, viewer: PageViewer) -> Response:
    async with runtime_of(request).database.read() as db:
        scope = participant_scope(viewer)
        rows = await inbox(db, scope)
        unread = await unread_count(db, scope)
    return pages_of(request).render(request, "inbox.html", viewer=viewer, rows=rows, unread=unread)


@router.post("/inbox/read")
async def read(request: Request, viewer: PageViewer) -> Response:
    """Mark one message (``message_id``) or all unread in the viewer's scope as read."""
    form = await checked_form(request)
    raw = str(form.get("message_id", ""))
    ids = [int(raw)] if raw.isdigit() and len(raw) < 10 else None
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        await mark_read(
            db,
            participant_scope(viewer),
            message_ids=ids,
            staff_id=viewer.id,
            now=runtime.clock.now(),
        )
    return RedirectResponse("/inbox", status_code=303)
