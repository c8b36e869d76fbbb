"""Export per citizen (right of access, GDPR art. 15): everything about one participant.

``export_participant`` gathers the participant's row and every row of every table that has a
``participant_id`` column (addresses, enrolment codes, consents, meetings, check-ins, every
message in and out, alerts), found from the models so a new table is included without touching
this file; messages without a participant that are about them (staff notices of their alerts,
digests naming them, their messages as an unknown sender); and the access
history from the audit log with dates, actions and purposes but no staff ids or names.
Encrypted values are decrypted (the export is for the citizen).

``render_html`` turns the same document into a readable summary. The caller writes the audit
row (``export_and_record`` does both for the CLI and the dashboard's admin action).
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BrobyggerError
from bot.models import AuditEvent, Base, Message, Participant, Site
from bot.services import audit
from bot.services.erasure import unlinked_messages_about

FORMAT = "brobygger-subject-export/1"
# Exported as the access history instead, without staff ids.
_AUDIT = AuditEvent.__tablename__


class ExportError(BrobyggerError):
    """The participant to export does not exist."""


def participant_tables() -> list[Table]:
    """Every table holding rows about one participant, in dependency order."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if "participant_id" in table.columns and table.name != _AUDIT
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(mapping: Any) -> dict[str, Any]:
    return {key: _plain(value) for key, value in mapping.items()}


async def export_participant(
    session: AsyncSession, participant_id: int, now: datetime
) -> dict[str, Any]:
    """The participant's data as one JSON-serialisable document."""
    profile = (
        (
            await session.execute(
                select(Participant.__table__).where(Participant.__table__.c.id == participant_id)
            )
        )
        .mappings()
        .one_or_none()
    )
    if profile is None:
        raise ExportError(f"no participant #{participant_id}")
    sites = {
        site.id: site.name
        for site in await session.scalars(
            select(Site).where(Site.id.in_([profile["prison_id"], profile["jobcentre_id"]]))
        )
    }
    records: dict[str, list[dict[str, Any]]] = {}
    for table in participant_tables():
        rows = await session.execute(
            select(table)
            .where(table.c.participant_id == participant_id)
            .order_by(*table.primary_key)
        )
        records[table.name] = [_row(row) for row in rows.mappings()]
    # Messages without a participant_id that are about them (staff notices, digests, messages
    # from their number as an unknown sender): the same set erasure blanks.
    participant = await session.get(Participant, participant_id)
    assert participant is not None
    messages = Message.__table__
    unlinked = await session.execute(
        select(messages)
        .where(messages.c.id.in_(await unlinked_messages_about(session, participant)))
        .order_by(messages.c.id)
    )
    other_messages = [_row(row) for row in unlinked.mappings()]
    for message in other_messages:
        if message["staff_id"] is not None:
            message.pop("address")  # a staff member's phone or chat id is not the citizen's
    history = await audit.access_history(session, participant_id)
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "participant_id": participant_id,
        "profile": {
            **_row(profile),
            "prison": sites.get(profile["prison_id"]),
            "jobcentre": sites.get(profile["jobcentre_id"]),
        },
        "records": records,
        "other_messages_about_them": other_messages,
        "access_history": [
            {"at": entry.at.isoformat(), "action": entry.action, "purpose": entry.purpose}
            for entry in history
        ],
    }


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False)


def render_html(document: dict[str, Any]) -> str:
    """A readable summary of the export (escaped: message texts are untrusted)."""
    environment = Environment(
        loader=PackageLoader("bot", "templates"),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    return environment.get_template("subject_export.html").render(export=document)


async def export_and_record(
    session: AsyncSession,
    participant_id: int,
    now: datetime,
    *,
    staff_id: int | None,
    purpose: str,
) -> dict[str, Any]:
    """Export one participant and write the audit row saying who exported it and why.

    The audit row is written first, so the export lists itself in the access history.
    """
    if await session.get(Participant, participant_id) is None:
        raise ExportError(f"no participant #{participant_id}")
    await audit.record(
        session,
        staff_id=staff_id,
        action=audit.Action.EXPORTED,
        participant_id=participant_id,
        purpose=purpose,
        at=now,
    )
    return await export_participant(session, participant_id, now)
