"""The ``brobygger`` command: run, migrate, manage staff, keys and participants' data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import care_cli
from bot.clock import SystemClock
from bot.config import ENV_PREFIX, Settings, load_settings
from bot.crypto import generate_key
from bot.db import Database, check_reachable
from bot.errors import BrobyggerError, ConfigError
from bot.i18n import SUPPORTED_LANGUAGES
from bot.logs import configure_logging
from bot.models import Role, Staff

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

EXIT_CONFIG = 2
EXIT_FAILURE = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brobygger",
        description=(
            "Brobygger: check-ins, meeting reminders and absence alerts for people leaving "
            "prison, over SMS and Telegram. Settings come from BROBYGGER_* variables and .env "
            "(see .env.example)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="serve the web app, the scheduler and the channels in the foreground"
    )
    run.add_argument("--host", help="override BROBYGGER_HOST")
    run.add_argument("--port", type=int, help="override BROBYGGER_PORT")
    run.add_argument(
        "--processes",
        type=int,
        help="override BROBYGGER_WEB_PROCESSES: web processes on one port (PostgreSQL only)",
    )

    commands.add_parser("migrate", help="bring the database schema up to date (safe to repeat)")

    staff = commands.add_parser("staff", help="manage staff accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = staff_commands.add_parser(
        "add", help="create a staff account (the password is read from a prompt or stdin)"
    )
    add.add_argument("--email", required=True, help="the login e-mail")
    add.add_argument("--name", required=True, help="full name, shown to colleagues")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    add.add_argument(
        "--no-password",
        action="store_true",
        help="create the account without a password (API token or later reset only)",
    )

    keys = commands.add_parser("keys", help="encryption keys for phone numbers and message texts")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    key_commands.add_parser(
        "generate", help="print a new random key (for DATA_KEY, DATA_KEYS_OLD or LOOKUP_KEY)"
    )
    rotate = key_commands.add_parser(
        "rotate",
        help=(
            "re-encrypt every stored value with DATA_KEY (old keys in DATA_KEYS_OLD) and "
            "recompute lookup hashes with LOOKUP_KEY; repeatable"
        ),
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")

    participant_commands = _participant_parser(commands)
    export = participant_commands.add_parser(
        "export", help="write everything about one participant as JSON plus an HTML summary"
    )
    export.add_argument("participant_id", type=int, metavar="ID")
    export.add_argument(
        "--out", required=True, type=Path, help="the JSON file; the HTML goes beside it"
    )
    export.add_argument("--by", metavar="EMAIL", help="the staff member asking (audit log)")
    erase = participant_commands.add_parser(
        "erase", help="irreversibly anonymise one participant (keeps anonymous statistics)"
    )
    erase.add_argument("participant_id", type=int, metavar="ID")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.add_argument("--by", metavar="EMAIL", help="the staff member asking (audit log)")
    care_cli.add_parsers(commands)

    token = commands.add_parser("token", help="manage API tokens for the JSON API")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser(
        "create", help="create a bearer token for a staff member (printed once, stored hashed)"
    )
    create.add_argument("--staff", required=True, metavar="EMAIL", help="the staff member's e-mail")
    create.add_argument("--name", default="api", help="what the token is for (shown to admins)")

    return parser


async def _token_create(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.api_tokens import create_token

    database = await _open_with_keys(settings)
    try:
        async with database.session() as session:
            row, token = await create_token(session, email=args.staff, name=args.name)
        print(f"token {row.id} for {args.staff.strip().lower()} (shown once, keep it secret):")
        print(token)
    finally:
        await database.dispose()


def _participant_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    participant = commands.add_parser(
        "participant", help="citizens: enrol, link Telegram, export, erase"
    )
    actions = participant.add_subparsers(
        dest="participant_command", required=True, metavar="ACTION"
    )
    add = actions.add_parser(
        "add",
        help="enrol a citizen; the consent question goes out by SMS, and with --telegram the "
        "Telegram deep link is printed",
    )
    add.add_argument("--name", required=True, help="full name (the first name greets them)")
    add.add_argument(
        "--phone", help="mobile number: 12345678, +45 12 34 56 78, 0045... or any E.164"
    )
    add.add_argument(
        "--telegram", action="store_true", help="also make a Telegram deep link to join by"
    )
    add.add_argument("--language", default="da", choices=list(SUPPORTED_LANGUAGES))
    add.add_argument("--mentor", required=True, metavar="EMAIL", help="the mentor's e-mail")
    link = actions.add_parser(
        "link-telegram", help="make a new Telegram deep link (older unused links stop working)"
    )
    link.add_argument("id", type=int, help="the participant's id")
    return actions


async def _migrate(settings: Settings) -> None:
    from bot.schema import upgrade

    database = Database(settings.database_url)
    try:
        await check_reachable(database)
        await upgrade(database)
    finally:
        await database.dispose()
    print(f"database is up to date ({settings.database_url.split('://', 1)[0]})")


def _run(settings: Settings) -> None:
    import uvicorn

    from bot.app import create_app, open_database
    from bot.keys import load_keyring, uses_key_file

    async def preflight() -> None:
        # Fail with one line before uvicorn starts, rather than a lifespan traceback. Keys from
        # settings are checked first; the demo key file is only written once the database is
        # known to be usable (the lifespan does that).
        if not uses_key_file(settings):
            load_keyring(settings)
        database = await open_database(settings)
        await database.dispose()

    asyncio.run(preflight())
    # uvicorn re-raises Ctrl-C after its clean shutdown; stopping was what the user asked.
    with contextlib.suppress(KeyboardInterrupt):
        if settings.web_processes == 1:
            app = create_app(settings, show_banner=True)
            uvicorn.Server(_server_config(settings, app)).run()
            return
        # Several: uvicorn binds the socket here and starts the processes, each of which builds
        # its app with ``web_process_app`` from the same settings, read from the environment
        # (this command's --host/--port/--processes are put there first). The supervisor
        # restarts a process that dies; SIGTERM or Ctrl-C stops them all, each finishing its
        # sends.
        from uvicorn.supervisors import Multiprocess

        os.environ.update(
            {
                f"{ENV_PREFIX}HOST": settings.host,
                f"{ENV_PREFIX}PORT": str(settings.port),
                f"{ENV_PREFIX}WEB_PROCESSES": str(settings.web_processes),
            }
        )
        config = _server_config(
            settings, "bot.cli:web_process_app", factory=True, workers=settings.web_processes
        )
        Multiprocess(config, sockets=[config.bind_socket()]).run()


def _server_config(settings: Settings, app: object, **more: Any) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        # The C implementations (dependencies of ours): h11 and asyncio's pure-Python loop cost
        # a third of an inbound webhook's CPU (bench/README.md, "Inbound SMS webhooks").
        loop="uvloop",
        http="httptools",
        **more,
    )


def web_process_app() -> FastAPI:
    """The app of one of several web processes (``WEB_PROCESSES`` > 1), built in that process.

    Each runs everything one process does: the web app, the dispatcher and the care ticks. The
    database makes that safe: the dispatcher claims with ``FOR UPDATE SKIP LOCKED``, and the
    ticks plan with dedupe keys. A reply is so sent by the process that planned it, at once.
    """
    from bot.app import create_app

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings, show_banner=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise BrobyggerError("the passwords differ")
    return first


async def _staff_add(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.staff import add_staff

    password = None if args.no_password else _read_password(args.password_stdin)
    database = await _open_with_keys(settings)
    try:
        async with database.session() as session:
            staff = await add_staff(
                session, email=args.email, name=args.name, role=Role(args.role), password=password
            )
            print(f"created {staff.role} {staff.email} (id {staff.id})")
    finally:
        await database.dispose()


async def _bot_username(settings: Settings) -> str:
    """The bot's @name for the deep link, asked from the Bot API (getMe)."""
    from telegram import Bot
    from telegram.error import TelegramError

    if settings.telegram_token is None:
        raise BrobyggerError("Telegram is not configured (BROBYGGER_TELEGRAM_TOKEN)")
    try:
        async with Bot(
            settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_url
        ) as bot:
            return bot.username
    except TelegramError as error:
        raise BrobyggerError(f"cannot reach the Telegram Bot API: {error}") from None


async def _participant(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.enrolment import (
        CODE_LIFETIME,
        enrol_participant,
        issue_telegram_code,
        telegram_deep_link,
    )
    from bot.services.text_overrides import catalogs_with_overrides

    wants_link = args.participant_command == "link-telegram" or args.telegram
    # Ask Telegram first: if it cannot be reached, nothing is written and the command can be rerun.
    username = await _bot_username(settings) if wants_link else None
    now = SystemClock().now()
    database = await _open_with_keys(settings)
    try:
        catalogs = await catalogs_with_overrides(database)
        async with database.session() as session:
            if args.participant_command == "add":
                enrolment = await enrol_participant(
                    session,
                    name=args.name,
                    phone=args.phone,
                    telegram=args.telegram,
                    language=args.language,
                    mentor_email=args.mentor,
                    catalogs=catalogs,
                    now=now,
                )
                participant_id, code = enrolment.participant_id, enrolment.telegram_code
                sms = "; the consent question goes out by SMS" if args.phone else ""
                print(f"enrolled participant {participant_id}{sms}")
            else:
                participant_id = args.id
                code = await issue_telegram_code(session, participant_id, now=now)
        if code is not None and username is not None:
            link = telegram_deep_link(username, code)
            print(f"Telegram link (single use, {CODE_LIFETIME.days} days): {link}")
    finally:
        await database.dispose()


async def _open_with_keys(settings: Settings) -> Database:
    from bot.app import open_database_with_keys

    return await open_database_with_keys(settings)


async def _staff_id(session: AsyncSession, email: str | None) -> int | None:
    if email is None:
        return None
    staff_id = await session.scalar(select(Staff.id).where(Staff.email == email.strip().lower()))
    if staff_id is None:
        raise BrobyggerError(f"no staff account {email}")
    return staff_id


async def _keys_rotate(settings: Settings, batch_size: int) -> None:
    from bot.services.key_rotation import reencrypt_all, rehash_all

    database = await _open_with_keys(settings)
    try:
        changed = await reencrypt_all(database, batch_size=batch_size)
        rehashed = await rehash_all(database, batch_size=batch_size)
    finally:
        await database.dispose()
    print(
        f"re-encrypted {changed} values with DATA_KEY; nothing is left under the old keys; "
        f"{rehashed} lookup hashes recomputed with LOOKUP_KEY"
    )


async def _participant_export(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    from bot.services.subject_export import export_and_record

    database = await _open_with_keys(settings)
    try:
        async with database.session() as session:
            document = await export_and_record(
                session,
                args.participant_id,
                SystemClock().now(),
                staff_id=await _staff_id(session, args.by),
                purpose="CLI participant export",
            )
    finally:
        await database.dispose()
    return document


def _write_export(out: Path, document: dict[str, Any]) -> None:
    from bot.services.subject_export import render_html, to_json

    html = out.with_suffix(".html")
    out.write_text(to_json(document), encoding="utf-8")
    html.write_text(render_html(document), encoding="utf-8")
    print(f"wrote {out} and {html}")


async def _participant_erase(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.erasure import erase_participant

    if not args.yes:
        raise BrobyggerError(
            f"erasing participant #{args.participant_id} cannot be undone: add --yes to confirm"
        )
    database = await _open_with_keys(settings)
    try:
        async with database.session() as session:
            counts = await erase_participant(
                session,
                args.participant_id,
                SystemClock().now(),
                await _staff_id(session, args.by),
                purpose="CLI participant erase",
            )
    finally:
        await database.dispose()
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"erased participant #{args.participant_id}: {summary}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        overrides = {
            name: value
            for name, value in (
                ("host", getattr(args, "host", None)),
                ("port", getattr(args, "port", None)),
                ("web_processes", getattr(args, "processes", None)),
            )
            if value
        }
        settings = load_settings(**overrides)
        configure_logging(settings.log_level)
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "run":
            _run(settings)
        elif args.command == "staff" and args.staff_command == "add":
            asyncio.run(_staff_add(settings, args))
        elif args.command == "participant" and args.participant_command in ("add", "link-telegram"):
            asyncio.run(_participant(settings, args))
        elif args.command == "keys" and args.keys_command == "generate":
            print(generate_key())
        elif args.command == "keys" and args.keys_command == "rotate":
            asyncio.run(_keys_rotate(settings, args.batch_size))
        elif args.command == "participant" and args.participant_command == "export":
            _write_export(args.out, asyncio.run(_participant_export(settings, args)))
        elif args.command == "participant" and args.participant_command == "erase":
            asyncio.run(_participant_erase(settings, args))
        elif args.command == "token" and args.token_command == "create":
            asyncio.run(_token_create(settings, args))
        elif args.command in ("meeting", "plan"):
            asyncio.run(care_cli.run(args, settings))
    except ConfigError as error:
        print(f"brobygger: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except BrobyggerError as error:
        print(f"brobygger: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
