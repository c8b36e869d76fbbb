"""``brobygger participant``: a consultant enrols a citizen before the dashboard exists."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import brobygger, service_environment
from tests.fakes import FakeTelegram
from tests.fakes.telegram import TOKEN

LINK = re.compile(r"https://t\.me/brobygger_test_bot\?start=([A-Za-z0-9_-]{22,64})")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, fake: FakeTelegram) -> dict[str, str]:
    env = service_environment(telegram_token=TOKEN, telegram_api_url=fake.base_url)
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    added = brobygger(
        *("staff", "add", "--email", "mette@example.org", "--name", "Mette Mentorsen"),
        *("--role", "mentor", "--no-password"),
        cwd=tmp_path,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    return env


def test_participant_add_prints_the_deep_link_and_plans_the_consent_question(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = brobygger(
        *("participant", "add", "--name", "Jonas Testesen", "--phone", "+45 20 30 40 50"),
        *("--telegram", "--language", "da", "--mentor", "mette@example.org"),
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "enrolled participant 1; the consent question goes out by SMS" in result.stdout
    first = LINK.search(result.stdout)
    assert first is not None
    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        address = connection.execute("SELECT channel, address FROM addresses").fetchall()
        question = connection.execute("SELECT kind, status FROM messages").fetchall()
        hashes = [row[0] for row in connection.execute("SELECT code_hash FROM enrolment_codes")]
    assert address == [("sms", "+4520304050")]
    assert question == [("consent_request", "planned")]
    assert first[1] not in hashes[0]  # only the hash is stored

    again = brobygger("participant", "link-telegram", "1", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    second = LINK.search(again.stdout)
    assert second is not None and second[1] != first[1]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--phone", "123"), "not a valid phone number"),
        (("--phone", "20304050", "--mentor", "nobody@example.org"), "no active staff member"),
        ((), "give a phone number, Telegram, or both"),
    ],
)
def test_bad_enrolments_stop_with_one_line_and_write_nothing(
    tmp_path: Path, env: dict[str, str], arguments: tuple[str, ...], message: str
) -> None:
    base = ("participant", "add", "--name", "Jonas Testesen")
    mentor = () if "--mentor" in arguments else ("--mentor", "mette@example.org")
    result = brobygger(*base, *arguments, *mentor, cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        assert connection.execute("SELECT count(*) FROM participants").fetchone() == (0,)


def test_an_unreachable_bot_api_writes_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    env = {**env, "BROBYGGER_TELEGRAM_API_URL": "http://127.0.0.1:9/bot"}
    result = brobygger(
        *("participant", "add", "--name", "Jonas Testesen", "--telegram"),
        *("--mentor", "mette@example.org"),
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1
    assert "cannot reach the Telegram Bot API" in result.stderr
    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        assert connection.execute("SELECT count(*) FROM participants").fetchone() == (0,)
