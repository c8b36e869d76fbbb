"""``brobygger run`` without credentials seeds the demo on first start and prints its logins."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

from tests.e2e.processes import (
    BROBYGGER,
    brobygger,
    free_port,
    service_environment,
    wait_until_healthy,
)

_LOGIN = re.compile(r"^\s+consultant\s+(\S+@\S+)\s+(\S+)$", re.M)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_the_first_start_prints_demo_logins_that_sign_in(tmp_path: Path) -> None:
    port = free_port()
    env = service_environment(port=str(port), secret_key="e2e-secret")
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    process = subprocess.Popen(
        [BROBYGGER, "run"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base + "/healthz")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    login = _LOGIN.search(output)
    assert login, output
    assert "demo" in output
    # Start again: the demo is not seeded twice, and the printed login works.
    process = subprocess.Popen(
        [BROBYGGER, "run"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_healthy(process, base + "/healthz")
        with httpx.Client(base_url=base) as client:
            form = client.get("/login")
            token = _CSRF.search(form.text)
            assert token
            signed_in = client.post(
                "/login",
                data={
                    "email": login.group(1),
                    "password": login.group(2),
                    "csrf_token": token.group(1),
                },
            )
            overview = client.get("/")
    finally:
        process.terminate()
        second_output, _ = process.communicate(timeout=30)
    assert signed_in.status_code == 303
    assert overview.status_code == 200 and "Jonas Testesen" in overview.text
    assert not _LOGIN.search(second_output)
