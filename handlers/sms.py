"""The inbound SMS webhook: Twilio posts every text a citizen or mentor sends to our number.

1. The signature is checked against ``PUBLIC_URL`` plus the path (never the request's own host);
   a bad or missing signature gets 403 before anything is written.
2. A signed request without ``MessageSid`` or ``From`` is malformed: 400, nothing written.
3. The message is handed to the conversation service in one unit of work; a second delivery of
   the same ``MessageSid`` is recognised there and changes nothing.
4. The answer to Twilio is always an empty TwiML response: any reply to the citizen goes through
   the outbox, so it gets the same consent, quiet-hour, retry and logging rules as every other
   message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.datastructures import FormData

from bot.models import ChannelKind
from bot.phones import maybe_e164
from handlers.conversation import Conversation, Inbound, receive
from handlers.twilio_signature import verified_form

if TYPE_CHECKING:
    from bot.app import Runtime

SMS_PATH = "/twilio/sms"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

router = APIRouter()


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post(SMS_PATH, include_in_schema=False)
async def inbound_sms(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    if settings.twilio_auth_token is None:
        raise HTTPException(status_code=403, detail="SMS is not configured")
    form = await verified_form(
        request,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        base_url=settings.public_url,
    )
    sid = _field(form, "MessageSid") or _field(form, "SmsSid")
    sender = _field(form, "From")
    if not sid or not sender:
        raise HTTPException(status_code=400, detail="MessageSid and From are required")
    now = runtime.clock.now()
    inbound = Inbound(
        provider="twilio",
        external_id=sid,
        channel=ChannelKind.SMS,
        # Twilio sends E.164; a short code or an alphanumeric sender is kept as received.
        address=maybe_e164(sender) or sender,
        text=_field(form, "Body"),
        received_at=now,
    )
    await receive(
        runtime.database,
        inbound,
        conversation=Conversation(runtime.catalogs, settings.tz),
        clock=runtime.clock,
    )
    return Response(content=EMPTY_TWIML, media_type="application/xml")
