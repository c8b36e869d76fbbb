"""``brobygger plan`` and ``brobygger meeting`` as staff run them before the dashboard exists."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import texts
from bot.config import load_settings
from bot.keys import load_keyring
from tests.e2e.processes import brobygger, service_environment


def _participant(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        cursor = connection.execute(
            "INSERT INTO participants (name, language, status, enrolled_at, created_at, updated_at)"
            " VALUES ('Ida Marie Berg', 'da', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP)"
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def test_plan_set_and_show_store_the_default_plan(tmp_path: Path) -> None:
    env = service_environment()
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    shown = brobygger("plan", "show", cwd=tmp_path, env=env)
    assert shown.stdout.strip() == "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly"

    changed = brobygger("plan", "set", "-14..0 weekly, 0..56 every 3", cwd=tmp_path, env=env)
    assert changed.returncode == 0, changed.stderr
    assert brobygger("plan", "show", cwd=tmp_path, env=env).stdout.strip() == (
        "-14..0 weekly, 0..56 every 3"
    )

    wrong = brobygger("plan", "set", "weekly forever", cwd=tmp_path, env=env)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("brobygger: check-in plan 'weekly forever': cannot read")


def test_meeting_add_move_cancel_plan_the_citizens_messages(tmp_path: Path) -> None:
    env = service_environment()
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    participant = _participant(tmp_path / "brobygger.db")
    local = (datetime.now(UTC) + timedelta(days=10)).astimezone(ZoneInfo("Europe/Copenhagen"))
    at = local.replace(hour=10, minute=0, second=0, microsecond=0)

    added = brobygger(
        "meeting", "add", "--participant", str(participant), "--kind", "jobcentre",
        "--at", f"{at:%Y-%m-%d %H:%M}", "--place", "Jobcenter Odense, Ørbækvej 100",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "created meeting 1; the citizen is asked to confirm"

    refused = brobygger(
        "meeting", "add", "--participant", str(participant), "--kind", "treatment",
        "--at", f"{at:%Y-%m-%d %H:%M}", "--place", "Misbrugscenter Fyn",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "Misbrugscenter" in refused.stderr and "Traceback" not in refused.stderr

    later = at + timedelta(days=1)
    moved = brobygger(
        "meeting", "move", "1", "--at", f"{later:%Y-%m-%d %H:%M}", cwd=tmp_path, env=env
    )
    assert moved.returncode == 0, moved.stderr
    cancelled = brobygger("meeting", "cancel", "1", cwd=tmp_path, env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    early = brobygger("meeting", "missed", "1", cwd=tmp_path, env=env)
    assert early.returncode == 1 and "cancelled" in early.stderr

    with sqlite3.connect(tmp_path / "brobygger.db") as connection:
        rows = connection.execute(
            "SELECT kind, status, dedupe_key FROM messages ORDER BY id"
        ).fetchall()
        starts = connection.execute("SELECT starts_at FROM appointments").fetchone()[0]
    assert rows == [
        ("confirmation_request", "cancelled", "appointment:1:v1:confirm"),
        ("reminder", "cancelled", "appointment:1:v1:reminder:24h"),
        ("reminder", "cancelled", "appointment:1:v1:reminder:2h"),
        ("meeting_moved", "cancelled", "appointment:1:v2:confirm"),
        ("reminder", "cancelled", "appointment:1:v2:reminder:24h"),
        ("reminder", "cancelled", "appointment:1:v2:reminder:2h"),
        ("meeting_cancelled", "planned", "appointment:1:cancelled"),
    ]
    assert datetime.fromisoformat(starts).replace(tzinfo=UTC) == later.astimezone(UTC)


def test_meeting_add_asks_in_the_words_an_admin_saved(tmp_path: Path) -> None:
    env = service_environment()
    assert brobygger("migrate", cwd=tmp_path, env=env).returncode == 0
    database = tmp_path / "brobygger.db"
    participant = _participant(database)
    own = "Du skal til {kind_label} {date} kl. {time} her: {place}. Passer det?"
    with sqlite3.connect(database) as connection:  # as the dashboard's "Save" stores it
        connection.execute(
            "INSERT INTO text_overrides (msgid, name, language, text, updated_at)"
            " VALUES (?, 'MEETING_CONFIRMATION_REQUEST', 'da', ?, CURRENT_TIMESTAMP)",
            (texts.MEETING_CONFIRMATION_REQUEST, own),
        )
    added = brobygger(
        "meeting", "add", "--participant", str(participant), "--kind", "mentor",
        "--at", "2030-03-05 10:00", "--place", "Caféen, Torvet 1",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with sqlite3.connect(database) as connection:
        [token] = connection.execute("SELECT body FROM messages").fetchone()
    settings = load_settings({"BROBYGGER_DATABASE_URL": f"sqlite+aiosqlite:///{database}"})
    assert load_keyring(settings).decrypt(token) == (
        "Du skal til møde med din kontaktperson tirsdag den 5. marts kl. 10.00 her: "
        "Caféen, Torvet 1. Passer det?"
    )
