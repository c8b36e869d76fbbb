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
from tests.e2e.processes import free_port, start_sms_worker, wait_until_healthy
from tests.fakes import FakeTwilio
from tests.integration.delivery_people import citizen

MESSAGES = 1_000


def start_worker(cwd: Path, url: str, twilio: FakeTwilio) -> subprocess.Popen[str]:
    return start_sms_worker(cwd, url, twilio, dispatch_batch_size="100")


async def plan_due(database, clock, person: int, prefix: str) -> None:
    async with database.session() as session:
        await plan_many(
            session,
            [
                Planned(
                    kind=MessageKind.REPLY,
                    body=f"Besked {n}",
                    due_at=clock.now() - timedelta(minutes=1),
                    dedupe_key=f"{prefix}:{n}",
                    participant_id=person,
                )
                for n in range(MESSAGES)
            ],
        )


async def unsent_after_waiting(database, workers: list[subprocess.Popen[str]]) -> int:
    """Wait (at most 60 s) until every message is sent or a worker died; how many are not."""
    for _ in range(1200):
        async with database.read() as session:
            pending = await session.scalar(
                select(func.count()).where(Message.status != MessageStatus.SENT)
            )
        if pending == 0 or any(worker.poll() is not None for worker in workers):
            break
        await asyncio.sleep(0.05)
    return int(pending or 0)


async def stop(workers: list[subprocess.Popen[str]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGINT)
    for worker in workers:
        await asyncio.to_thread(worker.wait, 30)


def assert_all_sent_once(
    workers: list[subprocess.Popen[str]], pending: int, accepted: list[dict[str, str]]
) -> None:
    """Both workers stopped cleanly, nothing is left unsent, the provider got each once."""
    assert all(worker.returncode == 0 for worker in workers)
    assert pending == 0
    ids = [int(m["StatusCallback"].rsplit("message=", 1)[1]) for m in accepted]
    assert len(ids) == MESSAGES and len(set(ids)) == MESSAGES


async def test_two_worker_processes_send_each_message_exactly_once(database, clock, tmp_path):
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000050")])
    await plan_due(database, clock, person, "two-workers")
    with FakeTwilio() as twilio:
        twilio.latency = 0.005  # long enough that both workers are busy at once
        workers = [start_worker(tmp_path, database.url, twilio) for _ in range(2)]
        try:
            pending = await unsent_after_waiting(database, workers)
        finally:
            await stop(workers)
        accepted = twilio.messages

    assert_all_sent_once(workers, pending, accepted)


async def test_a_worker_with_more_due_than_it_claims_wakes_an_idle_worker(
    database, clock, tmp_path
):
    # Worker "busy" looks every 0.2 s; worker "idle" every hour, so after its start it looks
    # again only when woken. PUBLIC_URL labels each one's status callback URLs.
    person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000051")])
    with FakeTwilio(latency=0.05) as twilio:
        workers, ports = [], []
        try:
            for name, interval in (("busy", "0.2"), ("idle", "3600")):
                port = str(free_port())
                worker = start_sms_worker(
                    tmp_path,
                    database.url,
                    twilio,
                    port=port,
                    dispatch_batch_size="100",
                    dispatch_interval_seconds=interval,
                    public_url=f"http://{name}.example",
                )
                workers.append(worker)
                ports.append(port)
            for worker, port in zip(workers, ports, strict=True):
                await asyncio.to_thread(
                    wait_until_healthy, worker, f"http://127.0.0.1:{port}/healthz"
                )
            await plan_due(database, clock, person, "wake")  # by another process: this test
            pending = await unsent_after_waiting(database, workers)
        finally:
            await stop(workers)
        accepted = twilio.messages

    assert_all_sent_once(workers, pending, accepted)
    by_idle = sum("//idle.example/" in m["StatusCallback"] for m in accepted)
    if database.is_sqlite:
        # One writer at a time: nothing is announced, the idle worker waits for its interval.
        assert by_idle == 0
    else:
        assert by_idle > 0  # the busy worker's full claim woke it at once
