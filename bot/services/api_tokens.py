"""API tokens: bearer tokens for the JSON API, one per staff member and purpose.

Only a SHA-256 hash is stored (the token is 256 random bits, so a slow hash adds nothing); the
token itself is shown once, at creation. A token stops working when it is revoked or when its
staff account is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ApiToken, Staff
from bot.services.staff import StaffError

TOKEN_PREFIX = "bby_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    session: AsyncSession, *, email: str, name: str = "api"
) -> tuple[ApiToken, str]:
    """A new token for the active staff member with ``email``: the row and the plain token."""
    staff = await session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None or not staff.active:
        raise StaffError(f"no active staff account with e-mail {email.strip().lower()}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(staff_id=staff.id, token_hash=token_hash(token), name=name[:100])
    session.add(row)
    await session.flush()
    return row, token


async def staff_for_token(session: AsyncSession, token: str, *, now: datetime) -> Staff | None:
    """The active staff member owning this unrevoked token (and note its use), or None."""
    row = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    staff = await session.get(Staff, row.staff_id)
    if staff is None or not staff.active:
        return None
    row.last_used_at = now
    return staff
