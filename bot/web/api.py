"""The JSON API under ``/api``: what a consultant does on the dashboard, for other programs.

Staff authenticate with a bearer token (``brobygger token create --staff EMAIL``). The same
role and scope rules as the pages apply (:mod:`bot.web.access`): another mentor's participant
is 404, an action the role may not take is 403. Bad input is 422 with the field's name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import select

from bot.models import Alert, Participant, ParticipantStatus
from bot.services.alerts import acknowledge_alert
from bot.services.participants import (
    InputProblem,
    ParticipantFilter,
    ParticipantIn,
    close_participant,
    create_participant,
    list_participants,
    update_participant,
)
from bot.services.staff_messages import write_to_participant
from bot.services.timeline import read_timeline
from bot.web.access import (
    Action,
    ApiViewer,
    RowId,
    Viewer,
    alert_for,
    participant_for,
    participant_scope,
    runtime_of,
)
from bot.web.api_schemas import (
    Acknowledged,
    AlertOut,
    MessageCreated,
    MessageIn,
    OutcomeIn,
    ParticipantOut,
    StaffOut,
    TimelineOut,
)

router = APIRouter(prefix="/api", tags=["api"])


def unprocessable(problem: InputProblem) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, naming the field."""
    return HTTPException(
        status_code=422,
        detail=[{"loc": ["body", problem.field], "msg": problem.message, "type": "value_error"}],
    )


@router.get("/me", response_model=StaffOut)
async def me(viewer: ApiViewer) -> StaffOut:
    return StaffOut(id=viewer.id, name=viewer.name, email=viewer.email, role=str(viewer.role))


@router.get("/participants", response_model=list[ParticipantOut])
async def participants(
    request: Request,
    viewer: ApiViewer,
    q: Annotated[str | None, Query(max_length=100)] = None,
    site_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    mentor_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: ParticipantStatus | None = None,
    released_from: date | None = None,
    released_to: date | None = None,
) -> list[ParticipantOut]:
    filters = ParticipantFilter(q, site_id, mentor_id, status, released_from, released_to)
    async with runtime_of(request).database.read() as db:
        rows = await list_participants(db, participant_scope(viewer), filters)
    return [ParticipantOut.of(p) for p in rows]


@router.post("/participants", response_model=ParticipantOut, status_code=201)
async def create(request: Request, viewer: ApiViewer, data: ParticipantIn) -> ParticipantOut:
    viewer.require(Action.EDIT_PARTICIPANT)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    try:
        async with runtime.database.session() as db:
            participant = await create_participant(
                db,
                data,
                created_by=viewer.id,
                today=now.astimezone(runtime.settings.tz).date(),
                catalogs=runtime.catalogs,
                now=now,
                purpose="api",
            )
    except InputProblem as problem:
        raise unprocessable(problem) from None
    return ParticipantOut.of(participant)


async def _participant(request: Request, viewer: Viewer, participant_id: RowId) -> Participant:
    async with runtime_of(request).database.read() as db:
        return await participant_for(db, viewer, participant_id)


@router.get("/participants/{participant_id}", response_model=ParticipantOut)
async def participant(request: Request, viewer: ApiViewer, participant_id: RowId) -> ParticipantOut:
    return ParticipantOut.of(await _participant(request, viewer, participant_id))


@router.put("/participants/{participant_id}", response_model=ParticipantOut)
async def update(
    request: Request, viewer: ApiViewer, participant_id: RowId, data: ParticipantIn
) -> ParticipantOut:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    try:
        async with runtime.database.session() as db:
            found = await participant_for(db, viewer, participant_id)
            viewer.require(Action.EDIT_PARTICIPANT)
            await update_participant(
                db,
                found,
                data,
                today=now.astimezone(runtime.settings.tz).date(),
                changed_by=viewer.id,
                purpose="api",
                now=now,
            )
            await db.refresh(found, ["addresses"])
    except InputProblem as problem:
        raise unprocessable(problem) from None
    return ParticipantOut.of(found)


@router.get("/participants/{participant_id}/timeline", response_model=TimelineOut)
async def participant_timeline(
    request: Request, viewer: ApiViewer, participant_id: RowId
) -> TimelineOut:
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        found = await participant_for(db, viewer, participant_id)
        entries = await read_timeline(
            db,
            found,
            staff_id=viewer.id,
            action="viewed",
            purpose="api timeline",
            now=runtime.clock.now(),
        )
    return TimelineOut(participant_id=found.id, entries=[e.to_json() for e in entries])


@router.post("/participants/{participant_id}/outcome", response_model=ParticipantOut)
async def outcome(
    request: Request, viewer: ApiViewer, participant_id: RowId, data: OutcomeIn
) -> ParticipantOut:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    async with runtime.database.session() as db:
        found = await participant_for(db, viewer, participant_id)
        viewer.require(Action.EDIT_PARTICIPANT)
        await close_participant(
            db,
            found,
            outcome=data.outcome,
            note=data.note,
            now=now,
            closed_by=viewer.id,
            purpose="api outcome",
        )
    return ParticipantOut.of(found)


@router.post(
    "/participants/{participant_id}/messages", response_model=MessageCreated, status_code=201
)
async def write(
    request: Request, viewer: ApiViewer, participant_id: RowId, data: MessageIn
) -> MessageCreated:
    viewer.require(Action.WRITE_MESSAGE)
    runtime = runtime_of(request)
    try:
        async with runtime.database.session() as db:
            found = await participant_for(db, viewer, participant_id)
            message_id = await write_to_participant(
                db, found, author_id=viewer.id, body=data.body, now=runtime.clock.now()
            )
    except InputProblem as problem:
        raise unprocessable(problem) from None
    return MessageCreated(message_id=message_id)


@router.get("/alerts", response_model=list[AlertOut])
async def alerts(request: Request, viewer: ApiViewer) -> list[AlertOut]:
    async with runtime_of(request).database.read() as db:
        rows = await db.scalars(
            select(Alert)
            .join(Participant, Participant.id == Alert.participant_id)
            .where(participant_scope(viewer), Alert.resolved_at.is_(None))
            .order_by(Alert.created_at.desc())
            .limit(500)
        )
        return [AlertOut.of(a) for a in rows]


@router.post("/alerts/{alert_id}/acknowledge", response_model=Acknowledged)
async def acknowledge(request: Request, viewer: ApiViewer, alert_id: RowId) -> Acknowledged:
    viewer.require(Action.ACKNOWLEDGE_ALERT)
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        await alert_for(db, viewer, alert_id)
        done = await acknowledge_alert(
            db, alert_id=alert_id, staff_id=viewer.id, now=runtime.clock.now()
        )
    return Acknowledged(alert_id=alert_id, acknowledged=done)
