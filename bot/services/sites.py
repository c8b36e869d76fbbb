"""Sites: the prisons participants come from and the jobcentres/municipalities they go home to.

Admins create, rename and delete them; the demo seeds its own through here too. A site's kind
never changes (a participant's ``prison_id`` must stay a prison). A site that any participant
(erased ones included: the statistics still count them) or any consultant uses cannot be
deleted; the refusal says how many. Every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BrobyggerError
from bot.models import Participant, Site, SiteKind, staff_sites
from bot.services import audit
from bot.services.participants import InputProblem, printable


class SiteInUse(BrobyggerError):
    """A site still used by participants or staff cannot be deleted."""

    def __init__(self, participants: int, staff: int) -> None:
        super().__init__(f"the site is used by {participants} participants and {staff} staff")
        self.participants = participants
        self.staff = staff


class SiteIn(BaseModel):
    """A site as an admin enters it; only a jobcentre names the municipality it serves."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    kind: SiteKind
    name: str = Field(min_length=1, max_length=200)
    municipality: str | None = Field(default=None, max_length=200)

    @field_validator("name", "municipality")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return printable(value) if value else None

    @model_validator(mode="after")
    def _municipality_for_jobcentres(self) -> SiteIn:
        if self.municipality and self.kind is not SiteKind.JOBCENTRE:
            raise ValueError("only a jobcentre has a municipality")
        return self


@dataclass(frozen=True)
class SiteUsage:
    """A site and how many participants and staff members use it."""

    site: Site
    participants: int
    staff: int

    @property
    def in_use(self) -> bool:
        return bool(self.participants or self.staff)


async def list_sites(session: AsyncSession) -> list[SiteUsage]:
    """Every site by kind and name, with its use."""
    participants = (
        select(func.count(Participant.id))
        .where(or_(Participant.prison_id == Site.id, Participant.jobcentre_id == Site.id))
        .scalar_subquery()
    )
    staff = (
        select(func.count(staff_sites.c.staff_id))
        .where(staff_sites.c.site_id == Site.id)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Site, participants, staff).order_by(Site.kind, Site.name, Site.id)
    )
    return [SiteUsage(site, int(p), int(s)) for site, p, s in rows.all()]


async def create_site(
    session: AsyncSession, data: SiteIn, *, by: int | None, now: datetime
) -> Site:
    """Add a prison or jobcentre; its name must be new among sites of its kind."""
    await _check_name_free(session, data, site_id=None)
    site = Site(kind=data.kind, name=data.name, municipality=data.municipality, created_at=now)
    session.add(site)
    await session.flush()
    await audit.record_admin_change(
        session, "site", site.id, by=by, at=now, action=audit.Action.CREATED
    )
    return site


async def update_site(
    session: AsyncSession, site: Site, data: SiteIn, *, by: int, now: datetime
) -> None:
    """Rename a site or change a jobcentre's municipality (its kind stays)."""
    if data.kind is not site.kind:
        raise InputProblem("kind", "the kind of a site cannot change")
    await _check_name_free(session, data, site_id=site.id)
    changed = [f for f in ("name", "municipality") if getattr(site, f) != getattr(data, f)]
    site.name = data.name
    site.municipality = data.municipality
    await session.flush()
    await audit.record_admin_change(
        session, "site", site.id, by=by, at=now, action=audit.Action.CHANGED, fields=changed
    )


async def delete_site(session: AsyncSession, site_id: int, *, by: int, now: datetime) -> None:
    """Delete an unused site; :class:`SiteInUse` if participants or staff use it.

    The site's row is locked first (PostgreSQL), so a participant or consultant assigned to it
    meanwhile waits and then fails on the foreign key instead of slipping through the check.
    """
    site = await session.scalar(select(Site).where(Site.id == site_id).with_for_update())
    if site is None:
        raise LookupError(site_id)
    participants = await session.scalar(
        select(func.count(Participant.id)).where(
            or_(Participant.prison_id == site.id, Participant.jobcentre_id == site.id)
        )
    )
    staff = await session.scalar(
        select(func.count(staff_sites.c.staff_id)).where(staff_sites.c.site_id == site.id)
    )
    if participants or staff:
        raise SiteInUse(int(participants or 0), int(staff or 0))
    await audit.record_admin_change(
        session, "site", site.id, by=by, at=now, action=audit.Action.DELETED
    )
    await session.delete(site)
    try:
        await session.flush()
    except IntegrityError:  # a participant arrived after all (the foreign key is RESTRICT)
        raise SiteInUse(participants=1, staff=0) from None


async def _check_name_free(session: AsyncSession, data: SiteIn, *, site_id: int | None) -> None:
    """No two sites of a kind share a name, whatever the case.

    Compared here, not in SQL: SQLite's lower() knows no Æ, Ø or Å, and a programme has tens of
    sites, not thousands.
    """
    others = await session.execute(select(Site.id, Site.name).where(Site.kind == data.kind))
    if any(name.casefold() == data.name.casefold() for id_, name in others if id_ != site_id):
        raise InputProblem("name", "a site of this kind has this name already")
