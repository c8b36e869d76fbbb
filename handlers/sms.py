"""The inbound SMS webhook: Twilio posts every text a citizen or mentor sends to our number.

1. The signature is checked against ``PUBLIC_URL`` plus the path (never the request's own host);
   a bad or missing signature gets 403 before anything is written.
2. A signed request without ``MessageSid`` or ``From`` is malformed: 400, nothing written.
3. The message is handed to the group commit (``handlers.group_commit``), which handles it
   with the others that arrive meanwhile in one unit of work; a second delivery of the same
   ``MessageSid`` is recognised there and changes nothing. The answer waits for the commit.
   If the message cannot be handled, the answer is 500 and Twilio delivers it again.
4. The answer to Twilio is always an empty TwiML response: any reply to the citizen goes through
   the outbox, so it gets the same consent, quiet-hour, retry and logging rules as every other
   message.

A plain ASGI endpoint, answered before FastAPI's middleware and routing (``bot.app``): this is
the one path that takes bursts, and that machinery cost as much CPU as the handling. It sends
the same security headers as every other response (``bot.web.middleware``), and no cookie.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from bot.models import ChannelKind
from bot.phones import maybe_e164
from bot.web.middleware import SECURITY_HEADERS
from handlers.conversation import Inbound
from handlers.twilio_signature import is_signed

if TYPE_CHECKING:
    from bot.app import Runtime

logger = logging.getLogger(__name__)

SMS_PATH = "/twilio/sms"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's form for an SMS of 1,600 characters with media links is a few KB.
MAX_BODY_BYTES = 64 * 1024
_URLENCODED = "application/x-www-form-urlencoded"
_HEADERS = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in {**SECURITY_HEADERS, "Cache-Control": "no-store"}.items()
]


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


async def inbound_sms(runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one request to ``SMS_PATH`` (see the module docstring)."""
    try:
        inbound = await _signed_inbound(runtime, scope, receive)
    except _Refused as refused:
        await _answer(send, refused.status, refused.reason.encode(), b"text/plain; charset=utf-8")
        return
    try:
        await runtime.group_commit.receive(inbound)
    except Exception:
        # Logged by the group commit; nothing was committed, so Twilio's retry is handled.
        await _answer(send, 500, b"not handled, please retry", b"text/plain; charset=utf-8")
        return
    await _answer(send, 200, EMPTY_TWIML.encode(), b"application/xml")


async def _signed_inbound(runtime: Runtime, scope: Scope, receive: Receive) -> Inbound:
    if scope["method"] != "POST":
        raise _Refused(405, "Method Not Allowed")
    settings = runtime.settings
    if settings.twilio_auth_token is None:
        raise _Refused(403, "SMS is not configured")
    headers = {name: value for name, value in scope["headers"]}
    body = await _body(receive)
    form = await _form(scope, headers.get(b"content-type", b"").decode("latin-1"), body)
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{settings.public_url}{SMS_PATH}" + (f"?{query}" if query else "")
    signature = headers.get(b"x-twilio-signature", b"").decode("latin-1")
    if not is_signed(settings.twilio_auth_token.get_secret_value(), url, form, signature):
        raise _Refused(403, "invalid Twilio signature")
    sid = _field(form, "MessageSid") or _field(form, "SmsSid")
    sender = _field(form, "From")
    if not sid or not sender:
        raise _Refused(400, "MessageSid and From are required")
    return Inbound(
        provider="twilio",
        external_id=sid,
        channel=ChannelKind.SMS,
        # Twilio sends E.164; a short code or an alphanumeric sender is kept as received.
        address=maybe_e164(sender) or sender,
        text=_field(form, "Body"),
        received_at=runtime.clock.now(),
    )


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Refused(400, "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Refused(413, "request body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _form(scope: Scope, content_type: str, body: bytes) -> FormData:
    """The form as Starlette's ``Request.form()`` reads it, without its parser for the usual
    url-encoded body (each name and value decoded as Latin-1, then percent-decoded as UTF-8
    with U+FFFD for what is not UTF-8; empty fields skipped)."""
    if content_type.split(";", 1)[0].strip().lower() == _URLENCODED:
        text = body.decode("latin-1")
        pairs = (field.partition("=") for field in text.split("&") if field)
        return FormData([(unquote_plus(name), unquote_plus(value)) for name, _, value in pairs])
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request(scope, replay).form()


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode("ascii")),
        *_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
