"""The check-in plan (admins): the programme's default plan, editable, and who has their own.

Editing goes through the same service as ``brobygger plan set``
(``bot.services.care_plans.set_default_plan``), so the dashboard and the CLI accept exactly the
same plans and refuse the rest with the same message; the service writes the audit row with the
admin's id. The planner re-plans what has not been sent; this process wakes its planner tick at
once, other processes re-plan on their next tick (every 5 minutes).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.models import CheckinPlanRecord, Participant
from bot.services.care_plans import DEFAULT_PLAN_NAME, PlanError, set_default_plan
from bot.web.access import Action, PageViewer, Viewer, checked_form, runtime_of
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)


async def _plans_page(
    request: Request,
    viewer: Viewer,
    *,
    typed: str | None = None,
    problem: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    rules = runtime.rules
    async with runtime.database.read() as db:
        record = await db.scalar(
            select(CheckinPlanRecord).where(CheckinPlanRecord.name == DEFAULT_PLAN_NAME)
        )
        rows = await db.execute(
            select(Participant.id, Participant.name, Participant.plan_override)
            .where(Participant.erased_at.is_(None), Participant.plan_override.is_not(None))
            .order_by(Participant.id)
        )
        own_plans = [(id_, name, override) for id_, name, override in rows if override]
    current = rules.describe_plan(record.definition if record is not None else None)
    return pages_of(request).render(
        request,
        "plans.html",
        viewer=viewer,
        current=current,
        record=record,
        built_in=rules.describe_plan(None),
        typed=current if typed is None else typed,
        problem=problem,
        notice=notice,
        own_plans=own_plans,
        status_code=status_code,
    )


@router.get("/plans")
async def plans_page(request: Request, viewer: PageViewer, done: str | None = None) -> Response:
    viewer.require(Action.CONFIGURE)
    notice = "The default plan is saved." if done == "saved" else None
    return await _plans_page(request, viewer, notice=notice)


@router.post("/plans/default")
async def set_default(request: Request, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    viewer.require(Action.CONFIGURE)
    text = str(form.get("plan", "")).strip()
    runtime = runtime_of(request)
    try:
        async with runtime.database.session() as db:
            await set_default_plan(
                db, runtime.rules, text=text, now=runtime.clock.now(), staff_id=viewer.id
            )
    except PlanError as error:
        return await _plans_page(request, viewer, typed=text, problem=str(error), status_code=422)
    runtime.ticks.wake("planner")
    return RedirectResponse("/plans?done=saved", status_code=303)
