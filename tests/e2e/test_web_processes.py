"""``brobygger run --processes 2`` on PostgreSQL: two web processes on one port, each with its
own dispatcher, and every inbound SMS logged and answered exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.models import ChannelKind, Direction, Message
from handlers.sms import SMS_PATH
from tests.conftest import MigratedTemplates, require_postgres
from tests.e2e.processes import free_port, start_sms_worker, wait_until_healthy
from tests.e2e.waiting import eventually
from tests.fakes import FakeTwilio
from tests.integration.delivery_people import citizen

PUBLIC_URL = "https://brobygger.example.org"
CITIZENS = 10
MESSAGES_EACH = 3

pytestmark = pytest.mark.postgres


@pytest.fixture
async def postgres(migrated_templates: MigratedTemplates) -> AsyncIterator[Database]:
    await require_postgres()
    copy = await migrated_templates.postgres_copy()
    database = Database(copy.url)
    try:
        yield database
    finally:
        await database.dispose()
        await copy.drop()


def web_processes(supervisor: int) -> list[int]:
    """The supervisor's web processes (multiprocessing's resource tracker is not one)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


async def test_two_web_processes_share_a_port_and_answer_each_sms_once(
    postgres: Database, tmp_path: Path
) -> None:
    numbers = [f"+452000{n:04d}" for n in range(CITIZENS)]
    for number in numbers:
        await citizen(postgres, addresses=[(ChannelKind.SMS, number)])
    port = free_port()
    with FakeTwilio() as twilio:
        service = start_sms_worker(
            tmp_path,
            postgres.url,
            twilio,
            "--processes",
            "2",
            port=str(port),
            public_url=PUBLIC_URL,
        )
        try:
            wait_until_healthy(service, f"http://127.0.0.1:{port}/healthz", timeout=60)
            assert len(web_processes(service.pid)) == 2

            async def post(n: int) -> int:
                form = {
                    "MessageSid": f"SM{n:032x}",
                    "AccountSid": twilio.account_sid,
                    "From": numbers[n % CITIZENS],
                    "To": "+4570000000",
                    "Body": "Hej, jeg er på vej",
                    "NumMedia": "0",
                }
                signature = twilio.sign(PUBLIC_URL + SMS_PATH, form)
                # A client (and so a connection) per request: the kernel hands each connection
                # to whichever process accepts it first.
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    answer = await client.post(
                        SMS_PATH, data=form, headers={"X-Twilio-Signature": signature}
                    )
                return answer.status_code

            total = CITIZENS * MESSAGES_EACH
            statuses = await asyncio.gather(*(post(n) for n in range(total)))
            await eventually(lambda: len(twilio.messages) >= total, within=30)
        finally:
            service.send_signal(signal.SIGTERM)
            await asyncio.to_thread(service.wait, 60)

    assert statuses == [200] * total
    assert service.returncode == 0
    replies = [int(m["StatusCallback"].rsplit("message=", 1)[1]) for m in twilio.messages]
    assert len(replies) == len(set(replies)) == total  # each reply sent once, by one process
    async with postgres.read() as session:
        inbound = await session.scalar(
            select(func.count()).where(Message.direction == Direction.IN)
        )
    assert inbound == total
