"""Staff accounts: creation, the admin's changes, disabling, passwords (argon2).

``brobygger staff add`` (the first admin) and the admin's staff pages both come here. Every
change an admin makes is written to the audit log (``participant_id`` empty; the detail names
the account and the fields, never their values). Two guards keep the programme administrable:
an admin cannot disable themselves or change their own role, and the last active admin can be
neither disabled nor given another role.

Disabling an account or setting a new password raises ``Staff.session_generation``: every
session signed in under the old generation ends at its next request (``bot.web.access``), and a
disabled account's API tokens are revoked, so re-enabling it revives none of them.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BrobyggerError
from bot.models import ApiToken, ChannelKind, Participant, ParticipantStatus, Role, Site, Staff
from bot.services import audit
from bot.services.addresses import address_hash, find_address
from bot.services.participants import MAX_ID, InputProblem, OptionalPhone, PersonName

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
PASSWORD_TOO_SHORT = f"the password must be at least {MIN_PASSWORD_LENGTH} characters"
# Generated passwords: no look-alikes (0/O, 1/l/I), four groups of four (about 79 bits).
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
_TELEGRAM_CHAT_ID = re.compile(r"-?[1-9][0-9]{0,19}")


class StaffError(BrobyggerError):
    """A staff account could not be created or changed as asked."""


# Argon2 is slow on purpose (about 0.1-0.2 s of CPU here): run on the event loop it stalls every
# webhook and send of the process meanwhile. argon2-cffi releases the GIL, so a thread frees the
# loop.


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


def generate_password() -> str:
    """A new random password for an admin to hand over once, e.g. ``kR7m-2xPq-...``."""
    groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def normalise_email(email: str) -> str:
    """The login form of an e-mail address (trimmed, lower case); ValueError if it is none."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() or ord(c) < 32 for c in email):
        raise ValueError("not an e-mail address")
    return email


async def add_staff(
    session: AsyncSession, *, email: str, name: str, role: Role, password: str | None
) -> Staff:
    """Create a staff account; the e-mail is the login and must be unused."""
    try:
        email = normalise_email(email)
    except ValueError:
        raise StaffError(f"not an e-mail address: {email!r}") from None
    if not name.strip():
        raise StaffError("a staff member needs a name")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(PASSWORD_TOO_SHORT)
    existing = await session.scalar(select(Staff.id).where(Staff.email == email))
    if existing is not None:
        raise StaffError(f"a staff account with e-mail {email} exists already")
    staff = Staff(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=await hash_password(password) if password else None,
    )
    session.add(staff)
    await session.flush()
    return staff


class StaffIn(BaseModel):
    """A staff account as an admin enters or changes it."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    email: str = Field(min_length=1, max_length=254)
    name: PersonName
    role: Role
    language: str = Field(default="da", pattern="^(da|en)$")
    # The sites a consultant covers (their participants are those of these sites).
    site_ids: list[int] = Field(default_factory=list, max_length=200)
    # Where alerts reach them: an SMS number and/or a Telegram chat id.
    phone: OptionalPhone = None
    telegram_chat_id: str | None = Field(default=None, max_length=32)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("telegram_chat_id")
    @classmethod
    def _telegram_chat_id(cls, value: str | None) -> str | None:
        if value and not _TELEGRAM_CHAT_ID.fullmatch(value):
            raise ValueError("a Telegram chat id is a number")
        return value or None

    @field_validator("site_ids")
    @classmethod
    def _site_ids(cls, value: list[int]) -> list[int]:
        if any(not 1 <= site_id <= MAX_ID for site_id in value):
            raise ValueError("no such site")
        return sorted(set(value))

    @model_validator(mode="after")
    def _sites_are_for_consultants(self) -> StaffIn:
        if self.site_ids and self.role is not Role.CONSULTANT:
            raise ValueError("only consultants cover sites")
        return self


def check_password(password: str) -> str:
    """The CLI's rule for a password a person chose; InputProblem on the ``password`` field."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputProblem("password", PASSWORD_TOO_SHORT)
    return password


async def list_accounts(session: AsyncSession) -> list[tuple[Staff, int]]:
    """Every account, active first, by name, with how many active participants it follows."""
    follows = (
        select(func.count(Participant.id))
        .where(
            Participant.status == ParticipantStatus.ACTIVE,
            Participant.erased_at.is_(None),
            (Participant.mentor_id == Staff.id) | (Participant.consultant_id == Staff.id),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Staff, follows).order_by(Staff.active.desc(), Staff.name, Staff.id)
    )
    return [(staff, int(count)) for staff, count in rows.all()]


async def create_account(
    session: AsyncSession, data: StaffIn, *, password: str | None, by: int | None, now: datetime
) -> tuple[Staff, str | None]:
    """Create an account from the admin's form; returns it and the generated password, if any.

    Without ``password`` a random one is generated, to be shown to the admin once.
    """
    generated = None if password else generate_password()
    await _check_references(session, data, staff_id=None)
    try:
        staff = await add_staff(
            session,
            email=data.email,
            name=data.name,
            role=data.role,
            password=check_password(password) if password else generated,
        )
    except StaffError as error:
        raise InputProblem("email", str(error)) from None
    await _apply(session, staff, data)
    await _audit(session, staff, audit.Action.CREATED, by=by, now=now, role=data.role)
    return staff, generated


async def update_account(
    session: AsyncSession, staff: Staff, data: StaffIn, *, by: int, now: datetime
) -> None:
    """Change an account's details, role, sites and contact; guards the admins' own access."""
    if data.role is not staff.role:
        if staff.id == by:
            raise InputProblem("role", "you cannot change your own role; ask another admin")
        if staff.role is Role.ADMIN and staff.active:
            await _keep_an_admin(session, leaving=staff)
        await _keep_participants_followed(session, staff, data.role)
    await _check_references(session, data, staff_id=staff.id)
    changed = [
        field
        for field in ("email", "name", "role", "language", "phone", "telegram_chat_id")
        if getattr(staff, field) != getattr(data, field)
    ]
    if sorted(site.id for site in staff.sites) != data.site_ids:
        changed.append("sites")
    await _apply(session, staff, data)
    await _audit(
        session,
        staff,
        audit.Action.CHANGED,
        by=by,
        now=now,
        fields=changed,
        role=data.role,
    )


async def disable_account(session: AsyncSession, staff: Staff, *, by: int, now: datetime) -> None:
    """Disable an account: its sessions end and its API tokens are revoked at once."""
    if staff.id == by:
        raise StaffError("You cannot disable your own account.")
    if not staff.active:
        return
    if staff.role is Role.ADMIN:
        await _keep_an_admin(session, leaving=staff)
    staff.active = False
    staff.disabled_at = now
    staff.session_generation += 1
    await session.execute(
        update(ApiToken)
        .where(ApiToken.staff_id == staff.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await _audit(session, staff, audit.Action.CHANGED, by=by, now=now, change="disabled")


async def enable_account(session: AsyncSession, staff: Staff, *, by: int, now: datetime) -> None:
    """Let a disabled account sign in again (with its password; old sessions stay ended)."""
    if staff.active:
        return
    staff.active = True
    staff.disabled_at = None
    await _audit(session, staff, audit.Action.CHANGED, by=by, now=now, change="enabled")


async def set_password(
    session: AsyncSession, staff: Staff, password: str | None, *, by: int, now: datetime
) -> str | None:
    """Set a new password (typed, or generated and returned); ends the account's sessions."""
    generated = None if password else generate_password()
    new_password = check_password(password) if password else generated
    assert new_password is not None
    staff.password_hash = await hash_password(new_password)
    staff.session_generation += 1
    await _audit(
        session,
        staff,
        audit.Action.CHANGED,
        by=by,
        now=now,
        change="password",
        generated=generated is not None,
    )
    return generated


async def record_sign_in(session: AsyncSession, staff_id: int, *, now: datetime) -> int:
    """Note a successful sign-in; returns the session generation the new session belongs to."""
    staff = await session.get_one(Staff, staff_id)
    staff.last_sign_in_at = now
    return staff.session_generation


async def _keep_an_admin(session: AsyncSession, *, leaving: Staff) -> None:
    """Refuse to let the last active admin go (disabled, or given another role).

    The active admins' rows are locked (PostgreSQL; SQLite's write lock serialises anyway), so
    two admins removing each other at the same moment cannot both succeed.
    """
    admins = await session.scalars(
        select(Staff.id)
        .where(Staff.role == Role.ADMIN, Staff.active.is_(True))
        .order_by(Staff.id)
        .with_for_update()
    )
    if not set(admins) - {leaving.id}:
        raise StaffError("This is the last active admin. Make another admin first.")


async def _keep_participants_followed(session: AsyncSession, staff: Staff, role: Role) -> None:
    """A new role must fit the participants the account follows, as the participant form asks.

    A mentor's active mentees need a mentor; a participant's consultant cannot be a mentor.
    """
    columns = []
    if staff.role is Role.MENTOR:
        columns.append(Participant.mentor_id)
    if role is Role.MENTOR:
        columns.append(Participant.consultant_id)
    for column in columns:
        followed = await session.scalar(
            select(func.count(Participant.id)).where(
                column == staff.id,
                Participant.status == ParticipantStatus.ACTIVE,
                Participant.erased_at.is_(None),
            )
        )
        if followed:
            raise InputProblem("role", "active participants still have them; reassign them first")


async def _check_references(session: AsyncSession, data: StaffIn, *, staff_id: int | None) -> None:
    """What the model cannot check alone: a free e-mail and contact, existing sites."""
    email_owner = await session.scalar(select(Staff.id).where(Staff.email == data.email))
    if email_owner is not None and email_owner != staff_id:
        raise InputProblem("email", "another staff account has this e-mail")
    if data.site_ids:
        found = await session.scalar(select(func.count(Site.id)).where(Site.id.in_(data.site_ids)))
        if found != len(data.site_ids):
            raise InputProblem("site_ids", "no such site")
    for field, channel, column in (
        ("phone", ChannelKind.SMS, Staff.phone_hash),
        ("telegram_chat_id", ChannelKind.TELEGRAM, Staff.telegram_chat_id_hash),
    ):
        value = getattr(data, field)
        if value is None:
            continue
        # Inbound messages are matched to their sender by this: it must name one person.
        owner = await session.scalar(
            select(Staff.id).where(column == address_hash(channel, value), Staff.id != staff_id)
        )
        if owner is not None:
            raise InputProblem(field, "another staff account has this contact")
        if await find_address(session, channel, value) is not None:
            raise InputProblem(field, "a participant has this contact")


async def _apply(session: AsyncSession, staff: Staff, data: StaffIn) -> None:
    for field in ("email", "name", "role", "language", "phone", "telegram_chat_id"):
        if getattr(staff, field) != getattr(data, field):
            setattr(staff, field, getattr(data, field))
    if "sites" in inspect(staff).unloaded:  # a new account: load its (empty) collection first
        await session.refresh(staff, ["sites"])
    sites = await session.scalars(select(Site).where(Site.id.in_(data.site_ids)))
    staff.sites = list(sites)
    await session.flush()


async def _audit(
    session: AsyncSession,
    staff: Staff,
    action: audit.Action,
    *,
    by: int | None,
    now: datetime,
    **detail: object,
) -> None:
    await audit.record_admin_change(
        session, "staff", staff.id, by=by, at=now, action=action, **detail
    )
