"""`brobygger keys` and `brobygger participant` (export, erase, rotate) as an admin runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from cryptography.fernet import Fernet

from bot.clock import FakeClock
from bot.config import load_settings
from bot.crypto import install_keyring
from bot.db import Database
from bot.keys import load_keyring
from bot.models import ChannelKind
from bot.services.addresses import find_address
from tests.e2e.processes import brobygger, service_environment
from tests.privacy_scenario import Person, seed_two
from tests.support_logs import assert_no_personal_data


async def _seed(tmp_path: Path, clock: FakeClock) -> tuple[Person, Person]:
    """Migrate with the real command, then enrol two people with the demo keys it will use."""
    assert brobygger("migrate", cwd=tmp_path, env=service_environment()).returncode == 0
    settings = load_settings({"BROBYGGER_DATABASE_URL": "sqlite+aiosqlite:///./brobygger.db"})
    install_keyring(load_keyring(settings))  # creates ./brobygger.keys, as `run` would
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'brobygger.db'}")
    try:
        async with database.session() as session:
            first, second, _mentor = await seed_two(session, clock.now())
    finally:
        await database.dispose()
    return first, second


def test_keys_generate_prints_a_usable_key(tmp_path: Path) -> None:
    result = brobygger("keys", "generate", cwd=tmp_path, env=service_environment())
    assert result.returncode == 0, result.stderr
    Fernet(result.stdout.strip().encode("ascii"))


def test_run_with_postgres_and_no_keys_refuses_in_one_line(tmp_path: Path) -> None:
    env = service_environment(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    result = brobygger("run", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "brobygger: configuration error: BROBYGGER_DATA_KEY and BROBYGGER_LOOKUP_KEY are "
        "required with this database (create them with `brobygger keys generate`)"
    ]


async def test_export_then_erase_from_the_command_line(
    tmp_path: Path, clean_environment: Path, clock: FakeClock
) -> None:
    first, second = await _seed(tmp_path, clock)
    env = service_environment(log_level="DEBUG")

    exported = brobygger(
        "participant", "export", str(first.id), "--out", "aksel.json", cwd=tmp_path, env=env
    )
    assert exported.returncode == 0, exported.stderr
    document = json.loads((tmp_path / "aksel.json").read_text(encoding="utf-8"))
    assert document["profile"]["name"] == first.name
    assert {a["address"] for a in document["records"]["addresses"]} == {first.phone, first.chat_id}
    assert first.name in (tmp_path / "aksel.html").read_text(encoding="utf-8")

    refused = brobygger("participant", "erase", str(first.id), cwd=tmp_path, env=env)
    assert refused.returncode == 1 and "add --yes to confirm" in refused.stderr
    erased = brobygger("participant", "erase", str(first.id), "--yes", cwd=tmp_path, env=env)
    assert erased.returncode == 0, erased.stderr
    assert f"erased participant #{first.id}: 2 addresses" in erased.stdout

    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        dump = "\n".join(connection.iterdump())
        actions = connection.execute(
            "SELECT action, purpose FROM audit_events WHERE participant_id = ? ORDER BY id",
            (first.id,),
        ).fetchall()
    assert first.name not in dump and second.name in dump
    assert actions == [
        ("viewed", "GET /participants/{id}"),
        ("exported", "CLI participant export"),
        ("erased", "CLI participant erase"),
    ]
    # Even at DEBUG, the commands logged no number, chat id or message text.
    assert_no_personal_data(
        [exported.stderr, erased.stderr, erased.stdout], [*first.secrets[1:], *second.secrets]
    )


async def test_rotating_keys_from_the_command_line_keeps_inbound_lookups_working(
    tmp_path: Path, clean_environment: Path, clock: FakeClock
) -> None:
    first, _second = await _seed(tmp_path, clock)
    demo = dict(
        line.split("=", 1)
        for line in (tmp_path / "brobygger.keys").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    new_key = brobygger("keys", "generate", cwd=tmp_path, env=service_environment()).stdout
    keys = {
        "data_key": new_key.strip(),
        "data_keys_old": demo["DATA_KEY"],
        "lookup_key": demo["LOOKUP_KEY"],
    }
    rotated = brobygger("keys", "rotate", cwd=tmp_path, env=service_environment(**keys))
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted" in rotated.stdout
    again = brobygger("keys", "rotate", cwd=tmp_path, env=service_environment(**keys))
    assert again.stdout.startswith("re-encrypted 0 values")
    assert "0 lookup hashes recomputed" in again.stdout

    # Only the new keys from now on: an SMS from the known number still finds its participant.
    settings = load_settings(
        {"BROBYGGER_DATA_KEY": keys["data_key"], "BROBYGGER_LOOKUP_KEY": keys["lookup_key"]}
    )
    install_keyring(load_keyring(settings))
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'brobygger.db'}")
    try:
        async with database.read() as session:
            address = await find_address(session, ChannelKind.SMS, first.phone_e164)
    finally:
        await database.dispose()
    assert address is not None and address.participant_id == first.id
    assert address.address == first.phone
