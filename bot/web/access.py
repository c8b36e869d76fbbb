"""Who may do what to whose data: the one module that pages and the API both ask.

Roles (issue #6):

- **admin**: everything, including staff accounts and sites, message texts, the check-in plan
  and the (read-only) deployment settings;
- **consultant**: the participants of their sites (``prison_id`` or ``jobcentre_id`` among
  ``staff.sites``) and those they are the consultant of;
- **mentor**: only their own mentees; read-mostly (they may write to a mentee and acknowledge
  alerts, nothing else).

A participant outside a viewer's scope does not exist for them: 404, never 403, so that ids
cannot be probed. An action a role may not take at all is 403.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from bot.models import Alert, Appointment, Base, Participant, Role, Staff
from bot.services.api_tokens import staff_for_token
from bot.services.participants import MAX_ID as ROW_ID_MAX
from bot.services.staff_messages import unread_count
from bot.web.sessions import CSRF_FIELD, SessionData, csrf_matches

if TYPE_CHECKING:
    from bot.app import Runtime


# A row id in a URL: a positive 32-bit integer (larger ones cannot exist, and would overflow).
RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]


class Action(enum.StrEnum):
    VIEW = "view"
    EDIT_PARTICIPANT = "edit_participant"
    MANAGE_MEETINGS = "manage_meetings"
    WRITE_MESSAGE = "write_message"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    VIEW_STATISTICS = "view_statistics"
    EXPORT = "export"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SITES = "manage_sites"
    # Access history, export per citizen (art. 15) and erasure (art. 17): admins only.
    PRIVACY = "privacy"
    # Message texts, the check-in plan and the deployment settings page: admins only.
    CONFIGURE = "configure"


_ALL = frozenset(Role)
_OFFICE = frozenset({Role.ADMIN, Role.CONSULTANT})
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.VIEW: _ALL,
    Action.EDIT_PARTICIPANT: _OFFICE,
    Action.MANAGE_MEETINGS: _OFFICE,
    Action.WRITE_MESSAGE: _ALL,
    Action.ACKNOWLEDGE_ALERT: _ALL,
    Action.VIEW_STATISTICS: _OFFICE,
    Action.EXPORT: _OFFICE,
    Action.MANAGE_STAFF: frozenset({Role.ADMIN}),
    Action.MANAGE_SITES: frozenset({Role.ADMIN}),
    Action.PRIVACY: frozenset({Role.ADMIN}),
    Action.CONFIGURE: frozenset({Role.ADMIN}),
}


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member, as far as access decisions go."""

    id: int
    name: str
    email: str
    role: Role
    site_ids: frozenset[int]
    language: str

    @classmethod
    def of(cls, staff: Staff, language: str | None = None) -> Viewer:
        return cls(
            id=staff.id,
            name=staff.name,
            email=staff.email,
            role=staff.role,
            site_ids=frozenset(site.id for site in staff.sites),
            language=language or staff.language,
        )

    def may(self, action: Action) -> bool:
        return self.role in ALLOWED[action]

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise HTTPException(status_code=403, detail="your role may not do this")


def participant_scope(viewer: Viewer) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the participants ``viewer`` may see."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.CONSULTANT:
        conditions: list[ColumnElement[bool]] = [Participant.consultant_id == viewer.id]
        if viewer.site_ids:
            conditions.append(Participant.prison_id.in_(viewer.site_ids))
            conditions.append(Participant.jobcentre_id.in_(viewer.site_ids))
        return or_(*conditions)
    if viewer.role is Role.MENTOR:
        return Participant.mentor_id == viewer.id
    return false()


async def participant_for(
    session: AsyncSession, viewer: Viewer, participant_id: int
) -> Participant:
    """The participant if ``viewer`` may see them; otherwise 404 (as if they did not exist)."""
    participant = await session.scalar(
        select(Participant).where(Participant.id == participant_id, participant_scope(viewer))
    )
    if participant is None or participant.erased_at is not None:
        raise HTTPException(status_code=404, detail="no such participant")
    return participant


async def alert_for(session: AsyncSession, viewer: Viewer, alert_id: int) -> Alert:
    """An alert about a participant in scope (admins also see alerts about no one); else 404."""
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status_code=404, detail="no such alert")
    if alert.participant_id is None:
        if viewer.role is not Role.ADMIN:
            raise HTTPException(status_code=404, detail="no such alert")
        return alert
    await participant_for(session, viewer, alert.participant_id)
    return alert


async def appointment_for(
    session: AsyncSession, viewer: Viewer, appointment_id: int, participant_id: int | None = None
) -> Appointment:
    """A meeting of a participant in scope (and of ``participant_id`` if given); else 404."""
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None or participant_id not in (None, appointment.participant_id):
        raise HTTPException(status_code=404, detail="no such meeting")
    await participant_for(session, viewer, appointment.participant_id)
    return appointment


async def active_staff(session: AsyncSession, staff_id: int | None) -> Staff | None:
    """The staff row behind a session or token, or None when it is gone or disabled."""
    if staff_id is None:
        return None
    staff = await session.get(Staff, staff_id)
    if staff is None or not staff.active:
        return None
    return staff


def session_of(request: Request) -> SessionData:
    session: SessionData = request.state.session
    return session


# --- Who is asking: a session cookie (pages) or a bearer token (API) -------------------------


class SignInRequired(Exception):
    """No valid session: pages answer with a redirect to the sign-in form."""


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def page_viewer(request: Request) -> Viewer:
    """FastAPI dependency for pages: the signed-in, still active staff member, or sign in.

    The staff row is read on every request, so disabling an account or setting a new password
    (which raises ``session_generation``) ends its sessions at once. The same read counts the
    viewer's unread inbox messages for the badge in the header (``request.state``).
    """
    session = session_of(request)
    runtime = runtime_of(request)
    async with runtime.database.read() as db:
        staff = await active_staff(db, session.staff_id)
        if staff is None or staff.session_generation != session.generation:
            session.staff_id = None
            raise SignInRequired
        viewer = Viewer.of(staff, session.language)
        request.state.unread_replies = await unread_count(db, participant_scope(viewer))
        return viewer


_bearer = HTTPBearer(auto_error=False, description="A token from `brobygger token create`.")


async def api_viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Viewer:
    """FastAPI dependency for the JSON API: the staff member behind a valid bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status_code=401,
            detail="a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        staff = await staff_for_token(db, credentials.credentials, now=runtime.clock.now())
        if staff is None:
            raise HTTPException(
                status_code=401,
                detail="unknown, revoked or disabled token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Viewer.of(staff)


RowT = TypeVar("RowT", bound=Base)


async def managed_row(
    request: Request, viewer: Viewer, action: Action, model: type[RowT], row_id: int
) -> RowT:
    """A row only admins manage (a staff account, a site): 403 for other roles, 404 if missing."""
    viewer.require(action)
    async with runtime_of(request).database.read() as db:
        row = await db.get(model, row_id)
    if row is None:
        raise HTTPException(status_code=404, detail="not found")
    return row


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's (else 403)."""
    form = await request.form()
    if not csrf_matches(session_of(request), form.get(CSRF_FIELD)):
        raise HTTPException(status_code=403, detail="the form has expired; reload the page")
    return form


PageViewer = Annotated[Viewer, Depends(page_viewer)]
ApiViewer = Annotated[Viewer, Depends(api_viewer)]
