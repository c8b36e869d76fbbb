"""A synthetic programme at a chosen size, for the benchmarks (``python -m bench.programme``).

``programme_copy(engine, participants)`` builds the original once per engine, size, schema
revision and generator (SQLite: ``~/.cache/brobygger-bench/programme-<key>.db``, or under
``BROBYGGER_BENCH_CACHE``; PostgreSQL: database ``bench_original_<key>``, the key being
``<size>_<revision>_<generator fingerprint>``, so checkouts at different schemas keep their own
originals side by side instead of rebuilding each other's) and hands out a private copy of it
(a file copy, or ``CREATE DATABASE ... TEMPLATE``), so a benchmark may change its copy freely.
Rows are timed relative to when the original was built; an original older than ``MAX_AGE`` is
rebuilt, because "asked within the last day" must stay true.

What the programme holds (every name invented, every encrypted column really encrypted with the
bench keys, ~10 messages per participant):

- 15 prisons, 98 jobcentres; 1 admin, N/200 consultants (>= 2; consultant ``k`` covers prisons
  ``2k`` and ``2k+1`` modulo 15), N/25 mentors (>= 4, ~25 mentees each);
- participants released between 400 days ago and 60 days ahead; 3 in 5 active (released within
  the last 120 days or due out), the rest closed with an outcome;
- one address each: 16 in 20 SMS, 3 Telegram, 1 simulator; consent for every purpose;
- an active participant: the consent question and its JA, two earlier check-ins (one answered,
  one answered or left unanswered with a no-reply alert), a past meeting with its confirmation,
  answer, reminder and attendance, a future meeting whose confirmation question is open and
  whose reminders are planned, and ONE check-in question asked within the last day and still
  open, so an inbound ``4`` answers it;
- a closed participant: the same history, over before they closed; some with a missed-meeting
  alert, resolved;
- participant 1 (``busy_participant_id``) has 30 more messages: a long timeline.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from sqlalchemy import insert, text

from bot.crypto import Keyring, install_keyring, installed_keyring
from bot.db import Database
from bot.models import (
    Address,
    Alert,
    Appointment,
    Checkin,
    Consent,
    Message,
    Participant,
    Site,
    Staff,
    staff_sites,
)
from bot.schema import head_revision, upgrade

SIZES = (1_000, 10_000, 100_000)
ENGINES = ("sqlite", "postgresql")
# Outside the checkout, so every clone and worktree on the machine shares one set of originals
# (the PostgreSQL ones are shared anyway: they are databases on the one server).
CACHE = Path(
    os.environ.get("BROBYGGER_BENCH_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "brobygger-bench"
)
MAX_AGE = timedelta(hours=12)
POSTGRES_ADMIN_URL = os.environ.get(
    "BROBYGGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench-password-1"  # throw-away accounts in a throw-away database
PRISONS = 15
JOBCENTRES = 98
BUSY_EXTRA_MESSAGES = 30
CHUNK = 5_000


def _key(label: str) -> str:
    """A fixed, throw-away Fernet key: every run (and every cached original) uses the same."""
    import base64

    return base64.urlsafe_b64encode(hashlib.sha256(label.encode()).digest()).decode("ascii")


DATA_KEY = _key("brobygger bench data key")
LOOKUP_KEY = _key("brobygger bench lookup key")


def install_bench_keys() -> None:
    """The keyring the programme was encrypted with, for code that reads it in-process."""
    install_keyring(Keyring([DATA_KEY], LOOKUP_KEY))


# --- Who is who: pure functions of the participant's index, shared by generator and users ---


def is_active(index: int) -> bool:
    return index % 5 < 3


def channel_of(index: int) -> str:
    slot = index % 20
    return "sms" if slot < 16 else "telegram" if slot < 19 else "simulator"


def phone_of(index: int) -> str:
    return f"+452{index:07d}"


@dataclass(frozen=True)
class Programme:
    engine: str
    participants: int
    url: str
    env: dict[str, str]
    password: str = PASSWORD
    admin_email: str = "admin@bench.example"
    consultant_email: str = "consultant-0@bench.example"
    mentor_email: str = "mentor-0@bench.example"
    busy_participant_id: int = 1
    _sms_indices: tuple[int, ...] = field(default=(), repr=False)

    @property
    def sms_participants(self) -> int:
        """How many active SMS participants there are (``sms_number`` takes 0 to this - 1)."""
        return len(self._sms_indices)

    def sms_number(self, index: int) -> str:
        """The E.164 number of active SMS participant ``index``; they have an open question."""
        return phone_of(self._sms_indices[index])


def _programme(engine: str, participants: int, url: str) -> Programme:
    env = {
        "BROBYGGER_DATABASE_URL": url,
        "BROBYGGER_DATA_KEY": DATA_KEY,
        "BROBYGGER_LOOKUP_KEY": LOOKUP_KEY,
    }
    indices = tuple(i for i in range(participants) if is_active(i) and channel_of(i) == "sms")
    return Programme(engine, participants, url, env, _sms_indices=indices)


# --- Rows ----------------------------------------------------------------------------------

FIRST_NAMES = ("Bent", "Kasper", "Mads", "Ole", "Rasmus", "Jonas", "Emil", "Ali", "Sune", "Tobias")
LAST_NAMES = ("Testesen", "Prøvesen", "Eksempel", "Bænkholm", "Målegaard", "Opdigt", "Fiktivsen")
OUTCOMES = ("job", "education", "other_positive", "no_visible_result", "absconded", "transferred")
CONSENT_TEXT = "Må vi sende dig beskeder fra din kontaktperson? (bench)"
PURPOSES = ("checkins", "meeting_reminders", "mentor_contact")


def _spread(index: int, low: int, high: int) -> int:
    """A deterministic, well-mixed number in [low, high] for participant ``index``."""
    return low + (index * 7919 + 13) % (high - low + 1)


@dataclass
class _Rows:
    """The rows of one chunk of participants, per table, in foreign-key order."""

    participants: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    checkins: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        yield Participant, self.participants
        yield Address, self.addresses
        yield Consent, self.consents
        yield Appointment, self.appointments
        yield Checkin, self.checkins
        yield Alert, self.alerts
        yield Message, self.messages


_MESSAGE_DEFAULTS: dict[str, Any] = {
    "staff_id": None,
    "author_id": None,
    "language": "da",
    "choices": None,
    "expects_reply": False,
    "urgent": False,
    "dedupe_key": None,
    "due_at": None,
    "send_after": None,
    "attempts": 0,
    "provider_id": None,
    "error": None,
    "sent_at": None,
    "delivered_at": None,
    "finished_at": None,
    "deadline_at": None,
    "escalation_step": 0,
    "answered_at": None,
    "received_at": None,
    "intent": None,
    "intent_value": None,
    "in_reply_to_id": None,
    "read_at": None,
    "read_by_id": None,
    "lease_until": None,
    "alert_id": None,
    "appointment_id": None,
    "checkin_id": None,
}


class _Generator:
    """Builds the rows; ids are assigned here, so rows can point at each other without a read."""

    def __init__(self, participants: int, now: datetime, keyring: Keyring) -> None:
        self.size = participants
        self.now = now
        self.keyring = keyring
        self.consultants = max(2, participants // 200)
        self.mentors = max(4, participants // 25)
        self.next_id = {"appointment": 1, "checkin": 1, "alert": 1, "message": 1}

    def take(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    # Staff ids: admin 1, consultants from 2, mentors after them.
    # Site ids: prisons 1-15, jobcentres after them.
    def consultant_id(self, k: int) -> int:
        return 2 + k

    def mentor_id(self, k: int) -> int:
        return 2 + self.consultants + k

    def sites(self) -> list[dict[str, Any]]:
        prisons = [
            {"id": n + 1, "kind": "prison", "name": f"Bænkfængsel {n + 1}", "municipality": None}
            for n in range(PRISONS)
        ]
        jobcentres = [
            {
                "id": PRISONS + n + 1,
                "kind": "jobcentre",
                "name": f"Jobcenter Bænk {n + 1}",
                "municipality": f"Bænk Kommune {n + 1}",
            }
            for n in range(JOBCENTRES)
        ]
        return prisons + jobcentres

    def staff(self, password_hash: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        def person(
            staff_id: int, email: str, name: str, role: str, phone: str | None
        ) -> dict[str, Any]:
            return {
                "id": staff_id,
                "email": email,
                "name": name,
                "role": role,
                "password_hash": password_hash,
                "language": "da",
                "phone": phone,
                "phone_hash": self.keyring.lookup_hash("sms", phone) if phone else None,
                "telegram_chat_id": None,
                "telegram_chat_id_hash": None,
                "active": True,
            }

        rows = [person(1, "admin@bench.example", "Anne Admin", "admin", None)]
        links = []
        for k in range(self.consultants):
            rows.append(
                person(
                    self.consultant_id(k),
                    f"consultant-{k}@bench.example",
                    f"Konsulent {k}",
                    "consultant",
                    None,
                )
            )
            for prison in {(2 * k) % PRISONS, (2 * k + 1) % PRISONS}:
                links.append({"staff_id": self.consultant_id(k), "site_id": prison + 1})
        for k in range(self.mentors):
            rows.append(
                person(
                    self.mentor_id(k),
                    f"mentor-{k}@bench.example",
                    f"Mentor {k}",
                    "mentor",
                    f"+459{k:07d}",
                )
            )
        return rows, links

    def participant(self, index: int, rows: _Rows) -> None:
        pid = index + 1
        active = is_active(index)
        today = self.now.date()
        release = today + timedelta(
            days=_spread(index, -120, 60) if active else _spread(index, -400, -60)
        )
        release_at = datetime(release.year, release.month, release.day, 9, tzinfo=UTC)
        enrolled = min(release_at - timedelta(days=60), self.now - timedelta(days=20))
        closed_at = None if active else release_at + timedelta(days=30)
        prison = index % PRISONS
        language = "en" if index % 10 == 9 else "da"
        channel = channel_of(index)
        address = {
            "sms": phone_of(index),
            "telegram": str(700_000_000 + index),
            "simulator": f"sim-{index}",
        }[channel]
        mentor = self.mentor_id(index % self.mentors)
        consultant = self.consultant_id((prison // 2) % self.consultants)
        rows.participants.append(
            {
                "id": pid,
                "name": f"{FIRST_NAMES[index % 10]} {LAST_NAMES[(index // 10) % 7]} {index}",
                "language": language,
                "prison_id": prison + 1,
                "jobcentre_id": PRISONS + (index * 7) % JOBCENTRES + 1,
                "mentor_id": mentor,
                "consultant_id": consultant,
                "release_date": release,
                "status": "active" if active else "closed",
                "opted_out_at": None,
                "plan_override": None,
                "outcome": None if active else OUTCOMES[index % len(OUTCOMES)],
                "outcome_note": None,
                "enrolled_at": enrolled,
                "closed_at": closed_at,
                "erased_at": None,
                "created_at": enrolled,
                "updated_at": closed_at or enrolled,
            }
        )
        rows.addresses.append(
            {
                "participant_id": pid,
                "channel": channel,
                "address": address,
                "address_hash": self.keyring.lookup_hash(channel, address),
                "status": "active",
                "priority": 0,
                "status_reason": None,
                "status_changed_at": None,
                "created_at": enrolled,
            }
        )
        for purpose in PURPOSES:
            rows.consents.append(
                {
                    "participant_id": pid,
                    "purpose": purpose,
                    "channel": channel,
                    "method": "reply",
                    "text": CONSENT_TEXT,
                    "given_at": enrolled + timedelta(minutes=20),
                    "recorded_by_id": None,
                    "withdrawn_at": None,
                }
            )
        talk = _Conversation(self, rows, pid, channel, address, language, mentor, consultant)
        talk.question_answered(
            "consent_request",
            enrolled,
            "Hej, vil du have beskeder fra din kontaktperson?",
            "JA",
            "yes",
            dedupe_key=f"consent_request:participant:{pid}:{channel}",
        )
        if active:
            self._active_history(index, talk)
        else:
            self._closed_history(index, talk, release_at)
        if index == 0:
            talk.long_thread(BUSY_EXTRA_MESSAGES)

    def _active_history(self, index: int, talk: _Conversation) -> None:
        now = self.now
        talk.checkin(now - timedelta(days=14), answer=1 + index % 5)
        if index % 5 == 0:
            question = talk.checkin(now - timedelta(days=7), answer=None)
            talk.alert(
                "no_reply",
                f"no_reply:message:{question}",
                now - timedelta(days=5),
                open_=index % 2 == 0,
                question_id=question,
            )
        else:
            talk.checkin(now - timedelta(days=7), answer=1 + (index + 2) % 5)
        past = talk.meeting(now - timedelta(days=3), attended=index % 4 != 0, answer="JA")
        if index % 4 == 0:
            talk.alert(
                "missed_meeting",
                f"missed_meeting:{past}",
                now - timedelta(days=2),
                open_=index % 8 == 0,
                appointment_id=past,
            )
        talk.meeting(
            now + timedelta(days=2 + index % 12, hours=index % 7), attended=None, answer=None
        )
        if index % 10 == 1:
            talk.free_text(now - timedelta(hours=30), "Kan vi tale om min bolig?", read=False)
        # The open question: a check-in asked within the last day, not answered yet.
        talk.checkin(now - timedelta(hours=1 + index % 20), answer=None, open_=True)

    def _closed_history(self, index: int, talk: _Conversation, release_at: datetime) -> None:
        talk.checkin(release_at + timedelta(days=5), answer=1 + index % 5)
        talk.checkin(release_at + timedelta(days=12), answer=1 + (index + 1) % 5)
        missed = index % 10 == 3
        meeting = talk.meeting(release_at + timedelta(days=2), attended=not missed, answer="JA")
        if missed:
            talk.alert(
                "missed_meeting",
                f"missed_meeting:{meeting}",
                release_at + timedelta(days=3),
                open_=False,
                appointment_id=meeting,
            )


class _Conversation:
    """One participant's messages, meetings, check-ins and alerts, in the order they happened."""

    def __init__(
        self,
        generator: _Generator,
        rows: _Rows,
        participant_id: int,
        channel: str,
        address: str,
        language: str,
        mentor_id: int,
        consultant_id: int,
    ) -> None:
        self.g = generator
        self.rows = rows
        self.pid = participant_id
        self.channel = channel
        self.address = address
        self.language = language
        self.mentor_id = mentor_id
        self.consultant_id = consultant_id

    def _message(self, **values: Any) -> int:
        message_id = self.g.take("message")
        row = {
            **_MESSAGE_DEFAULTS,
            "id": message_id,
            "participant_id": self.pid,
            "channel": self.channel,
            "address": self.address,
            "language": self.language,
            **values,
        }
        row["created_at"] = row.get("created_at") or row["sent_at"] or row["received_at"]
        row["send_after"] = row["send_after"] or row["due_at"]
        self.rows.messages.append(row)
        return message_id

    def sent(self, kind: str, at: datetime, body: str, **values: Any) -> int:
        status = values.pop("status", "delivered")
        return self._message(
            direction="out",
            kind=kind,
            body=body,
            status=status,
            due_at=at,
            attempts=1,
            provider_id=f"SMbench{self.g.next_id['message']:026d}",
            sent_at=at,
            delivered_at=at + timedelta(seconds=4) if status == "delivered" else None,
            finished_at=at + timedelta(seconds=4),
            **values,
        )

    def received(self, at: datetime, body: str, intent: str, **values: Any) -> int:
        return self._message(
            direction="in",
            kind="inbound",
            body=body,
            status="received",
            received_at=at,
            intent=intent,
            provider_id=f"SMbenchin{self.g.next_id['message']:024d}",
            **values,
        )

    def question_answered(
        self, kind: str, at: datetime, body: str, answer: str, intent: str, **values: Any
    ) -> int:
        question = self.sent(kind, at, body, expects_reply=True, choices="yes_no", **values)
        self.received(at + timedelta(hours=2), answer, intent, in_reply_to_id=question)
        return question

    def checkin(self, at: datetime, *, answer: int | None, open_: bool = False) -> int:
        checkin_id = self.g.take("checkin")
        status = "answered" if answer is not None else "asked" if open_ else "unanswered"
        self.rows.checkins.append(
            {
                "id": checkin_id,
                "participant_id": self.pid,
                "scheduled_for": at,
                "status": status,
                "score": answer,
                "answered_at": at + timedelta(hours=3) if answer is not None else None,
                "created_at": at - timedelta(days=10),
            }
        )
        question = self.sent(
            "checkin",
            at,
            "Hej. Hvordan går det, fra 1 (meget dårligt) til 5 (meget godt)?",
            expects_reply=True,
            choices="score",
            checkin_id=checkin_id,
            deadline_at=at + timedelta(hours=48),
            dedupe_key=f"checkin:{self.pid}:{at.date().isoformat()}",
            # An unanswered one got its nudge and its alert; an open one is still waiting.
            escalation_step=2 if answer is None and not open_ else 0,
        )
        if answer is not None:
            self.received(
                at + timedelta(hours=3),
                str(answer),
                "score",
                in_reply_to_id=question,
                intent_value=str(answer),
                checkin_id=checkin_id,
            )
        return question

    def meeting(self, starts: datetime, *, attended: bool | None, answer: str | None) -> int:
        appointment_id = self.g.take("appointment")
        past = attended is not None
        self.rows.appointments.append(
            {
                "id": appointment_id,
                "participant_id": self.pid,
                "kind": ("jobcentre", "mentor", "release_meeting", "education_work")[self.pid % 4],
                "starts_at": starts,
                "place": "Hovedgaden 1, 2. sal",
                "staff_note": None,
                "status": "scheduled",
                "version": 1,
                "confirmation": "confirmed" if answer else "pending",
                "confirmation_at": starts - timedelta(days=2) if answer else None,
                "attendance": ("attended" if attended else "missed") if past else "unknown",
                "attendance_recorded_at": starts + timedelta(hours=2) if past else None,
                "attendance_recorded_by_id": self.mentor_id if past else None,
                "created_by_id": self.mentor_id,
                "created_at": starts - timedelta(days=7),
                "updated_at": starts - timedelta(days=7),
            }
        )
        prefix = f"appointment:{appointment_id}:v1"
        asked = min(starts - timedelta(days=2), self.g.now - timedelta(hours=30))
        body = "Du har et møde. Kan du komme?"
        if answer:
            self.question_answered(
                "confirmation_request",
                asked,
                body,
                answer,
                "yes",
                appointment_id=appointment_id,
                dedupe_key=f"{prefix}:confirm",
                deadline_at=starts - timedelta(hours=12),
            )
        else:
            self.sent(
                "confirmation_request",
                asked,
                body,
                expects_reply=True,
                choices="yes_no",
                appointment_id=appointment_id,
                dedupe_key=f"{prefix}:confirm",
                deadline_at=starts - timedelta(hours=12),
            )
        reminder = starts - timedelta(hours=24)
        if past:
            failed = self.pid % 50 == 2
            self.sent(
                "reminder",
                reminder,
                "Husk dit møde i morgen.",
                appointment_id=appointment_id,
                dedupe_key=f"{prefix}:reminder:24h",
                status="failed" if failed else "delivered",
                error="30003 unreachable" if failed else None,
            )
        else:
            for label, before in (("24h", timedelta(hours=24)), ("2h", timedelta(hours=2))):
                self._message(
                    direction="out",
                    kind="reminder",
                    body="Husk dit møde.",
                    status="planned",
                    due_at=starts - before,
                    appointment_id=appointment_id,
                    dedupe_key=f"{prefix}:reminder:{label}",
                    address=None,
                    created_at=starts - timedelta(days=7),
                )
        return appointment_id

    def alert(
        self,
        reason: str,
        key: str,
        at: datetime,
        *,
        open_: bool,
        question_id: int | None = None,
        appointment_id: int | None = None,
    ) -> None:
        self.rows.alerts.append(
            {
                "id": self.g.take("alert"),
                "participant_id": self.pid,
                "reason": reason,
                "detail": None,
                "dedupe_key": key,
                "question_id": question_id,
                "appointment_id": appointment_id,
                "created_at": at,
                "notified_staff_id": self.mentor_id,
                "notified_at": at,
                # Open alerts (all over a day old) were escalated to the consultant a day
                # after the mentor was told, as a live service leaves them; otherwise the first
                # alerting tick would escalate them all in one unit of work.
                "escalated_to_id": self.consultant_id if open_ else None,
                "escalated_at": at + timedelta(days=1) if open_ else None,
                "acknowledged_by_id": None if open_ else self.mentor_id,
                "acknowledged_at": None if open_ else at + timedelta(hours=5),
                "resolved_by_id": None if open_ else self.mentor_id,
                "resolved_at": None if open_ else at + timedelta(days=1),
                "recorded_at": at,
            }
        )

    def free_text(self, at: datetime, body: str, *, read: bool) -> None:
        self.received(
            at,
            body,
            "free_text",
            read_at=at + timedelta(hours=1) if read else None,
            read_by_id=self.mentor_id if read else None,
        )

    def long_thread(self, count: int) -> None:
        start = self.g.now - timedelta(days=30)
        for n in range(count // 2):
            at = start + timedelta(hours=20 * n)
            self.sent(
                "staff_message",
                at,
                f"Hej, hvordan gik samtalen i dag? ({n})",
                author_id=self.mentor_id,
            )
            self.free_text(at + timedelta(minutes=40), f"Det gik fint, tak. ({n})", read=n % 3 != 0)


# --- Building and copying ------------------------------------------------------------------

_TABLES_WITH_IDS = (
    "sites",
    "staff",
    "participants",
    "addresses",
    "consents",
    "appointments",
    "checkins",
    "alerts",
    "messages",
)


async def fill(database: Database, participants: int, now: datetime) -> None:
    """Write a programme of ``participants`` into an empty, migrated ``database``.

    Encrypted with the installed keyring (``install_bench_keys`` for the cached originals).
    """
    generator = _Generator(participants, now, installed_keyring())
    staff, links = generator.staff(PasswordHasher().hash(PASSWORD))
    async with database.session() as session:
        connection = await session.connection()
        await connection.execute(insert(Site), generator.sites())
        await connection.execute(insert(Staff), staff)
        await connection.execute(insert(staff_sites), links)
        for start in range(0, participants, 2_000):
            rows = _Rows()
            for index in range(start, min(participants, start + 2_000)):
                generator.participant(index, rows)
            for table, values in rows.tables():
                for first in range(0, len(values), CHUNK):
                    await connection.execute(insert(table), values[first : first + CHUNK])
        # Questions point at their answers, answers at their questions: a cycle no insert
        # order satisfies, so the answers' back-references are filled in afterwards. An
        # answer is always the row right after its question.
        # Answered questions are closed for the escalation ladder (STOPPED), as a live service
        # leaves them; otherwise its first escalation tick would work through them all.
        await connection.execute(
            text(
                "UPDATE messages SET answered_by_id = id + 1, escalation_step = 3, "
                "answered_at = (SELECT answer.received_at FROM messages AS answer "
                "WHERE answer.id = messages.id + 1) "
                "WHERE direction = 'out' "
                "AND expects_reply AND EXISTS (SELECT 1 FROM messages AS answer "
                "WHERE answer.id = messages.id + 1 AND answer.in_reply_to_id = messages.id)"
            )
        )
        if database.engine.dialect.name == "postgresql":
            for table_name in _TABLES_WITH_IDS:
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                        f"(SELECT max(id) FROM {table_name}))"
                    )
                )


def _original_key(participants: int) -> str:
    """What an original is named by: its size, schema revision and generator."""
    return f"{participants}_{head_revision()}_{_fingerprint()[:8]}"


def _facts_path(engine: str, participants: int) -> Path:
    return CACHE / f"{engine}-{_original_key(participants)}.json"


def _fresh_original(engine: str, participants: int) -> bool:
    try:
        facts = json.loads(_facts_path(engine, participants).read_text())
    except (OSError, ValueError):
        return False
    built = datetime.fromisoformat(facts["built_at"])
    return datetime.now(UTC) - built < MAX_AGE


async def _original_exists(engine: str, participants: int) -> bool:
    """The facts file alone is not enough: the original may have been dropped or deleted since."""
    key = _original_key(participants)
    if engine == "sqlite":
        return (CACHE / f"programme-{key}.db").exists()
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        found = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", f"bench_original_{key}"
        )
    finally:
        await connection.close()
    return found is not None


# Raise when the generator writes something different: cached originals are then rebuilt.
GENERATOR_VERSION = "4"


def _fingerprint() -> str:
    return hashlib.sha256((DATA_KEY + LOOKUP_KEY + GENERATOR_VERSION).encode()).hexdigest()[:16]


def _asyncpg_dsn(database: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


def _sqlalchemy_pg_url(database: str) -> str:
    return _asyncpg_dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _cache_folder() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE


def _remove_sqlite_original(participants: int) -> Path:
    path = _cache_folder() / f"programme-{_original_key(participants)}.db"
    for stale in CACHE.glob(f"programme-{_original_key(participants)}.db*"):
        stale.unlink()
    return path


async def build_original(engine: str, participants: int) -> float:
    """Build (or rebuild) the cached original; returns the seconds it took."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    if engine == "sqlite":
        path = _remove_sqlite_original(participants)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        name = f"bench_original_{_original_key(participants)}"
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = _sqlalchemy_pg_url(name)
    database = Database(url)
    try:
        await upgrade(database)
        install_bench_keys()
        await fill(database, participants, now)
        if engine == "postgresql":
            # Fresh statistics, as autovacuum would have them in a database that grew over years.
            async with database.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
    finally:
        await database.dispose()
    if engine == "sqlite":
        # One file to copy: fold the write-ahead log into the database.
        import sqlite3

        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    _facts_path(engine, participants).write_text(
        json.dumps(
            {
                "built_at": now.isoformat(),
                "seconds": round(seconds, 1),
                "data_key": _fingerprint(),
                "schema": head_revision(),
            }
        )
    )
    return seconds


async def programme_copy(engine: str, participants: int) -> Programme:
    """A private, filled copy of the programme at this size (built first if need be)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    # Several benchmarks (or engineers) may ask at once: one builds, the others wait for it.
    with (_cache_folder() / f"{engine}-{_original_key(participants)}.lock").open("w") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        if not (
            _fresh_original(engine, participants) and await _original_exists(engine, participants)
        ):
            seconds = await build_original(engine, participants)
            print(f"(built the {engine} programme of {participants:,} in {seconds:.0f} s)")
    install_bench_keys()
    copy = f"bench_copy_{participants}_{uuid.uuid4().hex[:8]}"
    if engine == "sqlite":
        target = CACHE / "copies" / f"{copy}.db"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(CACHE / f"programme-{_original_key(participants)}.db", target)
        url = f"sqlite+aiosqlite:///{target}"
    else:
        original = f"bench_original_{_original_key(participants)}"
        await _pg_admin(f'CREATE DATABASE "{copy}" TEMPLATE "{original}"')
        url = _sqlalchemy_pg_url(copy)
    return _programme(engine, participants, url)


async def drop_copy(programme: Programme) -> None:
    """Remove a copy made by :func:`programme_copy`."""
    if programme.engine == "sqlite":
        path = Path(programme.url.removeprefix("sqlite+aiosqlite:///"))
        for part in path.parent.glob(path.name + "*"):
            part.unlink()
    else:
        name = programme.url.rsplit("/", 1)[1]
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="build the cached benchmark programmes (when missing or stale)"
    )
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    args = parser.parse_args(argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    for size in (int(part) for part in args.sizes.split(",")):
        for engine in engines:
            started = time.perf_counter()
            asyncio.run(drop_copy(asyncio.run(programme_copy(engine, size))))
            seconds = time.perf_counter() - started
            print(f"{engine:<10} {size:>7,} participants ready in {seconds:6.1f} s")


if __name__ == "__main__":
    main()
