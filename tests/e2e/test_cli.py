"""The ``brobygger`` command as a user runs it: migrate, run, staff add, and bad input."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.e2e.processes import (
    BROBYGGER,
    brobygger,
    free_port,
    service_environment,
    wait_until_healthy,
)


def test_help_explains_every_command(tmp_path: Path) -> None:
    result = brobygger("--help", cwd=tmp_path, env=service_environment())
    assert result.returncode == 0
    for command in ("run", "migrate", "staff"):
        assert command in result.stdout


def test_migrate_creates_the_default_database_and_is_repeatable(tmp_path: Path) -> None:
    env = service_environment()
    first = brobygger("migrate", cwd=tmp_path, env=env)
    second = brobygger("migrate", cwd=tmp_path, env=env)
    assert first.returncode == second.returncode == 0, first.stderr
    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"participants", "messages", "alerts", "alembic_version"} <= tables


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "BROBYGGER_TIMEZONE: unknown time zone"),
        ({"databse_url": "x"}, "BROBYGGER_DATABSE_URL: unknown setting"),
        ({"twilio_account_sid": "AC00"}, "Twilio is half-configured"),
        ({"database_url": "sqlite+aiosqlite:///./missing/folder.db"}, "folder for the database"),
        (
            {"database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
            "cannot open the database postgresql+asyncpg://nobody@127.0.0.1:1/none",
        ),
    ],
)
def test_bad_settings_stop_with_one_clear_line(
    tmp_path: Path, settings: dict[str, str], expected: str
) -> None:
    result = brobygger("migrate", cwd=tmp_path, env=service_environment(**settings))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_run_refuses_a_database_at_a_newer_revision(tmp_path: Path) -> None:
    env = service_environment()
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'zzzz_newer'")
    result = brobygger("run", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert (
        result.stderr.strip().splitlines() == [result.stderr.strip()]
        and "newer than this code" in result.stderr
    )


def test_run_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = brobygger("run", cwd=tmp_path, env=service_environment())
    assert result.returncode == 1
    assert "run `brobygger migrate`" in result.stderr


def test_staff_add_creates_an_account_with_a_hashed_password(tmp_path: Path) -> None:
    env = service_environment()
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    result = brobygger(
        "staff",
        "add",
        "--email",
        "Birthe.Mentor@Example.org",
        "--name",
        "Birthe Mentorsen",
        "--role",
        "mentor",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="korrekt-hest-batteri\n",
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        email, role, password_hash = connection.execute(
            "SELECT email, role, password_hash FROM staff"
        ).fetchone()
    assert (email, role) == ("birthe.mentor@example.org", "mentor")
    assert password_hash.startswith("$argon2") and "korrekt-hest-batteri" not in password_hash

    again = brobygger(
        "staff",
        "add",
        "--email",
        "birthe.mentor@example.org",
        "--name",
        "B",
        "--role",
        "admin",
        "--no-password",
        cwd=tmp_path,
        env=env,
    )
    assert again.returncode == 1
    assert "exists already" in again.stderr


def test_run_serves_healthz_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = service_environment(port=str(port))
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    process = subprocess.Popen(
        [BROBYGGER, "run"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        response = wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Brobygger is running" in output
    assert "sqlite+aiosqlite:///./brobygger.db" in output
    assert f"http://127.0.0.1:{port}/" in output
    assert "stopped cleanly" in output
