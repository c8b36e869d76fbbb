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
from tests.e2e.processes import start_sms_worker
from tests.fakes import FakeTwilio
from tests.integration.delivery_people import citizen

MESSAGES = 1_000


def start_worker(cwd: Path, url: str, twilio: FakeTwilio) -> subprocess.Popen[str]:
    return start_sms_worker(cwd, url, twilio, dispatch_batch_size="100")


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
