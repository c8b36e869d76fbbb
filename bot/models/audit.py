"""The audit log: who did what to whose data, when and where. Rows are only ever added.

The listeners at the end make that true for every code path through an ORM session: changing
or deleting a loaded row, a bulk ``update(AuditEvent)``/``delete(AuditEvent)``, a Core statement
on the table, or textual SQL naming it, all raise :class:`bot.errors.AppendOnlyError`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Delete, ForeignKey, Index, String, TextClause, Update, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column

from bot.errors import AppendOnlyError
from bot.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_participant_at", "participant_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Null for the system itself (retention purge, the bot).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # viewed, exported, created, changed, erased
    # No foreign key: the row must outlive the participant it describes.
    participant_id: Mapped[int | None] = mapped_column()
    purpose: Mapped[str | None] = mapped_column(String(200))  # the page or endpoint
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON())


_TEXTUAL_WRITE = re.compile(
    r"\b(update|delete\s+from|truncate(\s+table)?)\s+\"?audit_events\b", re.IGNORECASE
)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changing_a_row(_mapper: Mapper[Any], _connection: Connection, row: AuditEvent) -> None:
    raise AppendOnlyError(f"audit event {row.id} cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    statement = state.statement
    if isinstance(statement, Update | Delete):
        # ORM statements carry an annotated copy of the table: compare by name.
        if getattr(statement.table, "name", None) == AuditEvent.__tablename__:
            raise AppendOnlyError("audit_events is append-only: no UPDATE or DELETE")
    elif isinstance(statement, TextClause) and _TEXTUAL_WRITE.search(statement.text):
        raise AppendOnlyError("audit_events is append-only: no UPDATE or DELETE")


class InboundEvent(Base):
    """Provider event ids already handled (Twilio MessageSid, Telegram update_id): each once."""

    __tablename__ = "inbound_events"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
