"""Two ``brobygger run`` processes on one database: every due message goes out exactly once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.models import ChannelKind, Message, MessageKind, MessageStatus
from bot.outbox import Planned, plan_many
from tests.e2e.processes import BROBYGGER, free_port, service_environment
from tests.fakes import FakeTwilio
from tests.integration.delivery_people import citizen

MESSAGES = 1_000


def start_worker(cwd: Path, url: str, twilio: FakeTwilio) -> subprocess.Popen[str]:
    env = service_environment(
        database_url=url,
        port=str(free_port()),
        quiet_hours="off",
        demo="false",
        secret_key="test",
        dispatch_interval_seconds="0.2",
        dispatch_batch_size="100",
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from="+4570000000",
        twilio_api_url=twilio.url,
    )
    return subprocess.Popen(
        [BROBYGGER, "run"],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_two_worker_processes_send_each_message_exactly_once(database, clock, tmp_path):
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000050")])
    async with database.session() as session:
        await plan_many(
            session,
            [
                Planned(
                    kind=MessageKind.REPLY,
                    body=f"Besked {n}",
                    due_at=clock.now() - timedelta(minutes=1),
                    dedupe_key=f"two-workers:{n}",
                    participant_id=person,
                )
                for n in range(MESSAGES)
            ],
        )
    with FakeTwilio() as twilio:
        twilio.latency = 0.005  # long enough that both workers are busy at once
        workers = [start_worker(tmp_path, database.url, twilio) for _ in range(2)]
        try:
            for _ in range(1200):  # at most 60 s
                async with database.read() as session:
                    pending = await session.scalar(
                        select(func.count()).where(Message.status != MessageStatus.SENT)
                    )
                if pending == 0 or any(worker.poll() is not None for worker in workers):
                    break
                await asyncio.sleep(0.05)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGINT)
            for worker in workers:
                await asyncio.to_thread(worker.wait, 30)
        accepted = twilio.messages

    assert all(worker.returncode == 0 for worker in workers)
    assert pending == 0
    ids = [int(m["StatusCallback"].rsplit("message=", 1)[1]) for m in accepted]
    assert len(ids) == MESSAGES and len(set(ids)) == MESSAGES
