"""Meetings from the timeline: create, move, cancel, attended or missed.

Each form calls ``bot.services.appointments``, which plans (or cancels) the citizen's messages in
the same unit of work. A refused change (a place that names a sensitive place, a time in the
past) comes back as a 422 page saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Appointment
from bot.services.appointments import (
    AppointmentError,
    MeetingContext,
    cancel_appointment,
    create_appointment,
    move_appointment,
    record_attendance,
)
from bot.services.meeting_input import AttendanceIn, MeetingIn, MeetingMove, local_instant
from bot.services.participants import InputProblem
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    Viewer,
    appointment_for,
    checked_form,
    participant_for,
    runtime_of,
)

router = APIRouter(include_in_schema=False)


def meeting_context(request: Request) -> MeetingContext:
    runtime = runtime_of(request)
    return MeetingContext(runtime.catalogs, runtime.rules, runtime.clock.now())


def _refused(error: Exception) -> HTTPException:
    if isinstance(error, ValidationError):
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        return HTTPException(status_code=422, detail=f"{field}: {problem['msg']}")
    if isinstance(error, InputProblem):
        return HTTPException(status_code=422, detail=error.message)
    return HTTPException(status_code=422, detail=str(error))


MeetingChange = Callable[[AsyncSession, MeetingContext], Awaitable[Appointment]]


async def change_meeting(
    request: Request,
    viewer: Viewer,
    appointment_id: int,
    change: MeetingChange,
    *,
    participant_id: int | None = None,
) -> Appointment:
    """Apply ``change`` to a meeting the viewer may manage: 404 out of scope, 403 by role.

    Pages and the API both come through here; ``AppointmentError`` is theirs to answer.
    """
    async with runtime_of(request).database.session() as db:
        await appointment_for(db, viewer, appointment_id, participant_id)
        viewer.require(Action.MANAGE_MEETINGS)
        return await change(db, meeting_context(request))


def _back(participant_id: int) -> Response:
    return RedirectResponse(f"/participants/{participant_id}#meetings", status_code=303)


@router.post("/participants/{participant_id}/meetings")
async def create(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    runtime = runtime_of(request)
    try:
        fields: dict[str, Any] = {
            "kind": form.get("kind"),
            "starts_at": local_instant(
                str(form.get("date", "")), str(form.get("time", "")), runtime.settings.tz
            ),
            "place": form.get("place"),
            "note": form.get("note") or None,
            "allow_sensitive_place": form.get("allow_sensitive_place") == "on",
        }
        data = MeetingIn.model_validate(fields)
        async with runtime.database.session() as db:
            await participant_for(db, viewer, participant_id)
            viewer.require(Action.MANAGE_MEETINGS)
            await create_appointment(
                db,
                meeting_context(request),
                participant_id=participant_id,
                kind=data.kind,
                starts_at=data.starts_at,
                place=data.place,
                staff_note=data.note,
                created_by_id=viewer.id,
                allow_sensitive_place=data.allow_sensitive_place,
            )
    except (ValidationError, InputProblem, AppointmentError) as error:
        raise _refused(error) from None
    return _back(participant_id)


@router.post("/participants/{participant_id}/meetings/{appointment_id}/move")
async def move(
    request: Request, participant_id: RowId, appointment_id: RowId, viewer: PageViewer
) -> Response:
    form = await checked_form(request)
    tz = runtime_of(request).settings.tz
    try:
        data = MeetingMove.model_validate(
            {
                "starts_at": local_instant(
                    str(form.get("date", "")), str(form.get("time", "")), tz
                ),
                "place": form.get("place") or None,
                "allow_sensitive_place": form.get("allow_sensitive_place") == "on",
            }
        )
        await change_meeting(
            request,
            viewer,
            appointment_id,
            lambda db, context: move_appointment(
                db,
                context,
                appointment_id=appointment_id,
                starts_at=data.starts_at,
                place=data.place,
                moved_by_id=viewer.id,
                allow_sensitive_place=data.allow_sensitive_place,
            ),
            participant_id=participant_id,
        )
    except (ValidationError, InputProblem, AppointmentError) as error:
        raise _refused(error) from None
    return _back(participant_id)


@router.post("/participants/{participant_id}/meetings/{appointment_id}/cancel")
async def cancel(
    request: Request, participant_id: RowId, appointment_id: RowId, viewer: PageViewer
) -> Response:
    await checked_form(request)
    try:
        await change_meeting(
            request,
            viewer,
            appointment_id,
            lambda db, context: cancel_appointment(
                db, context, appointment_id=appointment_id, cancelled_by_id=viewer.id
            ),
            participant_id=participant_id,
        )
    except AppointmentError as error:
        raise _refused(error) from None
    return _back(participant_id)


@router.post("/participants/{participant_id}/meetings/{appointment_id}/attendance")
async def attendance(
    request: Request, participant_id: RowId, appointment_id: RowId, viewer: PageViewer
) -> Response:
    form = await checked_form(request)
    try:
        data = AttendanceIn.model_validate({"attendance": form.get("attendance")})
        await change_meeting(
            request,
            viewer,
            appointment_id,
            lambda db, context: record_attendance(
                db,
                appointment_id=appointment_id,
                attendance=data.attendance,
                now=context.now,
                recorded_by_id=viewer.id,
            ),
            participant_id=participant_id,
        )
    except (ValidationError, AppointmentError) as error:
        raise _refused(error) from None
    return _back(participant_id)
