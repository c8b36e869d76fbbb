"""Twilio webhook authentication, shared by the inbound SMS and the status callback routes.

The signature covers the URL Twilio called, which we rebuild from ``PUBLIC_URL`` plus the path
and query (behind a proxy the request's own host differs), and the form parameters. Starlette's
``FormData`` is passed as it is, so repeated keys are signed as Twilio signed them.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator


def public_url(request: Request, base: str) -> str:
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


class _Parameters(dict[str, list[str]]):
    """The form as the validator reads it fastest: every value of each name, by ``getall``
    (its first try; a ``FormData`` is read through two failed attribute look-ups)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def is_signed(auth_token: str, url: str, form: FormData, signature: str) -> bool:
    """Whether ``signature`` is Twilio's for ``url`` (as Twilio called it) and ``form``.

    The URL as configured is tried first, one signature; only if that fails does the
    validator try its variants (with and without the default port), two more.
    """
    if not signature:
        return False
    parameters = _Parameters()
    for name, value in form.multi_items():
        if isinstance(value, str):
            parameters.setdefault(name, []).append(value)
    validator = RequestValidator(auth_token)
    expected: str = validator.compute_signature(url, parameters)
    if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return True
    return bool(validator.validate(url, parameters, signature))


async def verified_form(request: Request, *, auth_token: str, base_url: str) -> FormData:
    """The request's form if Twilio signed it; otherwise 403 and nothing is read further."""
    signature = request.headers.get("X-Twilio-Signature", "")
    form = await request.form()
    if not is_signed(auth_token, public_url(request, base_url), form, signature):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return form
