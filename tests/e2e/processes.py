"""Helpers to run the real ``brobygger`` command as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fakes import FakeTwilio

BROBYGGER = str(Path(sys.executable).with_name("brobygger"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_environment(**settings: str) -> dict[str, str]:
    """The current environment without any BROBYGGER_ setting, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROBYGGER_")}
    env.update({f"BROBYGGER_{key.upper()}": value for key, value in settings.items()})
    return env


def brobygger(
    *args: str, cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BROBYGGER, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_until_healthy(
    process: subprocess.Popen[str], url: str, timeout: float = 30.0
) -> httpx.Response:
    """Poll ``url`` until it answers; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def start_sms_worker(
    cwd: Path, database_url: str, twilio: FakeTwilio, *run_args: str, **settings: str
) -> subprocess.Popen[str]:
    """A real ``brobygger run`` dispatching SMS to ``twilio`` from ``database_url``.

    It reads rows the test wrote in-process, so it gets the test keys; quiet hours are off and
    it ticks every 0.2 s. ``settings`` adds or overrides BROBYGGER_ settings (a random free port
    unless ``port`` is given); ``run_args`` are added to ``brobygger run``.
    """
    from tests.conftest import TEST_DATA_KEY, TEST_LOOKUP_KEY

    defaults = {
        "database_url": database_url,
        "port": str(free_port()),
        "quiet_hours": "off",
        "demo": "false",
        "secret_key": "test",
        "dispatch_interval_seconds": "0.2",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_from": "+4570000000",
        "twilio_api_url": twilio.url,
        "data_key": TEST_DATA_KEY,
        "lookup_key": TEST_LOOKUP_KEY,
    }
    env = service_environment(**{**defaults, **settings})
    return subprocess.Popen(
        [BROBYGGER, "run", *run_args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
