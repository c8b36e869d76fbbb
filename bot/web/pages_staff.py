"""The admin's staff pages: list, create, edit, disable and re-enable, set a new password.

Admins only (``Action.MANAGE_STAFF``; other roles get 403). The pages parse the form and call
``bot.services.staff``, which validates, guards the last admin and writes the audit log. A
generated password is shown once, in the answer to the post that made it, and stored nowhere
but as its argon2 hash.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from bot.models import Role, Site, Staff
from bot.services.participants import InputProblem
from bot.services.staff import (
    StaffError,
    StaffIn,
    create_account,
    disable_account,
    enable_account,
    list_accounts,
    set_password,
    update_account,
)
from bot.web.access import (
    Action,
    PageViewer,
    RowId,
    Viewer,
    checked_form,
    managed_row,
    runtime_of,
    session_of,
)
from bot.web.pages_participants import field_errors
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)
# What the list says after a change (``/staff?done=...``).
NOTICES = {
    "created": "The account was created.",
    "changed": "The account was changed.",
    "disabled": "The account was disabled; its sessions and API tokens have ended.",
    "enabled": "The account can sign in again.",
    "password": "The new password is set; the account's sessions have ended.",
}
_TEXT_FIELDS = ("email", "name", "role", "language", "phone", "telegram_chat_id")
PASSWORDS_DIFFER = "the passwords differ"


def _parse(form: FormData) -> tuple[dict[str, Any], StaffIn | None, dict[str, str]]:
    raw: dict[str, Any] = {field: str(form.get(field, "")).strip() for field in _TEXT_FIELDS}
    raw["site_ids"] = [str(value) for value in form.getlist("site_ids")]
    cleaned: dict[str, Any] = {key: value for key, value in raw.items() if value not in ("", [])}
    if "site_ids" in cleaned:
        cleaned["site_ids"] = [
            int(v) if v.isdigit() and len(v) < 10 else 0 for v in raw["site_ids"]
        ]
    try:
        return raw, StaffIn.model_validate(cleaned), {}
    except ValidationError as error:
        errors = field_errors(error)
        if "form" in errors:  # the check across fields: only consultants cover sites
            errors["site_ids"] = errors.pop("form")
        return raw, None, errors


def _typed_password(form: FormData) -> tuple[str | None, dict[str, str]]:
    """The password the admin typed (twice), or None to generate one."""
    password = str(form.get("password", ""))
    if not password:
        return None, {}
    if password != str(form.get("password_repeat", "")):
        return None, {"password": PASSWORDS_DIFFER}
    return password, {}


async def _sites(request: Request) -> list[Site]:
    async with runtime_of(request).database.read() as db:
        return list(await db.scalars(select(Site).order_by(Site.kind, Site.name)))


async def _account(request: Request, viewer: Viewer, staff_id: int) -> Staff:
    return await managed_row(request, viewer, Action.MANAGE_STAFF, Staff, staff_id)


async def _list_page(
    request: Request,
    viewer: Viewer,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    async with runtime_of(request).database.read() as db:
        accounts = await list_accounts(db)
    return pages_of(request).render(
        request,
        "staff.html",
        viewer=viewer,
        accounts=accounts,
        notice=NOTICES.get(notice or ""),
        problem=problem,
        status_code=status_code,
    )


async def _form_page(
    request: Request,
    viewer: Viewer,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    account: Staff | None,
    status_code: int = 200,
) -> Response:
    return pages_of(request).render(
        request,
        "staff_form.html",
        viewer=viewer,
        values=values,
        errors=errors,
        account=account,
        roles=list(Role),
        sites=await _sites(request),
        status_code=status_code,
    )


def _password_shown(request: Request, viewer: Viewer, account: Staff, password: str) -> Response:
    return pages_of(request).render(
        request, "staff_password_shown.html", viewer=viewer, account=account, password=password
    )


@router.get("/staff")
async def staff_list(request: Request, viewer: PageViewer, done: str | None = None) -> Response:
    viewer.require(Action.MANAGE_STAFF)
    return await _list_page(request, viewer, notice=done)


@router.get("/staff/new")
async def new_staff_form(request: Request, viewer: PageViewer) -> Response:
    viewer.require(Action.MANAGE_STAFF)
    values: dict[str, Any] = {field: "" for field in _TEXT_FIELDS}
    values |= {"role": "mentor", "language": "da", "site_ids": []}
    return await _form_page(request, viewer, values=values, errors={}, account=None)


@router.post("/staff/new")
async def new_staff(request: Request, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    viewer.require(Action.MANAGE_STAFF)
    raw, data, errors = _parse(form)
    password, password_errors = _typed_password(form)
    errors |= password_errors
    runtime = runtime_of(request)
    if data is not None and not errors:
        try:
            async with runtime.database.session() as db:
                account, generated = await create_account(
                    db, data, password=password, by=viewer.id, now=runtime.clock.now()
                )
        except InputProblem as problem:
            errors = {problem.field: problem.message}
        else:
            if generated is None:
                return RedirectResponse("/staff?done=created", status_code=303)
            return _password_shown(request, viewer, account, generated)
    return await _form_page(
        request, viewer, values=raw, errors=errors, account=None, status_code=422
    )


def _values_of(account: Staff) -> dict[str, Any]:
    values: dict[str, Any] = {field: getattr(account, field) or "" for field in _TEXT_FIELDS}
    values["site_ids"] = [str(site.id) for site in account.sites]
    return values


@router.get("/staff/{staff_id}/edit")
async def edit_staff_form(request: Request, staff_id: RowId, viewer: PageViewer) -> Response:
    account = await _account(request, viewer, staff_id)
    return await _form_page(request, viewer, values=_values_of(account), errors={}, account=account)


@router.post("/staff/{staff_id}/edit")
async def edit_staff(request: Request, staff_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    account = await _account(request, viewer, staff_id)
    raw, data, errors = _parse(form)
    runtime = runtime_of(request)
    if data is not None:
        try:
            async with runtime.database.session() as db:
                row = await db.get_one(Staff, staff_id)
                await update_account(db, row, data, by=viewer.id, now=runtime.clock.now())
            return RedirectResponse("/staff?done=changed", status_code=303)
        except InputProblem as problem:
            errors = {problem.field: problem.message}
        except StaffError as error:
            errors = {"role": str(error)}
    return await _form_page(
        request, viewer, values=raw, errors=errors, account=account, status_code=422
    )


@router.post("/staff/{staff_id}/disable")
async def disable(request: Request, staff_id: RowId, viewer: PageViewer) -> Response:
    await checked_form(request)
    await _account(request, viewer, staff_id)
    runtime = runtime_of(request)
    try:
        async with runtime.database.session() as db:
            account = await db.get_one(Staff, staff_id)
            await disable_account(db, account, by=viewer.id, now=runtime.clock.now())
    except StaffError as error:
        return await _list_page(request, viewer, problem=str(error), status_code=409)
    return RedirectResponse("/staff?done=disabled", status_code=303)


@router.post("/staff/{staff_id}/enable")
async def enable(request: Request, staff_id: RowId, viewer: PageViewer) -> Response:
    await checked_form(request)
    await _account(request, viewer, staff_id)
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        account = await db.get_one(Staff, staff_id)
        await enable_account(db, account, by=viewer.id, now=runtime.clock.now())
    return RedirectResponse("/staff?done=enabled", status_code=303)


@router.get("/staff/{staff_id}/password")
async def password_form(request: Request, staff_id: RowId, viewer: PageViewer) -> Response:
    account = await _account(request, viewer, staff_id)
    return pages_of(request).render(
        request, "staff_password.html", viewer=viewer, account=account, errors={}
    )


@router.post("/staff/{staff_id}/password")
async def new_password(request: Request, staff_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    account = await _account(request, viewer, staff_id)
    password, errors = _typed_password(form)
    runtime = runtime_of(request)
    if not errors:
        try:
            async with runtime.database.session() as db:
                row = await db.get_one(Staff, staff_id)
                generated = await set_password(
                    db, row, password, by=viewer.id, now=runtime.clock.now()
                )
        except InputProblem as problem:
            errors = {problem.field: problem.message}
        else:
            if row.id == viewer.id:  # the admin's own session stays signed in
                session_of(request).generation = row.session_generation
            if generated is not None:
                return _password_shown(request, viewer, account, generated)
            return RedirectResponse("/staff?done=password", status_code=303)
    return pages_of(request).render(
        request,
        "staff_password.html",
        viewer=viewer,
        account=account,
        errors=errors,
        status_code=422,
    )
