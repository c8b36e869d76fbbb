"""A worker killed with SIGKILL at each point of a send: no message lost, none sent twice.

The worker is the real ``brobygger run`` sending through the real twilio client to the fake
Twilio server, which holds the send at the chosen point (a ``Gate``) while the test kills the
process. A new dispatcher then takes over once the lease has run out:

- killed after the claim, before the provider took the message: nothing went out; the row is
  ``unknown`` (it may have, for all the worker knew), shown to staff, not resent blindly;
- killed after the provider accepted it, before the worker heard back, and killed after the
  answer came back while recording was blocked: it went out once, and the row is ``unknown``.

So a message is never sent twice, and "unknown" covers exactly the rows whose worker died
between claim and record (see the README, "Delivery").
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.models import ChannelKind, Message, MessageStatus
from schedules.dispatcher import DispatchOptions, dispatch_due
from tests.e2e.processes import (
    brobygger,
    service_environment,
    start_sms_worker,
)
from tests.fakes import FakeTwilio, Gate
from tests.fakes.channel import RecordingChannel
from tests.integration.delivery_people import citizen, due_message, plan_one, sqlite_status

LEASE_SECONDS = 10


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


async def prepare(tmp_path: Path) -> tuple[str, int]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    migrated = brobygger("migrate", cwd=tmp_path, env=service_environment(database_url=url))
    assert migrated.returncode == 0, migrated.stderr
    database = Database(url)
    try:
        person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000020")])
        due = datetime.now(UTC) - timedelta(seconds=1)
        message_id = await plan_one(database, due_message(person, due, "checkin:crash"))
    finally:
        await database.dispose()
    return url, message_id


def start_worker(tmp_path: Path, url: str, twilio: FakeTwilio) -> subprocess.Popen[str]:
    return start_sms_worker(tmp_path, url, twilio, lease_seconds=str(LEASE_SECONDS))


def kill(worker: subprocess.Popen[str]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)


async def take_over(url: str, message_id: int) -> tuple[Message, RecordingChannel]:
    """A new dispatcher, once the dead worker's lease has run out."""
    later = FakeClock(datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1))
    channel = RecordingChannel(ChannelKind.SMS)
    database = Database(url)
    try:
        await dispatch_due(
            database,
            {ChannelKind.SMS: channel},
            later,
            DispatchOptions(tz=ZoneInfo("Europe/Copenhagen")),
        )
        async with database.read() as session:
            message = await session.get(Message, message_id)
            assert message is not None
            return message, channel
    finally:
        await database.dispose()


async def crash_at(tmp_path: Path, twilio: FakeTwilio, gate: Gate, *, lock_db: bool = False):
    url, message_id = await prepare(tmp_path)
    db_path = tmp_path / "crash.db"
    worker = start_worker(tmp_path, url, twilio)
    lock: sqlite3.Connection | None = None
    try:
        await asyncio.to_thread(gate.wait_arrived, 30)
        assert sqlite_status(db_path, message_id) == MessageStatus.SENDING  # claimed
        if lock_db:
            # Hold the write lock, let the answer go back, and kill while recording waits.
            lock = sqlite3.connect(db_path, isolation_level=None, timeout=30)
            lock.execute("BEGIN IMMEDIATE")
            gate.release()
            assert await asyncio.to_thread(gate.responded.wait, 10)
        kill(worker)
    finally:
        if worker.poll() is None:
            kill(worker)
        if lock is not None:
            lock.execute("ROLLBACK")
            lock.close()
        gate.release()
    assert sqlite_status(db_path, message_id) == MessageStatus.SENDING  # nothing recorded
    return await take_over(url, message_id)


async def test_killed_after_the_claim_before_the_provider_took_it(tmp_path, twilio):
    gate = twilio.hold("before_accept")

    message, takeover = await crash_at(tmp_path, twilio, gate)

    for _ in range(100):  # the fake notices the dropped connection when released
        if gate.client_gone:
            break
        await asyncio.sleep(0.05)
    assert gate.client_gone and twilio.messages == []
    assert message.status is MessageStatus.UNKNOWN and takeover.attempts == []


async def test_killed_after_the_provider_accepted_before_the_answer(tmp_path, twilio):
    gate = twilio.hold("after_accept")

    message, takeover = await crash_at(tmp_path, twilio, gate)

    assert len(twilio.messages) == 1
    assert message.status is MessageStatus.UNKNOWN and takeover.attempts == []


async def test_killed_after_the_answer_while_recording(tmp_path, twilio):
    gate = twilio.hold("after_accept")

    message, takeover = await crash_at(tmp_path, twilio, gate, lock_db=True)

    assert len(twilio.messages) == 1
    assert message.status is MessageStatus.UNKNOWN and takeover.attempts == []
