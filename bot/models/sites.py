"""Sites: the prisons participants come from and the jobcentres/municipalities they go home to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, str_enum, utcnow


class SiteKind(enum.StrEnum):
    PRISON = "prison"
    JOBCENTRE = "jobcentre"


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SiteKind] = mapped_column(str_enum(SiteKind))
    name: Mapped[str] = mapped_column(String(200))
    # For a jobcentre: the home municipality it serves.
    municipality: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
