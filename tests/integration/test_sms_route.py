"""The inbound SMS route through the whole ASGI app: signatures, odd input, duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select, text, update
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.clock import FakeClock
from bot.db import Database
from bot.models import Direction, InboundEvent, Message, Staff
from handlers.sms import EMPTY_TWIML, SMS_PATH
from tests.conftest import settings_for
from tests.factories import CITIZEN_PHONE, MENTOR_PHONE, add_participant, add_staff

PUBLIC_URL = "https://brobygger.example.org"
AUTH_TOKEN = "test-twilio-auth-token"


def sign(form: dict[str, str], url: str = PUBLIC_URL + SMS_PATH) -> str:
    signature: str = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    return signature


def sms_form(body: str, sid: str = "SM" + "1" * 32, sender: str = CITIZEN_PHONE) -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+4570000000", "Body": body}


@pytest.fixture
async def client(database: Database, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(
        database.url,
        public_url=PUBLIC_URL,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from="+4570000000",
        twilio_api_url="http://127.0.0.1:9",
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        # The app is reached on its internal host, not PUBLIC_URL, as behind a proxy.
        async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as c:
            yield c


async def post(client: httpx.AsyncClient, form: dict[str, str], signature: str | None = None):
    headers = {"X-Twilio-Signature": sign(form) if signature is None else signature}
    return await client.post(SMS_PATH, data=form, headers=headers)


async def post_encoded(client: httpx.AsyncClient, body: str, signature: str) -> httpx.Response:
    """POST a form body encoded by hand (to send what a dict cannot express)."""
    return await client.post(
        SMS_PATH,
        content=body.encode("ascii"),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )


async def inbound_rows(database: Database) -> list[Message]:
    async with database.read() as session:
        return list(await session.scalars(select(Message).where(Message.direction == Direction.IN)))


async def test_a_signed_sms_is_logged_and_answered_with_empty_twiml(client, database, clock):
    async with database.session() as session:
        participant = await add_participant(session, now=clock.now())
    response = await post(client, sms_form("Ja tak"))
    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("application/xml")
    [row] = await inbound_rows(database)
    assert (row.participant_id, row.address, row.body, row.intent) == (
        participant.id,
        CITIZEN_PHONE,
        "Ja tak",
        "yes",
    )


async def test_the_answer_to_twilio_sets_no_session_cookie_but_the_security_headers(
    client, database, clock
):
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    response = await post(client, sms_form("Ja tak"))
    assert response.status_code == 200
    assert "set-cookie" not in response.headers  # a webhook is no browser
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "bm90IGEgc2lnbmF0dXJl",  # forged
        # Signed for the host the request reached instead of PUBLIC_URL: refused.
        sign(sms_form("Ja"), "http://internal:8000" + SMS_PATH),
        # Signed by someone with another auth token.
        RequestValidator("another-token").compute_signature(PUBLIC_URL + SMS_PATH, sms_form("Ja")),
    ],
    ids=["missing", "forged", "request-host", "other-token"],
)
async def test_a_bad_signature_gets_403_and_writes_nothing(client, database, signature):
    response = await post(client, sms_form("Ja"), signature)
    assert response.status_code == 403
    assert await inbound_rows(database) == []
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEvent)) == 0


async def test_a_signed_body_changed_in_transit_gets_403(client, database):
    signature = sign(sms_form("Ja"))
    response = await post(client, sms_form("Nej"), signature)
    assert response.status_code == 403
    assert await inbound_rows(database) == []


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
async def test_missing_fields_get_400_and_write_nothing(client, database, missing):
    form = sms_form("Ja")
    del form[missing]
    response = await post(client, form)
    assert response.status_code == 400
    assert await inbound_rows(database) == []


async def test_a_missing_body_is_an_empty_message(client, database):
    form = sms_form("")
    del form["Body"]
    response = await post(client, form)
    assert response.status_code == 200
    [row] = await inbound_rows(database)
    assert row.body == ""


@pytest.mark.parametrize(
    "body",
    [
        "x" * 5000,
        "ok 👍🏽 tak ❤️",
        "مرحبا، نعم سأحضر",  # RTL
        "שלום \u202eevil\u202c",  # bidi override characters
        "<script>alert('x')</script><b>JA</b>",
        "'; DROP TABLE messages; --",
        "Robert'); DELETE FROM participants WHERE ('1'='1",
        "æøå ÆØÅ\r\nlinje to\ttab",
        '=HYPERLINK("http://example.org")',
    ],
    ids=["5000-chars", "emoji", "rtl", "bidi", "html", "sql", "sql2", "danish-crlf", "csv"],
)
async def test_odd_bodies_are_stored_exactly_as_received(client, database, clock, body):
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    response = await post(client, sms_form(body))
    assert response.status_code == 200
    [row] = await inbound_rows(database)
    assert row.body == body


async def test_invalid_utf8_is_stored_as_decoded_with_replacement_characters(client, database):
    # Percent-encoded bytes that are not UTF-8; the form decoder turns them into U+FFFD, and
    # the signature covers the decoded values, as Twilio computes it over its parameters.
    raw = "MessageSid=SM" + "2" * 32 + "&From=%2B4520304050&Body=ja%FF%FEtak"
    decoded = {"MessageSid": "SM" + "2" * 32, "From": CITIZEN_PHONE, "Body": "ja\ufffd\ufffdtak"}
    response = await post_encoded(client, raw, sign(decoded))
    assert response.status_code == 200
    [row] = await inbound_rows(database)
    assert row.body == "ja\ufffd\ufffdtak"


async def test_nul_and_raw_bytes_never_crash_the_route(client, database):
    form = sms_form("ja\x00tak")
    response = await post_encoded(client, urlencode(form), sign(form))
    assert response.status_code == 200
    [row] = await inbound_rows(database)
    assert row.body == "ja\ufffdtak"  # PostgreSQL cannot hold NUL; both databases agree


async def test_the_same_sms_delivered_five_times_at_once_is_logged_once(client, database, clock):
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    form = sms_form("hvem er det?", sid="SM" + "5" * 32)
    responses = await asyncio.gather(*(post(client, form) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    assert all(r.text == EMPTY_TWIML for r in responses)
    [row] = await inbound_rows(database)
    async with database.read() as session:
        replies = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "out")
        )
    assert row.body == "hvem er det?" and replies == 1


async def test_a_nul_in_the_sender_or_sid_never_crashes_the_route(client, database):
    form = sms_form("ja", sid="SM\x00" + "3" * 31, sender="+45\x0020304050")
    response = await post_encoded(client, urlencode(form), sign(form))
    assert response.status_code == 200
    [row] = await inbound_rows(database)
    assert row.address == "+45\ufffd20304050" and row.participant_id is None


async def test_an_sms_that_cannot_be_handled_gets_500_and_its_redelivery_is_handled(
    client, database, clock
):
    async with database.session() as session:
        mentor = await add_staff(session, phone=MENTOR_PHONE)
        await add_participant(session, now=clock.now(), mentor=mentor)
        await add_participant(session, now=clock.now(), phone="+4520304051")
        # The mentor's phone can no longer be decrypted (a key went missing), so HELP, which
        # names the mentor, fails; written in SQL, since the column type would encrypt it.
        await session.execute(text("UPDATE staff SET phone = 'not-a-fernet-token'"))
    help_form = sms_form("hjælp", sid="SM" + "6" * 32)
    other_form = sms_form("Det går fint", sid="SM" + "7" * 32, sender="+4520304051")
    responses = await asyncio.gather(post(client, help_form), post(client, other_form))
    assert [r.status_code for r in responses] == [500, 200]
    assert [row.body for row in await inbound_rows(database)] == ["Det går fint"]
    async with database.session() as session:
        await session.execute(update(Staff).values(phone=MENTOR_PHONE))
    again = await post(client, help_form)  # Twilio delivers it again
    assert again.status_code == 200
    assert sorted(row.body for row in await inbound_rows(database)) == ["Det går fint", "hjælp"]


async def test_a_webhook_is_answered_after_its_message_is_committed(client, database, clock):
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    elsewhere = Database(database.url)  # another connection sees only what is committed

    async def post_and_look(n: int) -> int:
        response = await post(client, sms_form(f"besked {n}", sid=f"SM{n:032x}"))
        assert response.status_code == 200
        async with elsewhere.read() as session:
            found = select(func.count()).where(InboundEvent.external_id == f"SM{n:032x}")
            return int(await session.scalar(found) or 0)

    try:
        assert await asyncio.gather(*(post_and_look(n) for n in range(8))) == [1] * 8
    finally:
        await elsewhere.dispose()


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_other_methods_get_405(client, database, method):
    response = await client.request(method, SMS_PATH)
    assert response.status_code == 405
    assert await inbound_rows(database) == []


async def test_an_oversized_body_gets_413_and_writes_nothing(client, database):
    form = sms_form("x" * 70_000)
    response = await post(client, form)
    assert response.status_code == 413
    assert await inbound_rows(database) == []
