"""The Twilio status callback route: delivery reports for the SMS we sent.

Signature checked (403 and nothing changed otherwise); the status moves only forward
(``bot.services.delivery_status``). Every signed callback gets 204, even for a message we do
not know, so Twilio does not retry it.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from bot.channels.registry import STATUS_CALLBACK_PATH
from bot.services.delivery_status import record_provider_status
from handlers.twilio_signature import verified_form

router = APIRouter()


@router.post(STATUS_CALLBACK_PATH, include_in_schema=False)
async def twilio_status(request: Request) -> Response:
    runtime = request.app.state.runtime
    settings = runtime.settings
    if settings.twilio_auth_token is None:
        raise HTTPException(status_code=404)
    form = await verified_form(
        request,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        base_url=settings.public_url,
    )
    message = request.query_params.get("message", "")
    async with runtime.database.session() as session:
        await record_provider_status(
            session,
            provider_id=str(form.get("MessageSid") or ""),
            provider_status=str(form.get("MessageStatus") or ""),
            error_code=str(form.get("ErrorCode") or "") or None,
            message_id=int(message) if message.isdigit() and len(message) < 19 else None,
            now=runtime.clock.now(),
        )
    return Response(status_code=204)
