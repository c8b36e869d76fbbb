"""The JSON API's response and request bodies (they make up /api/openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Alert, Outcome, Participant


class StaffOut(BaseModel):
    id: int
    name: str
    email: str
    role: str


class AddressOut(BaseModel):
    channel: str
    address: str
    status: str


class ParticipantOut(BaseModel):
    id: int
    name: str
    language: str
    status: str
    prison_id: int | None
    jobcentre_id: int | None
    mentor_id: int | None
    consultant_id: int | None
    release_date: date | None
    outcome: str | None
    outcome_note: str | None
    enrolled_at: datetime
    closed_at: datetime | None
    addresses: list[AddressOut]

    @classmethod
    def of(cls, p: Participant) -> ParticipantOut:
        return cls(
            id=p.id,
            name=p.name,
            language=p.language,
            status=str(p.status),
            prison_id=p.prison_id,
            jobcentre_id=p.jobcentre_id,
            mentor_id=p.mentor_id,
            consultant_id=p.consultant_id,
            release_date=p.release_date,
            outcome=str(p.outcome) if p.outcome else None,
            outcome_note=p.outcome_note,
            enrolled_at=p.enrolled_at,
            closed_at=p.closed_at,
            addresses=[
                AddressOut(channel=str(a.channel), address=a.address, status=str(a.status))
                for a in p.addresses
            ],
        )


class AlertOut(BaseModel):
    id: int
    participant_id: int | None
    reason: str
    detail: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None

    @classmethod
    def of(cls, a: Alert) -> AlertOut:
        return cls(
            id=a.id,
            participant_id=a.participant_id,
            reason=str(a.reason),
            detail=a.detail,
            created_at=a.created_at,
            acknowledged_at=a.acknowledged_at,
            acknowledged_by_id=a.acknowledged_by_id,
        )


class TimelineOut(BaseModel):
    participant_id: int
    entries: list[dict[str, Any]]


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: str | None = Field(default=None, max_length=2000)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=600)


class MessageCreated(BaseModel):
    message_id: int


class Acknowledged(BaseModel):
    alert_id: int
    acknowledged: bool
