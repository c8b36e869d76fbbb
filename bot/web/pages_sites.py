"""The admin's site pages: prisons and jobcentres listed, created, renamed, deleted when unused.

Admins only (``Action.MANAGE_SITES``; other roles get 403). ``bot.services.sites`` validates,
refuses to delete a site in use, and writes the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from bot.models import Site, SiteKind
from bot.services.participants import InputProblem
from bot.services.sites import SiteIn, SiteInUse, create_site, delete_site, list_sites, update_site
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    Viewer,
    checked_form,
    managed_row,
    runtime_of,
)
from bot.web.pages_participants import field_errors
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)
_FIELDS = ("kind", "name", "municipality")
NOTICES = {
    "created": "The site was created.",
    "changed": "The site was changed.",
    "deleted": "The site was deleted.",
}


def _parse(
    form: FormData, kind: SiteKind | None
) -> tuple[dict[str, Any], SiteIn | None, dict[str, str]]:
    raw = {field: str(form.get(field, "")).strip() for field in _FIELDS}
    if kind is not None:  # editing: the kind stays what it is
        raw["kind"] = str(kind)
    cleaned = {key: value for key, value in raw.items() if value}
    try:
        return raw, SiteIn.model_validate(cleaned), {}
    except ValidationError as error:
        errors = field_errors(error)
        if "form" in errors:  # the check across fields: a municipality for a prison
            errors["municipality"] = errors.pop("form")
        return raw, None, errors


async def _list_page(
    request: Request,
    viewer: Viewer,
    *,
    notice: str | None = None,
    problem: SiteInUse | None = None,
    status_code: int = 200,
) -> Response:
    async with runtime_of(request).database.read() as db:
        sites = await list_sites(db)
    return pages_of(request).render(
        request,
        "sites.html",
        viewer=viewer,
        sites=sites,
        notice=NOTICES.get(notice or ""),
        problem=problem,
        status_code=status_code,
    )


def _form_page(
    request: Request,
    viewer: Viewer,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    site: Site | None,
    status_code: int = 200,
) -> Response:
    return pages_of(request).render(
        request,
        "site_form.html",
        viewer=viewer,
        values=values,
        errors=errors,
        site=site,
        kinds=list(SiteKind),
        status_code=status_code,
    )


@router.get("/sites")
async def site_list(request: Request, viewer: PageViewer, done: str | None = None) -> Response:
    viewer.require(Action.MANAGE_SITES)
    return await _list_page(request, viewer, notice=done)


@router.get("/sites/new")
async def new_site_form(request: Request, viewer: PageViewer) -> Response:
    viewer.require(Action.MANAGE_SITES)
    values = {"kind": "prison", "name": "", "municipality": ""}
    return _form_page(request, viewer, values=values, errors={}, site=None)


@router.post("/sites/new")
async def new_site(request: Request, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    viewer.require(Action.MANAGE_SITES)
    raw, data, errors = _parse(form, kind=None)
    runtime = runtime_of(request)
    if data is not None:
        try:
            async with runtime.database.session() as db:
                await create_site(db, data, by=viewer.id, now=runtime.clock.now())
            return RedirectResponse("/sites?done=created", status_code=303)
        except InputProblem as problem:
            errors = {problem.field: problem.message}
    return _form_page(request, viewer, values=raw, errors=errors, site=None, status_code=422)


@router.get("/sites/{site_id}/edit")
async def edit_site_form(request: Request, site_id: RowId, viewer: PageViewer) -> Response:
    site = await managed_row(request, viewer, Action.MANAGE_SITES, Site, site_id)
    values = {"kind": str(site.kind), "name": site.name, "municipality": site.municipality or ""}
    return _form_page(request, viewer, values=values, errors={}, site=site)


@router.post("/sites/{site_id}/edit")
async def edit_site(request: Request, site_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    site = await managed_row(request, viewer, Action.MANAGE_SITES, Site, site_id)
    raw, data, errors = _parse(form, kind=site.kind)
    runtime = runtime_of(request)
    if data is not None:
        try:
            async with runtime.database.session() as db:
                row = await db.get_one(Site, site_id)
                await update_site(db, row, data, by=viewer.id, now=runtime.clock.now())
            return RedirectResponse("/sites?done=changed", status_code=303)
        except InputProblem as problem:
            errors = {problem.field: problem.message}
    return _form_page(request, viewer, values=raw, errors=errors, site=site, status_code=422)


@router.post("/sites/{site_id}/delete")
async def delete(request: Request, site_id: RowId, viewer: PageViewer) -> Response:
    await checked_form(request)
    await managed_row(request, viewer, Action.MANAGE_SITES, Site, site_id)
    runtime = runtime_of(request)
    try:
        async with runtime.database.session() as db:
            await delete_site(db, site_id, by=viewer.id, now=runtime.clock.now())
    except SiteInUse as in_use:
        return await _list_page(request, viewer, problem=in_use, status_code=409)
    except LookupError:
        raise HTTPException(status_code=404, detail="no such site") from None
    return RedirectResponse("/sites?done=deleted", status_code=303)
