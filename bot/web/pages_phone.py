"""The phone simulator (demo and training): a simulated participant's phone on the timeline.

When a participant's channel is simulated (no provider credentials, or the ``simulator``
channel itself), the timeline shows what their phone received and lets staff reply as them.
The reply is handed to the same conversation service as a real SMS or Telegram message (the
composition root puts it on ``app.state.citizen_reply``), so the log, the meeting confirmation
and the alerts update exactly as they would for a real citizen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Address, ChannelKind, Direction, Message, MessageStatus, Participant
from bot.web.access import PageViewer, RowId, checked_form, participant_for, runtime_of

# (channel, address, text): the citizen at ``address`` wrote ``text``.
CitizenReply = Callable[[ChannelKind, str, str], Awaitable[None]]
MAX_REPLY = 1000
_SHOWN = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNKNOWN)

router = APIRouter(include_in_schema=False)


def simulated_address(participant: Participant, simulated: list[str]) -> Address | None:
    """The participant's first address on a simulated channel, if any."""
    return next((a for a in participant.addresses if str(a.channel) in simulated), None)


async def phone_messages(session: AsyncSession, participant_id: int) -> list[Message]:
    """What the phone shows: messages that reached it and what the citizen wrote, in order."""
    rows = await session.scalars(
        select(Message)
        .where(
            Message.participant_id == participant_id,
            or_(Message.direction == Direction.IN, Message.status.in_(_SHOWN)),
        )
        .order_by(Message.id.desc())
        .limit(40)
    )
    return sorted(rows, key=lambda m: m.id)


@router.post("/participants/{participant_id}/phone")
async def reply_as_citizen(request: Request, participant_id: RowId, viewer: PageViewer) -> Response:
    form = await checked_form(request)
    text = str(form.get("text", "")).strip()
    runtime = runtime_of(request)
    async with runtime.database.read() as db:
        participant = await participant_for(db, viewer, participant_id)
    address = simulated_address(participant, runtime.simulated_channels)
    if address is None:
        raise HTTPException(status_code=404, detail="this participant's phone is not simulated")
    if not text or len(text) > MAX_REPLY:
        raise HTTPException(status_code=422, detail="write between 1 and 1000 characters")
    reply: CitizenReply = request.app.state.citizen_reply
    await reply(address.channel, address.address, text)
    return RedirectResponse(f"/participants/{participant_id}#phone", status_code=303)
