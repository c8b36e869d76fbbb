"""Twilio webhook authentication, shared by the inbound SMS and the status callback routes.

The signature covers the URL Twilio called, which we rebuild from ``PUBLIC_URL`` plus the path
and query (behind a proxy the request's own host differs), and the form parameters. Starlette's
``FormData`` is passed as it is, so repeated keys are signed as Twilio signed them.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator


def public_url(request: Request, base: str) -> str:
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


def is_signed(auth_token: str, url: str, form: FormData, signature: str) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` (as Twilio called it) and ``form``."""
    return bool(signature) and bool(RequestValidator(auth_token).validate(url, form, signature))


async def verified_form(request: Request, *, auth_token: str, base_url: str) -> FormData:
    """The request's form if Twilio signed it; otherwise 403 and nothing is read further."""
    signature = request.headers.get("X-Twilio-Signature", "")
    form = await request.form()
    if not is_signed(auth_token, public_url(request, base_url), form, signature):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return form
