"""Helpers to run the real ``brobygger`` command as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
