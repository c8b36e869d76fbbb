"""Staff accounts: creation and password hashing (argon2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BrobyggerError
from bot.models import Role, Staff

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class StaffError(BrobyggerError):
    """A staff account could not be created or changed as asked."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain:
        raise StaffError(f"not an e-mail address: {email!r}")
    return email


async def add_staff(
    session: AsyncSession, *, email: str, name: str, role: Role, password: str | None
) -> Staff:
    """Create a staff account; the e-mail is the login and must be unused."""
    email = _normalise_email(email)
    if not name.strip():
        raise StaffError("a staff member needs a name")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    existing = await session.scalar(select(Staff.id).where(Staff.email == email))
    if existing is not None:
        raise StaffError(f"a staff account with e-mail {email} exists already")
    staff = Staff(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    session.add(staff)
    await session.flush()
    return staff
