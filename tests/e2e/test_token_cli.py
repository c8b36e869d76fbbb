"""``brobygger token create --staff EMAIL`` prints a token that the JSON API accepts."""

from __future__ import annotations

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


def test_a_created_token_opens_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = service_environment(port=str(port), demo="false", secret_key="e2e-secret")
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    added = brobygger(
        "staff",
        "add",
        "--email",
        "karin@brobygger.test",
        "--name",
        "Karin Konsulent",
        "--role",
        "consultant",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    created = brobygger("token", "create", "--staff", "karin@brobygger.test", cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    unknown = brobygger(
        "token", "create", "--staff", "nobody@brobygger.test", cwd=tmp_path, env=env
    )
    assert unknown.returncode != 0 and "no active staff account" in unknown.stderr

    process = subprocess.Popen(
        [BROBYGGER, "run"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")
        me = httpx.get(
            f"http://127.0.0.1:{port}/api/me", headers={"Authorization": f"Bearer {token}"}
        )
        refused = httpx.get(
            f"http://127.0.0.1:{port}/api/me", headers={"Authorization": "Bearer x"}
        )
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert me.status_code == 200 and me.json()["email"] == "karin@brobygger.test"
    assert refused.status_code == 401
