"""The service under test: a real ``brobygger run`` process on a programme copy.

The benchmark talks to it over HTTP on 127.0.0.1 like any client, and reads its resident memory
from ``/proc``. Its output goes to a log file beside the results, never to the benchmark's table.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.programme import Programme
from bench.results import RESULTS
from tests.e2e.processes import free_port

BROBYGGER = str(Path(sys.executable).with_name("brobygger"))


def rss_of(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS), 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Service:
    """One ``brobygger run`` process; ``url`` is its base address."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        return rss_of(self.pid)

    async def stop(self) -> None:
        """SIGTERM, and wait for the clean shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(self.process.wait, 60)

    def kill(self) -> None:
        """SIGKILL: the process ends mid-work, as in a crash or a power cut."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def service_environment(
    programme: Programme, port: int, settings: dict[str, str]
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BROBYGGER_")}
    env.update(programme.env)
    env.update(
        {
            "BROBYGGER_HOST": "127.0.0.1",
            "BROBYGGER_PORT": str(port),
            "BROBYGGER_DEMO": "false",
            "BROBYGGER_SECRET_KEY": "bench-secret-key-not-for-production",
            "BROBYGGER_LOG_LEVEL": "WARNING",
        }
    )
    env.update({f"BROBYGGER_{key.upper()}": value for key, value in settings.items()})
    return env


def start_service(programme: Programme, *, timeout: float = 60.0, **settings: str) -> Service:
    """Start ``brobygger run`` on ``programme`` with extra BROBYGGER_ ``settings``; wait for it."""
    port = free_port()
    RESULTS.mkdir(exist_ok=True)
    log = (RESULTS / "service.log").open("ab")
    process = subprocess.Popen(
        [BROBYGGER, "run"],
        env=service_environment(programme, port, settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    service = Service(process, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"brobygger run exited with {process.returncode}; see {RESULTS / 'service.log'}"
            )
        try:
            if httpx.get(f"{service.url}/healthz", timeout=1.0).status_code < 500:
                return service
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    service.kill()
    raise RuntimeError(f"brobygger run did not answer /healthz within {timeout:.0f} s")
