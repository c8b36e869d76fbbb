"""``brobygger meeting ...`` and ``brobygger plan ...``: meetings and check-in plans from the shell.

The same services the dashboard calls (``bot.services.appointments``, ``bot.services.care_plans``);
times are typed in local time (``BROBYGGER_TIMEZONE``) and stored in UTC.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.errors import BrobyggerError
from bot.models import AppointmentKind, Attendance

_TIME_FORMAT = '"YYYY-MM-DD HH:MM" in local time, e.g. "2026-12-01 10:00"'


def add_parsers(commands: Any) -> None:
    """Register the ``meeting`` and ``plan`` commands on the main parser's subparsers."""
    meeting = commands.add_parser(
        "meeting", help="create, move, cancel meetings; record attendance"
    )
    actions = meeting.add_subparsers(dest="meeting_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a meeting; the citizen is asked to confirm")
    add.add_argument("--participant", type=int, required=True, help="participant id")
    add.add_argument("--kind", required=True, choices=[kind.value for kind in AppointmentKind])
    add.add_argument("--at", required=True, help=f"start, {_TIME_FORMAT}")
    add.add_argument("--place", required=True, help="shown to the citizen: keep it neutral")
    add.add_argument("--note", help="for staff only, never sent")
    add.add_argument(
        "--allow-sensitive-place",
        action="store_true",
        help="send a place that names e.g. a treatment centre anyway",
    )
    move = actions.add_parser("move", help="move a meeting; reminders are planned anew")
    move.add_argument("appointment", type=int, help="meeting id")
    move.add_argument("--at", required=True, help=f"new start, {_TIME_FORMAT}")
    move.add_argument("--place", help="new place (default: unchanged)")
    move.add_argument("--allow-sensitive-place", action="store_true")
    cancel = actions.add_parser("cancel", help="cancel a meeting; the citizen is told")
    cancel.add_argument("appointment", type=int, help="meeting id")
    for outcome in ("attended", "missed"):
        record = actions.add_parser(outcome, help=f"record that the citizen {outcome}")
        record.add_argument("appointment", type=int, help="meeting id")

    plan = commands.add_parser("plan", help="the check-in plan: show, set, per-participant")
    plan_actions = plan.add_subparsers(dest="plan_command", required=True, metavar="ACTION")
    plan_actions.add_parser("show", help="print the programme's default check-in plan")
    set_plan = plan_actions.add_parser("set", help="replace the programme's default plan")
    set_plan.add_argument(
        "text", help='e.g. "-28..0 weekly, 0..7 daily, 7..28 twice-weekly, 28..84 weekly"'
    )
    override = plan_actions.add_parser("override", help="one participant's own plan settings")
    override.add_argument("--participant", type=int, required=True, help="participant id")
    override.add_argument(
        "--json",
        required=True,
        help='e.g. \'{"paused_until": "2026-12-01"}\', \'{"preferred": {"hour": 16, '
        "\"weekdays_only\": true}}' or '{}' to remove the override",
    )


def local_time(text: str, settings: Settings) -> datetime:
    """A local wall-clock time typed by staff, as an aware datetime in the configured zone."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BrobyggerError(f"cannot read the time {text!r}; use {_TIME_FORMAT}") from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=settings.tz)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    """Run one ``meeting`` or ``plan`` command in one unit of work."""
    from bot.app import care_rules, open_database_with_keys
    from bot.clock import SystemClock
    from bot.services import appointments, care_plans
    from bot.services.text_overrides import catalogs_with_overrides

    rules = care_rules(settings)
    now = SystemClock().now()
    database = await open_database_with_keys(settings)
    try:
        context = appointments.MeetingContext(await catalogs_with_overrides(database), rules, now)
    except BaseException:
        await database.dispose()
        raise

    async def meeting(session: Any) -> str:
        command = args.meeting_command
        if command == "add":
            created = await appointments.create_appointment(
                session,
                context,
                participant_id=args.participant,
                kind=AppointmentKind(args.kind),
                starts_at=local_time(args.at, settings),
                place=args.place,
                staff_note=args.note,
                allow_sensitive_place=args.allow_sensitive_place,
            )
            return f"created meeting {created.id}; the citizen is asked to confirm"
        if command == "move":
            moved = await appointments.move_appointment(
                session,
                context,
                appointment_id=args.appointment,
                starts_at=local_time(args.at, settings),
                place=args.place,
                allow_sensitive_place=args.allow_sensitive_place,
            )
            return f"moved meeting {moved.id}; the citizen is asked to confirm the new time"
        if command == "cancel":
            await appointments.cancel_appointment(session, context, appointment_id=args.appointment)
            return f"cancelled meeting {args.appointment}; the citizen is told"
        await appointments.record_attendance(
            session, appointment_id=args.appointment, attendance=Attendance(command), now=now
        )
        return f"recorded meeting {args.appointment} as {command}"

    async def plan(session: Any) -> str:
        if args.plan_command == "show":
            return rules.describe_plan(await care_plans.stored_default_plan(session))
        if args.plan_command == "set":
            stored = await care_plans.set_default_plan(session, rules, text=args.text, now=now)
            return f"default plan: {stored}"
        try:
            override = json.loads(args.json)
        except json.JSONDecodeError as error:
            raise BrobyggerError(f"--json is not JSON: {error}") from None
        if not isinstance(override, dict):
            raise BrobyggerError("--json must be an object, e.g. '{\"paused\": true}'")
        stored_override = await care_plans.set_plan_override(
            session, rules, participant_id=args.participant, override=override, now=now
        )
        return f"participant {args.participant}: {json.dumps(stored_override)}"

    action: Callable[[Any], Awaitable[str]] = meeting if args.command == "meeting" else plan
    try:
        async with database.session() as session:
            print(await action(session))
    finally:
        await database.dispose()
