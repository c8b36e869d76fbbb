"""A message text an admin changes reaches a running ``brobygger run`` worker on its own.

The worker is a separate process on the same database. It reloads the admins' texts every
TEXT_REFRESH_SECONDS (0.2 s here), so its next answer to the citizen, sent through the real
twilio client to the fake Twilio, carries the new words without a restart.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections.abc import Iterator

import httpx
import pytest

from bot import texts
from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import Catalogs
from bot.services.text_overrides import save_override
from handlers.sms import SMS_PATH
from tests.e2e.processes import free_port, start_sms_worker, wait_until_healthy
from tests.e2e.waiting import eventually
from tests.factories import CITIZEN_PHONE, add_participant
from tests.fakes import FakeTwilio

PUBLIC_URL = "https://brobygger.example.org"
OWN_WORDS = "Tak, vi har fået din besked. Din kontaktperson vender tilbage."
_sids = itertools.count(1)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


async def text_the_worker(twilio: FakeTwilio, port: int, body: str) -> str:
    """Write to the worker as the citizen; return its answer as Twilio received it."""
    already = len(twilio.messages)
    form = {
        "MessageSid": f"SM{next(_sids):032d}",
        "From": CITIZEN_PHONE,
        "To": "+4570000000",
        "Body": body,
    }
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post(
            SMS_PATH,
            data=form,
            headers={"X-Twilio-Signature": twilio.sign(PUBLIC_URL + SMS_PATH, form)},
        )
    assert response.status_code == 200
    answers = await eventually(lambda: twilio.messages[already:], within=15)
    return str(answers[0]["Body"])


async def test_a_running_worker_answers_in_the_words_an_admin_saved(
    database: Database, clock: FakeClock, twilio: FakeTwilio, tmp_path
) -> None:
    async with database.session() as session:
        await add_participant(session, now=clock.now())
    catalogs = Catalogs.load()
    port = free_port()
    worker = start_sms_worker(
        tmp_path,
        database.url,
        twilio,
        port=str(port),
        public_url=PUBLIC_URL,
        text_refresh_seconds="0.2",
    )
    try:
        await asyncio.to_thread(wait_until_healthy, worker, f"http://127.0.0.1:{port}/healthz")
        before = await text_the_worker(twilio, port, "Jeg har det fint i dag")
        assert before == catalogs.render("da", texts.FREE_TEXT_ACK)

        async with database.session() as session:  # what the dashboard's "Save" does
            await save_override(
                session,
                catalogs,
                name="FREE_TEXT_ACK",
                language="da",
                text=OWN_WORDS,
                staff_id=None,
                now=clock.now(),
            )

        async def answered_in_own_words() -> bool:
            answer = await text_the_worker(twilio, port, "Jeg er på arbejde")
            assert answer in (before, OWN_WORDS)  # the old words until the reload, then new
            return answer == OWN_WORDS

        await eventually(answered_in_own_words, within=15)
    finally:
        worker.send_signal(signal.SIGINT)
        await asyncio.to_thread(worker.wait, 30)
    assert worker.returncode == 0
