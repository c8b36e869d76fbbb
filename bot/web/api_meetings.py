"""The JSON API's meetings: list, create, move, cancel, record attendance (same rules as pages)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import select

from bot.models import Appointment
from bot.services.appointments import (
    AppointmentError,
    cancel_appointment,
    create_appointment,
    move_appointment,
    record_attendance,
)
from bot.services.meeting_input import AttendanceIn, MeetingIn, MeetingMove
from bot.web.access import (
    Action,
    ApiViewer,
    RowId,
    Viewer,
    participant_for,
    runtime_of,
)
from bot.web.pages_meetings import MeetingChange, change_meeting, meeting_context

router = APIRouter(prefix="/api", tags=["meetings"])


class MeetingOut(BaseModel):
    id: int
    participant_id: int
    kind: str
    starts_at: datetime
    place: str
    status: str
    confirmation: str
    attendance: str

    @classmethod
    def of(cls, a: Appointment) -> MeetingOut:
        return cls(
            id=a.id,
            participant_id=a.participant_id,
            kind=str(a.kind),
            starts_at=a.starts_at,
            place=a.place,
            status=str(a.status),
            confirmation=str(a.confirmation),
            attendance=str(a.attendance),
        )


def _refused(error: AppointmentError) -> HTTPException:
    return HTTPException(
        status_code=422,
        detail=[{"loc": ["body"], "msg": str(error), "type": "value_error"}],
    )


@router.get("/participants/{participant_id}/meetings", response_model=list[MeetingOut])
async def meetings(request: Request, viewer: ApiViewer, participant_id: RowId) -> list[MeetingOut]:
    async with runtime_of(request).database.read() as db:
        await participant_for(db, viewer, participant_id)
        rows = await db.scalars(
            select(Appointment)
            .where(Appointment.participant_id == participant_id)
            .order_by(Appointment.starts_at)
        )
        return [MeetingOut.of(a) for a in rows]


@router.post("/participants/{participant_id}/meetings", response_model=MeetingOut, status_code=201)
async def create(
    request: Request, viewer: ApiViewer, participant_id: RowId, data: MeetingIn
) -> MeetingOut:
    try:
        async with runtime_of(request).database.session() as db:
            await participant_for(db, viewer, participant_id)
            viewer.require(Action.MANAGE_MEETINGS)
            meeting = await create_appointment(
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
    except AppointmentError as error:
        raise _refused(error) from None
    return MeetingOut.of(meeting)


@router.post("/meetings/{appointment_id}/move", response_model=MeetingOut)
async def move(
    request: Request, viewer: ApiViewer, appointment_id: RowId, data: MeetingMove
) -> MeetingOut:
    return await _change(
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
    )


@router.post("/meetings/{appointment_id}/cancel", response_model=MeetingOut)
async def cancel(request: Request, viewer: ApiViewer, appointment_id: RowId) -> MeetingOut:
    return await _change(
        request,
        viewer,
        appointment_id,
        lambda db, context: cancel_appointment(
            db, context, appointment_id=appointment_id, cancelled_by_id=viewer.id
        ),
    )


@router.post("/meetings/{appointment_id}/attendance", response_model=MeetingOut)
async def attendance(
    request: Request, viewer: ApiViewer, appointment_id: RowId, data: AttendanceIn
) -> MeetingOut:
    return await _change(
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
    )


async def _change(
    request: Request, viewer: Viewer, appointment_id: int, change: MeetingChange
) -> MeetingOut:
    try:
        return MeetingOut.of(await change_meeting(request, viewer, appointment_id, change))
    except AppointmentError as error:
        raise _refused(error) from None
