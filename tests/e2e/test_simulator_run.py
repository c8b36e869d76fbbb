"""``brobygger run`` without provider credentials: every channel is simulated, messages still go."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bot.db import Database
from bot.models import ChannelKind
from tests.e2e.processes import (
    BROBYGGER,
    brobygger,
    free_port,
    service_environment,
    wait_until_healthy,
)
from tests.integration.delivery_people import citizen, due_message, plan_one, sqlite_status


def start(cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BROBYGGER, "run"],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def test_without_credentials_the_simulator_delivers_and_prints_a_summary(tmp_path):
    port = free_port()
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    env = service_environment(
        database_url=url, port=str(port), quiet_hours="off", demo="false", secret_key="test"
    )
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    database = Database(url)
    try:
        person = await citizen(database, addresses=[(ChannelKind.SMS, "+4520000030")])
        message_id = await plan_one(
            database, due_message(person, datetime.now(UTC), "checkin:demo")
        )
    finally:
        await database.dispose()
    process = start(tmp_path, env)
    try:
        await asyncio.to_thread(wait_until_healthy, process, f"http://127.0.0.1:{port}/healthz")
        for _ in range(200):  # at most 10 s
            if sqlite_status(tmp_path / "demo.db", message_id) == "delivered":
                break
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    assert sqlite_status(tmp_path / "demo.db", message_id) == "delivered"
    assert "live: none; simulated: sms, telegram, simulator" in output
    assert f"simulator: message {message_id} (checkin) delivered on sms" in output
    # Neither the body nor the phone number reaches the console.
    assert "hvordan går det" not in output and "+4520000030" not in output
