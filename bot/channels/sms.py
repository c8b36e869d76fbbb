"""SMS through the twilio client (async), against Twilio or any Twilio-compatible REST API.

Three rules from STACK.md shape this module:

1. Every call runs under ``asyncio.timeout`` (the async client ignores its own ``timeout``).
   A timeout after the request went out may mean the SMS was sent: ``may_have_sent``.
2. No ``max_retries``: that would retry the POST that creates a message, and could send the SMS
   twice. Retrying is the dispatcher's job, and only where nothing can have gone out.
3. The REST base URL comes from ``TWILIO_API_URL`` (``client.api.base_url``).

Reply choices become text ("Svar JA eller NEJ."), and the text is kept to GSM-7.
"""

from __future__ import annotations

import asyncio

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.channels.base import Outgoing, Receipt
from bot.errors import DeliveryError
from bot.i18n import Catalogs, to_gsm7
from bot.models import ChannelKind

# Twilio error codes that say the address itself is dead (the citizen's other channel takes over).
OPTED_OUT_CODES = frozenset({21610})  # the recipient replied STOP to our number
UNREACHABLE_CODES = frozenset({21211, 21614, 21612})  # invalid / not a mobile / not routable
RATE_LIMITED_CODES = frozenset({20429, 14107})


def open_twilio_client(
    account_sid: str, auth_token: str, *, api_url: str, max_connections: int
) -> tuple[Client, aiohttp.ClientSession]:
    """A twilio ``Client`` with an async HTTP client holding at most ``max_connections``.

    Call inside the running event loop (the lifespan); close the returned session on shutdown.
    """
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max_connections))
    http_client = AsyncTwilioHttpClient(pool_connections=False)
    http_client.session = session
    client = Client(account_sid, auth_token, http_client=http_client)
    client.api.base_url = api_url
    return client, session


def classify(error: TwilioRestException) -> DeliveryError:
    """One place that turns a Twilio error answer into a permanent or transient failure."""
    code, status = error.code, int(error.status)
    reason = f"twilio {status}" + (f" code {code}" if code else "")
    if code in OPTED_OUT_CODES:
        return DeliveryError(f"{reason}: recipient opted out", permanent=True, opted_out=True)
    if code in UNREACHABLE_CODES:
        return DeliveryError(
            f"{reason}: number cannot receive SMS", permanent=True, unreachable=True
        )
    if status == 429 or code in RATE_LIMITED_CODES:
        return DeliveryError(f"{reason}: rate limited", permanent=False)
    if status >= 500 or status in (401, 403, 408):
        # Server trouble, or credentials being rotated: retry, then fail visibly.
        return DeliveryError(f"{reason}: provider error", permanent=False)
    return DeliveryError(f"{reason}: rejected", permanent=True)


class TwilioSms:
    """The SMS channel."""

    kind = ChannelKind.SMS

    def __init__(
        self,
        client: Client,
        *,
        from_number: str,
        catalogs: Catalogs,
        timeout: float,
        status_callback_url: str | None = None,
    ) -> None:
        self._client = client
        self._from = from_number
        self._catalogs = catalogs
        self._timeout = timeout
        self._status_callback_url = status_callback_url

    def text(self, message: Outgoing) -> str:
        """What the citizen reads: the body, its reply hint, in the GSM-7 alphabet."""
        body = self._catalogs.with_reply_hint(message.language, message.text, message.choices)
        return to_gsm7(body)

    async def send(self, message: Outgoing) -> Receipt:
        extra = {}
        if self._status_callback_url:
            # Our own id in the URL (signed by Twilio too): a callback that overtakes the
            # recording of the provider id still finds its message.
            extra["status_callback"] = f"{self._status_callback_url}?message={message.message_id}"
        try:
            async with asyncio.timeout(self._timeout):
                created = await self._client.messages.create_async(
                    to=message.address, from_=self._from, body=self.text(message), **extra
                )
        except TimeoutError:
            raise DeliveryError(
                f"twilio: no answer within {self._timeout:g} s", permanent=False, may_have_sent=True
            ) from None
        except TwilioRestException as error:
            raise classify(error) from None
        except aiohttp.ClientConnectorError as error:
            # The connection was never made, so nothing was sent.
            raise DeliveryError(
                f"twilio: cannot connect ({type(error).__name__})", permanent=False
            ) from None
        except (aiohttp.ClientError, OSError) as error:
            # The connection broke after the request may have gone out.
            raise DeliveryError(
                f"twilio: connection lost ({type(error).__name__})",
                permanent=False,
                may_have_sent=True,
            ) from None
        return Receipt(provider_id=str(created.sid))
