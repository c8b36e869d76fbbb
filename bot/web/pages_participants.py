"""Participant pages: the list, create and edit, the timeline, closing, and planned messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from bot import outbox
from bot.models import (
    AppointmentKind,
    ChannelKind,
    Message,
    Outcome,
    Participant,
    ParticipantStatus,
    Site,
)
from bot.services.participants import (
    InputProblem,
    ParticipantFilter,
    ParticipantIn,
    choices,
    close_participant,
    create_participant,
    list_participants,
    update_participant,
)
from bot.services.timeline import planned_messages, read_timeline, staff_names
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    Viewer,
    checked_form,
    participant_for,
    participant_scope,
    runtime_of,
)
from bot.web.pages_phone import phone_messages, simulated_address
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)
_FIELDS = tuple(ParticipantIn.model_fields)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def field_errors(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors by field name, for the form (the API returns the same names)."""
    problems: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        problems.setdefault(field, str(problem["msg"]).removeprefix("Value error, "))
    return problems


def _parse(form: FormData) -> tuple[dict[str, Any], ParticipantIn | None, dict[str, str]]:
    raw = {field: str(form.get(field, "")).strip() for field in _FIELDS}
    cleaned = {key: value for key, value in raw.items() if value != ""}
    try:
        return raw, ParticipantIn.model_validate(cleaned), {}
    except ValidationError as error:
        return raw, None, field_errors(error)


@router.get("/participants")
async def participant_list(
    request: Request,
    viewer: PageViewer,
    q: str | None = None,
    site: str | None = None,
    mentor: str | None = None,
    status: str | None = None,
    released_from: str | None = None,
    released_to: str | None = None,
    erased: str | None = None,
) -> Response:
    filters = ParticipantFilter(
        search=(q or "").strip()[:100] or None,
        site_id=_int(site),
        mentor_id=_int(mentor),
        status=ParticipantStatus(status) if status in set(ParticipantStatus) else None,
        released_from=_date(released_from),
        released_to=_date(released_to),
    )
    runtime = runtime_of(request)
    async with runtime.database.read() as db:
        participants = await list_participants(
            db, participant_scope(viewer), filters, with_addresses=False
        )
        sites, mentors, _ = await choices(db)
    return pages_of(request).render(
        request,
        "participants.html",
        viewer=viewer,
        participants=participants,
        filters=filters,
        sites={s.id: s for s in sites},
        mentors={m.id: m for m in mentors},
        erased=_int(erased),
        today=runtime.clock.now().astimezone(runtime.settings.tz).date(),
    )


async def _form_page(
    request: Request,
    viewer: Viewer,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    participant: Participant | None,
    status_code: int = 200,
) -> Response:
    async with runtime_of(request).database.read() as db:
        sites, mentors, consultants = await choices(db)
    return pages_of(request).render(
        request,
        "participant_form.html",
        viewer=viewer,
        values=values,
        errors=errors,
        participant=participant,
        sites=sites,
        mentors=mentors,
        consultants=consultants,
        channels=[ChannelKind.SMS, ChannelKind.SIMULATOR],
        status_code=status_code,
    )


@router.get("/participants/new")
async def new_participant_form(request: Request, viewer: PageViewer) -> Response:
    viewer.require(Action.EDIT_PARTICIPANT)
    values = {field: "" for field in _FIELDS} | {"language": "da", "channel": "sms"}
    return await _form_page(request, viewer, values=values, errors={}, participant=None)


@router.post("/participants/new")
async def new_participant(request: Request, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    viewer.require(Action.EDIT_PARTICIPANT)
    raw, data, errors = _parse(form)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    if data is not None:
        try:
            async with runtime.database.session() as db:
                participant = await create_participant(
                    db,
                    data,
                    created_by=viewer.id,
                    today=now.astimezone(runtime.settings.tz).date(),
                    catalogs=runtime.catalogs,
                    now=now,
                    purpose="dashboard",
                )
            return RedirectResponse(f"/participants/{participant.id}", status_code=303)
        except InputProblem as problem:
            errors = {problem.field: problem.message}
    return await _form_page(
        request, viewer, values=raw, errors=errors, participant=None, status_code=422
    )


def _values_of(participant: Participant) -> dict[str, Any]:
    sms = next((a for a in participant.addresses if a.channel is ChannelKind.SMS), None)
    channel = participant.addresses[0].channel if participant.addresses else ChannelKind.SMS
    return {
        "name": participant.name,
        "language": participant.language,
        "channel": str(channel),
        "phone": sms.address if sms else "",
        "prison_id": participant.prison_id or "",
        "jobcentre_id": participant.jobcentre_id or "",
        "mentor_id": participant.mentor_id or "",
        "consultant_id": participant.consultant_id or "",
        "release_date": participant.release_date.isoformat() if participant.release_date else "",
    }


@router.get("/participants/{participant_id}/edit")
async def edit_participant_form(
    request: Request, participant_id: RowId, viewer: PageViewer
) -> Response:
    async with runtime_of(request).database.read() as db:
        participant = await participant_for(db, viewer, participant_id)
    viewer.require(Action.EDIT_PARTICIPANT)
    return await _form_page(
        request, viewer, values=_values_of(participant), errors={}, participant=participant
    )


@router.post("/participants/{participant_id}/edit")
async def edit_participant(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    raw, data, errors = _parse(form)
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        viewer.require(Action.EDIT_PARTICIPANT)
        if data is not None:
            try:
                await update_participant(
                    db,
                    participant,
                    data,
                    today=now.astimezone(runtime.settings.tz).date(),
                    changed_by=viewer.id,
                    purpose="dashboard",
                    now=now,
                )
                return RedirectResponse(f"/participants/{participant.id}", status_code=303)
            except InputProblem as problem:
                errors = {problem.field: problem.message}
    return await _form_page(
        request, viewer, values=raw, errors=errors, participant=participant, status_code=422
    )


@router.get("/participants/{participant_id}")
async def timeline_page(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        entries = await read_timeline(
            db, participant, staff_id=viewer.id, action="viewed", purpose="timeline", now=now
        )
        sites = {s.id: s for s in await db.scalars(select(Site))}
        # The two staff members the page names, not every account (thousands of mentors).
        staff = await staff_names(db, [participant.mentor_id, participant.consultant_id])
        simulated = simulated_address(participant, runtime.simulated_channels)
        phone = await phone_messages(db, participant.id) if simulated else None
    meetings = sorted(
        (e.appointment for e in entries if e.appointment is not None), key=lambda a: a.starts_at
    )
    return pages_of(request).render(
        request,
        "timeline.html",
        viewer=viewer,
        participant=participant,
        entries=entries,
        planned=planned_messages(entries),
        sites=sites,
        staff=staff,
        outcomes=list(Outcome),
        phone=phone,
        meetings=meetings,
        kinds=list(AppointmentKind),
        tz=runtime.settings.tz,
        now=now,
        Action=Action,
    )


@router.post("/participants/{participant_id}/close")
async def close(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    outcome = form.get("outcome")
    async with runtime.database.session() as db:
        participant = await participant_for(db, viewer, participant_id)
        viewer.require(Action.EDIT_PARTICIPANT)
        if outcome not in set(Outcome):
            raise HTTPException(status_code=422, detail="choose an outcome")
        await close_participant(
            db,
            participant,
            outcome=Outcome(str(outcome)),
            note=str(form.get("note", "")),
            now=now,
            closed_by=viewer.id,
            purpose="dashboard",
        )
    return RedirectResponse(f"/participants/{participant_id}", status_code=303)


@router.post("/participants/{participant_id}/planned/{message_id}/cancel")
async def cancel_planned(
    request: Request,
    participant_id: RowId,
    message_id: RowId,
    viewer: PageViewer,
) -> Response:
    await checked_form(request)
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        await participant_for(db, viewer, participant_id)
        viewer.require(Action.MANAGE_MEETINGS)
        cancelled = await outbox.cancel(
            db,
            Message.id == message_id,
            Message.participant_id == participant_id,
            now=runtime.clock.now(),
        )
        if not cancelled:
            raise HTTPException(status_code=404, detail="no such planned message")
    return RedirectResponse(f"/participants/{participant_id}", status_code=303)
