"""Participants as staff see them: validated input, create, edit, close, and the filtered list.

Input is one pydantic model for the dashboard's form and the JSON API alike, so both give the
same field-named errors. What needs the database (does the mentor exist and is it a mentor?) is
checked by :func:`check_references`, which raises :class:`InputProblem` with the field's name.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only, raiseload

from bot.errors import BrobyggerError
from bot.i18n import Catalogs
from bot.models import (
    Address,
    ChannelKind,
    Outcome,
    Participant,
    ParticipantStatus,
    Role,
    Site,
    SiteKind,
    Staff,
)
from bot.phones import PhoneNumberError, to_e164
from bot.services.addresses import address_hash, find_address
from bot.services.audit import record
from bot.services.enrolment import EnrolmentError, enrol_participant, plan_consent_request

MAX_ID = 2**31 - 1
POSITIVE_OUTCOMES = frozenset({Outcome.JOB, Outcome.EDUCATION, Outcome.OTHER_POSITIVE})


class InputProblem(BrobyggerError):
    """A value a person typed is not acceptable; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def printable(value: str) -> str:
    """Refuse control characters (a NUL byte cannot even be stored in PostgreSQL)."""
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("contains control characters")
    return value


def normalise_phone(value: str) -> str:
    """An E.164 number; Danish numbers may be typed without +45 (see ``bot.phones``)."""
    try:
        return to_e164(value)
    except PhoneNumberError:
        raise ValueError("not a valid phone number") from None


def _optional_phone(value: str | None) -> str | None:
    return normalise_phone(value) if value else None


# Input fields shared by the participant and staff forms (and the API).
PersonName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
OptionalPhone = Annotated[str | None, Field(max_length=32), AfterValidator(_optional_phone)]


class ParticipantIn(BaseModel):
    """A participant as staff enter or change them."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: PersonName
    language: str = Field(default="da", pattern="^(da|en)$")
    channel: ChannelKind = ChannelKind.SMS
    phone: OptionalPhone = None
    prison_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    jobcentre_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    mentor_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    consultant_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    release_date: date | None = None

    @field_validator("release_date")
    @classmethod
    def _release_date(cls, value: date | None) -> date | None:
        if value is not None and not date(2000, 1, 1) <= value <= date(2100, 1, 1):
            raise ValueError("the release date is out of range")
        return value


async def check_references(session: AsyncSession, data: ParticipantIn, *, today: date) -> None:
    """Check what the model alone cannot: sites, mentor, consultant, a number for SMS."""
    if data.release_date is not None and abs((data.release_date - today).days) > 365 * 10:
        raise InputProblem("release_date", "the release date is more than ten years away")
    if data.channel is ChannelKind.SMS and not data.phone:
        raise InputProblem("phone", "a phone number is needed for SMS")
    if data.channel is ChannelKind.TELEGRAM:
        raise InputProblem("channel", "Telegram is joined by the citizen's link; choose SMS")
    for field, kind in (("prison_id", SiteKind.PRISON), ("jobcentre_id", SiteKind.JOBCENTRE)):
        site_id = getattr(data, field)
        if site_id is not None:
            site = await session.get(Site, site_id)
            if site is None or site.kind is not kind:
                raise InputProblem(field, f"no {kind} with this id")
    for field, roles in (
        ("mentor_id", {Role.MENTOR}),
        ("consultant_id", {Role.CONSULTANT, Role.ADMIN}),
    ):
        staff_id = getattr(data, field)
        if staff_id is not None:
            staff = await session.get(Staff, staff_id)
            if staff is None or not staff.active or staff.role not in roles:
                raise InputProblem(field, "no active staff member with this role")
    if data.phone and await find_address(session, ChannelKind.SMS, data.phone) is not None:
        raise InputProblem("phone", "this number belongs to another participant")


async def create_participant(
    session: AsyncSession,
    data: ParticipantIn,
    *,
    created_by: int,
    today: date,
    catalogs: Catalogs,
    now: datetime,
    purpose: str,
) -> Participant:
    """Enrol a participant and ask for consent, then file them under their sites.

    An SMS participant is enrolled by ``bot.services.enrolment`` (the consent question goes out
    by SMS). A participant on the phone simulator (demo and training) gets a simulator address
    and the same consent question there.
    """
    await check_references(session, data, today=today)
    if data.mentor_id is None:
        raise InputProblem("mentor_id", "choose a mentor")
    mentor = await session.get_one(Staff, data.mentor_id)
    consultant_id = data.consultant_id or created_by
    if data.channel is ChannelKind.SMS:
        try:
            enrolment = await enrol_participant(
                session,
                name=data.name,
                phone=data.phone,
                telegram=False,
                language=data.language,
                mentor_email=mentor.email,
                catalogs=catalogs,
                now=now,
                consultant_id=consultant_id,
            )
        except (EnrolmentError, PhoneNumberError) as error:
            raise InputProblem("phone", str(error)) from None
        participant = await session.get_one(Participant, enrolment.participant_id)
    else:
        participant = Participant(
            name=data.name,
            language=data.language,
            mentor_id=mentor.id,
            consultant_id=consultant_id,
            enrolled_at=now,
        )
        session.add(participant)
        await session.flush()
        address = f"sim-{participant.id}-{secrets.token_hex(3)}"
        session.add(
            Address(participant_id=participant.id, channel=ChannelKind.SIMULATOR, address=address)
        )
        await plan_consent_request(
            session,
            participant,
            mentor_name=mentor.name,
            channel=ChannelKind.SIMULATOR,
            address=address,
            catalogs=catalogs,
            now=now,
        )
    participant.prison_id = data.prison_id
    participant.jobcentre_id = data.jobcentre_id
    participant.release_date = data.release_date
    await session.flush()
    await session.refresh(participant, ["addresses"])
    await record(
        session,
        staff_id=created_by,
        action="created",
        participant_id=participant.id,
        purpose=purpose,
        at=now,
    )
    return participant


async def update_participant(
    session: AsyncSession,
    participant: Participant,
    data: ParticipantIn,
    *,
    today: date,
    changed_by: int,
    purpose: str,
    now: datetime,
) -> None:
    """Change a participant's details; a new SMS number replaces the old one."""
    current_sms = next((a for a in participant.addresses if a.channel is ChannelKind.SMS), None)
    unchanged_phone = current_sms is not None and current_sms.address == data.phone
    check = data.model_copy(update={"phone": None}) if unchanged_phone else data
    if unchanged_phone or data.channel is not ChannelKind.SMS:
        check = check.model_copy(update={"channel": ChannelKind.SIMULATOR})
    await check_references(session, check, today=today)
    for field in ("name", "language", "prison_id", "jobcentre_id", "mentor_id", "release_date"):
        setattr(participant, field, getattr(data, field))
    if data.consultant_id is not None:
        participant.consultant_id = data.consultant_id
    if data.channel is ChannelKind.SMS and data.phone and not unchanged_phone:
        if current_sms is not None:
            current_sms.address = data.phone
        else:
            session.add(
                Address(participant_id=participant.id, channel=ChannelKind.SMS, address=data.phone)
            )
    await session.flush()
    await record(
        session,
        staff_id=changed_by,
        action="changed",
        participant_id=participant.id,
        purpose=purpose,
        at=now,
    )


async def close_participant(
    session: AsyncSession,
    participant: Participant,
    *,
    outcome: Outcome,
    note: str | None,
    now: datetime,
    closed_by: int | None,
    purpose: str,
) -> None:
    """Record how the participant left the programme; the statistics count it from here."""
    participant.status = ParticipantStatus.CLOSED
    participant.outcome = outcome
    note = "".join(c for c in note or "" if ord(c) >= 32 or c in "\n\t").strip()
    participant.outcome_note = note[:2000] or None
    participant.closed_at = now
    await session.flush()
    await record(
        session,
        staff_id=closed_by,
        action="changed",
        participant_id=participant.id,
        purpose=purpose,
        at=now,
        detail={"outcome": str(outcome)},
    )


_LOOKS_LIKE_A_NUMBER = re.compile(r"\+?[\d ()-]{8,20}")


@dataclass(frozen=True)
class ParticipantFilter:
    """The list's search and filters; every field optional."""

    search: str | None = None
    site_id: int | None = None
    mentor_id: int | None = None
    status: ParticipantStatus | None = None
    released_from: date | None = None
    released_to: date | None = None

    def apply(self, query: Select[Participant]) -> Select[Participant]:
        conditions: list[ColumnElement[bool]] = [Participant.erased_at.is_(None)]
        search = "".join(c for c in self.search or "" if ord(c) >= 32).strip().lower()
        if search:
            pattern = "%" + search.replace("%", "").replace("_", "") + "%"
            matches: ColumnElement[bool] = func.lower(Participant.name).like(pattern)
            # Numbers are encrypted: a whole number is found by its lookup hash (which normalises
            # "20 12 34 56", "0045..." and "+45...") rather than by LIKE.
            if _LOOKS_LIKE_A_NUMBER.fullmatch(search):
                phone_owner = select(Address.participant_id).where(
                    Address.address_hash == address_hash(ChannelKind.SMS, search)
                )
                matches = or_(matches, Participant.id.in_(phone_owner))
            conditions.append(matches)
        if self.site_id is not None:
            conditions.append(
                or_(Participant.prison_id == self.site_id, Participant.jobcentre_id == self.site_id)
            )
        if self.mentor_id is not None:
            conditions.append(Participant.mentor_id == self.mentor_id)
        if self.status is not None:
            conditions.append(Participant.status == self.status)
        if self.released_from is not None:
            conditions.append(Participant.release_date >= self.released_from)
        if self.released_to is not None:
            conditions.append(Participant.release_date <= self.released_to)
        return query.where(*conditions)


async def list_participants(
    session: AsyncSession,
    scope: ColumnElement[bool],
    filters: ParticipantFilter,
    limit: int = 500,
    *,
    with_addresses: bool = True,
) -> list[Participant]:
    """Participants within ``scope`` matching ``filters``, nearest release date first.

    ``with_addresses=False`` leaves the addresses unloaded (touching them raises): a list that
    shows none need not read and decrypt hundreds of phone numbers.
    """
    query = filters.apply(select(Participant).where(scope))
    if not with_addresses:
        query = query.options(raiseload(Participant.addresses))
    query = query.order_by(
        Participant.release_date.is_(None), Participant.release_date, Participant.id
    )
    return list(await session.scalars(query.limit(limit)))


async def choices(session: AsyncSession) -> tuple[list[Site], list[Staff], list[Staff]]:
    """Sites, active mentors and active consultants, for forms and filters."""
    sites = list(await session.scalars(select(Site).order_by(Site.kind, Site.name)))
    # Only what a choice shows: no encrypted phone numbers to decrypt, no sites to load.
    staff = list(
        await session.scalars(
            select(Staff)
            .options(load_only(Staff.id, Staff.name, Staff.role), raiseload(Staff.sites))
            .where(Staff.active.is_(True))
            .order_by(Staff.name)
        )
    )
    mentors = [s for s in staff if s.role is Role.MENTOR]
    consultants = [s for s in staff if s.role in (Role.CONSULTANT, Role.ADMIN)]
    return sites, mentors, consultants


def days_until(release_date: date | None, today: date) -> int | None:
    return None if release_date is None else (release_date - today).days
