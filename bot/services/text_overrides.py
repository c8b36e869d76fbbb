"""Admins' own wording of messages: checked, stored, audited, and loaded into the catalogs.

An override replaces one whole message (``bot.text_rules.MESSAGES``) in one language. It is
refused unless it keeps every rule of ``bot.text_rules.check``; saving the catalog's own text, or
"reset to default", removes it. Each change writes an audit row with who made it and the text
before and after.

How an override reaches every process (each ``brobygger run`` worker, the CLI): every process
keeps the overrides in memory, in the one ``Catalogs`` its composition root built, and
``load_overrides`` replaces them from the database. ``bot.app`` runs it at start-up and then
every ``TEXT_REFRESH_SECONDS`` (10 s by default) as a tick; the dashboard process that saved a
change runs it at once after the commit; a CLI command runs it once before it plans anything.
So a new text is used at once by the process that saved it and within ``TEXT_REFRESH_SECONDS``
by every other one. We chose a reloaded cache over reading the table at every render because
``Catalogs.render`` is a synchronous, pure call made in some forty places, many deep inside
pure helpers with no session at hand; threading a session through all of them would tie every
text to the database for a table that changes a few times a year. The whole table (at most two
rows per message) is read each time, so there is no version to keep in step; a row that no
longer passes the rules (the deny list grew in a new release) or whose msgid no longer exists
(the source text was rewritten) is skipped, and the catalog's text is used.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.errors import BrobyggerError
from bot.i18n import SUPPORTED_LANGUAGES, Catalogs
from bot.models import AuditEvent, TextOverride
from bot.services import audit
from bot.text_rules import MESSAGES, Problem, check

logger = logging.getLogger(__name__)


class UnknownText(BrobyggerError):
    """No message with this name (or no such language) can be overridden."""


class TextRejected(BrobyggerError):
    """The text breaks one or more rules; ``problems`` says which, each naming its rule."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = list(problems)


def template_of(name: str, language: str) -> str:
    """The msgid of the message ``name`` (a ``bot.texts`` constant), for ``language``."""
    if name not in MESSAGES or language not in SUPPORTED_LANGUAGES:
        raise UnknownText(f"no message {name!r} in {language!r}")
    return MESSAGES[name]


def normalise(text: str) -> str:
    """A typed text as stored: browsers send CRLF line ends; surrounding space is dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


# --- Loading into the running process -------------------------------------------------------


def usable_overrides(
    catalogs: Catalogs, rows: Sequence[TextOverride]
) -> dict[tuple[str, str], str]:
    """(language, msgid) -> text of the rows that may be used now (see the module doc)."""
    known = set(MESSAGES.values())
    usable: dict[tuple[str, str], str] = {}
    for row in rows:
        if row.msgid not in known or row.language not in SUPPORTED_LANGUAGES:
            continue
        problems = check(catalogs, row.language, row.msgid, row.text)
        if problems:
            rules = ", ".join(sorted({problem.rule for problem in problems}))
            logger.warning(
                "the %s text of %s breaks the rules (%s): using the default",
                *(row.language, row.name, rules),
            )
            continue
        usable[(row.language, row.msgid)] = row.text
    return usable


async def load_overrides(database: Database, catalogs: Catalogs) -> None:
    """Read every override and install the usable ones in ``catalogs``, replacing the last set."""
    async with database.read() as session:
        rows = list(await session.scalars(select(TextOverride)))
    catalogs.install_overrides(usable_overrides(catalogs, rows))


async def catalogs_with_overrides(database: Database) -> Catalogs:
    """The catalogs with the overrides as they are now, for a one-off command (the CLI)."""
    catalogs = Catalogs.load()
    await load_overrides(database, catalogs)
    return catalogs


# --- Changing a text --------------------------------------------------------------------------


def _purpose(name: str) -> str:
    return f"message text {name}"


async def save_override(
    session: AsyncSession,
    catalogs: Catalogs,
    *,
    name: str,
    language: str,
    text: str,
    staff_id: int | None,
    now: datetime,
) -> str | None:
    """Store ``text`` as the message ``name`` in ``language``; returns what is stored.

    Raises :class:`TextRejected` (nothing stored) when it breaks a rule. The catalog's own text
    removes the override instead (None is returned), so a later release's corrections apply.
    The caller reloads the catalogs after the commit (``load_overrides``).
    """
    template = template_of(name, language)
    text = normalise(text)
    problems = check(catalogs, language, template, text)
    if problems:
        raise TextRejected(problems)
    if text == catalogs.catalog_text(language, template):
        await reset_override(session, name=name, language=language, staff_id=staff_id, now=now)
        return None
    row = await session.scalar(
        select(TextOverride).where(
            TextOverride.msgid == template, TextOverride.language == language
        )
    )
    previous = row.text if row is not None else None
    if previous == text:
        return text
    if row is None:
        row = TextOverride(msgid=template, name=name, language=language, text=text)
        session.add(row)
    row.text, row.name, row.updated_at, row.updated_by = text, name, now, staff_id
    await _forget_earlier_wordings(session, name, language, template)
    await _record(session, name, language, previous, text, staff_id, now)
    return text


async def reset_override(
    session: AsyncSession, *, name: str, language: str, staff_id: int | None, now: datetime
) -> bool:
    """Go back to the catalog's text for ``name`` in ``language``; False if it already was."""
    template = template_of(name, language)
    row = await session.scalar(
        select(TextOverride).where(
            TextOverride.msgid == template, TextOverride.language == language
        )
    )
    forgotten = await _forget_earlier_wordings(session, name, language, template)
    if row is None:
        return forgotten
    await session.delete(row)
    await _record(session, name, language, row.text, None, staff_id, now)
    return True


async def _forget_earlier_wordings(
    session: AsyncSession, name: str, language: str, template: str
) -> bool:
    """Drop overrides of ``name`` written for an earlier source text (they are never used)."""
    result = await session.execute(
        delete(TextOverride).where(
            TextOverride.name == name,
            TextOverride.language == language,
            TextOverride.msgid != template,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def _record(
    session: AsyncSession,
    name: str,
    language: str,
    previous: str | None,
    text: str | None,
    staff_id: int | None,
    now: datetime,
) -> None:
    await audit.record(
        session,
        staff_id=staff_id,
        action=audit.Action.CHANGED,
        participant_id=None,
        purpose=_purpose(name),
        detail={"text": name, "language": language, "before": previous, "after": text},
        at=now,
    )


# --- What the dashboard shows -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wording:
    """One message in one language: what goes out now, and whether an admin wrote it."""

    language: str
    current: str
    default: str
    stored: TextOverride | None
    # A stored override that is not used (it breaks a rule added since it was saved).
    unused: bool

    @property
    def overridden(self) -> bool:
        return self.stored is not None and not self.unused


@dataclass(frozen=True, slots=True)
class MessageText:
    name: str
    template: str
    wordings: Mapping[str, Wording]


async def message_texts(session: AsyncSession, catalogs: Catalogs) -> list[MessageText]:
    """Every message that may be overridden, in ``bot.texts`` order, in every language."""
    rows = list(await session.scalars(select(TextOverride)))
    stored = {(row.language, row.msgid): row for row in rows}
    usable = usable_overrides(catalogs, rows)
    texts = []
    for name, template in MESSAGES.items():
        wordings = {}
        for language in SUPPORTED_LANGUAGES:
            default = catalogs.catalog_text(language, template)
            row = stored.get((language, template))
            in_use = usable.get((language, template))
            wordings[language] = Wording(
                language=language,
                current=in_use if in_use is not None else default,
                default=default,
                stored=row,
                unused=row is not None and in_use is None,
            )
        texts.append(MessageText(name, template, wordings))
    return texts


async def text_history(session: AsyncSession, name: str) -> list[AuditEvent]:
    """The audit rows of every change to the message ``name``, newest first."""
    return list(
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.purpose == _purpose(name), AuditEvent.participant_id.is_(None))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
