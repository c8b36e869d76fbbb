"""The real twilio client and the real python-telegram-bot Bot against local fake servers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.channels.base import Outgoing
from bot.channels.sms import TwilioSms, open_twilio_client
from bot.channels.telegram import TelegramChannel, open_telegram_bot
from bot.errors import DeliveryError
from bot.i18n import Catalogs
from bot.models import ReplyChoices
from tests.fakes import FakeTelegram, FakeTwilio, Fault


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def sms(twilio: FakeTwilio, catalogs: Catalogs) -> AsyncIterator[TwilioSms]:
    client, session = open_twilio_client(
        twilio.account_sid, twilio.auth_token, api_url=twilio.url, max_connections=8
    )
    try:
        yield TwilioSms(
            client,
            from_number="+4570000000",
            catalogs=catalogs,
            timeout=1.0,
            status_callback_url="https://brobygger.example/twilio/status",
        )
    finally:
        await session.close()


@pytest.fixture
async def chat(telegram: FakeTelegram, catalogs: Catalogs) -> AsyncIterator[TelegramChannel]:
    bot = open_telegram_bot(telegram.token, api_url=telegram.base_url)
    await bot.initialize()
    try:
        yield TelegramChannel(bot, catalogs=catalogs, timeout=1.0)
    finally:
        await bot.shutdown()


def question(address: str, choices: ReplyChoices | None = ReplyChoices.YES_NO) -> Outgoing:
    return Outgoing(
        message_id=41,
        address=address,
        text="Kan du komme til dit møde tirsdag kl. 10.00?",
        language="da",
        choices=choices,
        kind="confirmation_request",
    )


# --- SMS through twilio ---------------------------------------------------------------------


async def test_sms_goes_out_with_the_reply_hint_and_a_status_callback(sms, twilio):
    receipt = await sms.send(question("+4520000001"))

    [accepted] = twilio.messages
    assert receipt.provider_id == accepted["sid"] and not receipt.delivered
    assert accepted["To"] == "+4520000001" and accepted["From"] == "+4570000000"
    assert accepted["Body"] == "Kan du komme til dit møde tirsdag kl. 10.00? Svar JA eller NEJ."
    assert accepted["StatusCallback"] == "https://brobygger.example/twilio/status?message=41"
    assert twilio.requests[0].headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(("code", "opted_out"), [(21211, False), (21614, False), (21610, True)])
async def test_sms_dead_number_errors_are_permanent_and_mark_the_address(
    sms, twilio, code, opted_out
):
    twilio.fail_next(FakeTwilio.error(400, code, "rejected"))

    with pytest.raises(DeliveryError) as raised:
        await sms.send(question("+4520000002"))

    error = raised.value
    assert error.permanent and error.unreachable and error.opted_out is opted_out
    assert not error.may_have_sent and str(code) in error.reason
    assert twilio.messages == []


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_sms_rate_limits_and_server_errors_are_transient(sms, twilio, status):
    twilio.fail_next(FakeTwilio.error(status, 20429 if status == 429 else None, "try later"))

    with pytest.raises(DeliveryError) as raised:
        await sms.send(question("+4520000003"))

    assert not raised.value.permanent and not raised.value.may_have_sent


async def test_sms_timeout_may_have_sent_and_is_not_retried_by_the_client(sms, twilio):
    twilio.fail_next(Fault(status=201, body={}, delay=3.0))

    with pytest.raises(DeliveryError) as raised:
        await sms.send(question("+4520000004"))

    assert raised.value.may_have_sent and not raised.value.permanent
    assert len(twilio.requests) == 1  # no max_retries: the POST was made once


async def test_sms_to_a_closed_port_is_transient_and_nothing_was_sent(catalogs):
    with FakeTwilio() as stopped:
        url = stopped.url
    client, session = open_twilio_client("AC1", "token", api_url=url, max_connections=1)
    try:
        channel = TwilioSms(client, from_number="+4570000000", catalogs=catalogs, timeout=2.0)
        with pytest.raises(DeliveryError) as raised:
            await channel.send(question("+4520000005"))
    finally:
        await session.close()
    assert not raised.value.permanent and not raised.value.may_have_sent


async def test_a_fake_twilio_with_latency_answers_each_send_that_much_later(catalogs):
    # The benchmarks' slow provider: FakeTwilio(latency=...) and the times it records.
    with FakeTwilio(latency=0.3) as slow:
        client, session = open_twilio_client(
            slow.account_sid, slow.auth_token, api_url=slow.url, max_connections=1
        )
        try:
            channel = TwilioSms(client, from_number="+4570000000", catalogs=catalogs, timeout=5.0)
            started = time.monotonic()
            receipt = await channel.send(question("+4520000006"))
            answered = time.monotonic()
        finally:
            await session.close()
        [accepted] = slow.accepted

    assert receipt.provider_id == accepted.message["sid"] == slow.messages[0]["sid"]
    assert started <= accepted.received_at <= accepted.accepted_at <= answered
    # (A few ms of slack: the event loop may wake a timer up to its clock resolution early.)
    assert accepted.accepted_at - accepted.received_at >= 0.3 - 0.005


async def test_sms_text_is_kept_in_gsm7(sms, twilio):
    await sms.send(
        Outgoing(message_id=42, address="+4520000006", text="Hej \u201cMikkel\u201d \u2013 vi ses")
    )
    assert twilio.messages[0]["Body"] == 'Hej "Mikkel" - vi ses'


# --- Telegram through python-telegram-bot ---------------------------------------------------


async def test_telegram_question_has_buttons_naming_the_question(chat, telegram):
    receipt = await chat.send(question("4242"))

    [sent] = telegram.sent
    assert receipt.delivered and receipt.provider_id == f"4242:{sent['message_id']}"
    assert sent["chat_id"] == "4242"
    assert sent["text"] == "Kan du komme til dit møde tirsdag kl. 10.00?"
    markup = sent["reply_markup"]
    assert '"callback_data": "a:41:yes"' in markup and '"callback_data": "a:41:no"' in markup
    assert '"text": "Ja"' in markup and '"text": "Nej"' in markup


async def test_telegram_alert_button_acknowledges_the_alert(chat, telegram):
    await chat.send(
        Outgoing(
            message_id=7,
            address="99",
            text="Mikkel har ikke svaret.",
            choices=ReplyChoices.ACK,
            alert_id=3,
        )
    )
    assert '"callback_data": "a:3:ack"' in telegram.sent[0]["reply_markup"]


@pytest.mark.parametrize(
    "description", ["Forbidden: bot was blocked by the user", "Forbidden: user is deactivated"]
)
async def test_telegram_blocked_or_deactivated_is_an_opt_out(chat, telegram, description):
    telegram.fail_next(FakeTelegram.error(403, description))

    with pytest.raises(DeliveryError) as raised:
        await chat.send(question("4243"))

    assert raised.value.permanent and raised.value.opted_out


async def test_telegram_chat_not_found_is_unreachable(chat, telegram):
    telegram.fail_next(FakeTelegram.error(400, "Bad Request: chat not found"))

    with pytest.raises(DeliveryError) as raised:
        await chat.send(question("4244"))

    assert raised.value.permanent and raised.value.unreachable and not raised.value.opted_out


async def test_telegram_flood_control_is_transient_with_retry_after(chat, telegram):
    telegram.fail_next(FakeTelegram.error(429, "Too Many Requests: retry after 17", retry_after=17))

    with pytest.raises(DeliveryError) as raised:
        await chat.send(question("4245"))

    assert not raised.value.permanent and raised.value.retry_after == 17


@pytest.mark.parametrize("status", [500, 502])
async def test_telegram_server_errors_are_transient(chat, telegram, status):
    telegram.fail_next(FakeTelegram.error(status, "Internal Server Error"))

    with pytest.raises(DeliveryError) as raised:
        await chat.send(question("4246"))

    assert not raised.value.permanent and not raised.value.may_have_sent


async def test_telegram_timeout_may_have_sent(chat, telegram):
    telegram.fail_next(Fault(status=200, body={"ok": True}, delay=3.0))

    with pytest.raises(DeliveryError) as raised:
        await chat.send(question("4247"))

    assert raised.value.may_have_sent and not raised.value.permanent
    assert len([r for r in telegram.requests if r.path.endswith("/sendMessage")]) == 1
