"""Message catalogs, and the checks that keep a text safe to send.

``Catalogs.load()`` reads the ``.po`` files under ``bot/locale`` and compiles them in memory, so
there is no ``.mo`` build step. The composition root loads them once and passes them down::

    catalogs = Catalogs.load()
    catalogs.render("da", texts.MEETING_REMINDER_24H, time="10.00", place="Søndergade 3")

An admin may override a whole message per language from the dashboard. The overrides live in
the database (``bot.services.text_overrides``); each process holds them in its ``Catalogs``
(``install_overrides``) and ``render`` prefers them to the catalog. Everything that renders holds
the one ``Catalogs`` the composition root built, so installing new overrides reaches them all.

Two checks live here as well, because staff-typed text (a meeting place) ends up inside our
texts: ``is_gsm7`` / ``to_gsm7`` for the SMS alphabet, and ``deny_listed_words`` for words that
would tell whoever reads the lock screen where the citizen has been.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import texts

SUPPORTED_LANGUAGES: tuple[str, ...] = ("da", "en")
DEFAULT_LANGUAGE = "da"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


@functools.lru_cache(maxsize=256)
def normalize_language(lang: str | None) -> str:
    """A supported language code for ``lang``: "EN", "en-GB" and "en_GB" all give "en".

    Anything unknown or empty gives the default language, Danish. Cached: every rendered text
    asks (the planner and a batch of meeting moves render thousands), and a regex split each
    time was a tenth of their rendering.
    """
    if not lang:
        return DEFAULT_LANGUAGE
    code = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


class Catalogs:
    """The translations of ``bot.texts``, one per supported language."""

    def __init__(self, translations: Mapping[str, gettext.NullTranslations]) -> None:
        missing = [lang for lang in SUPPORTED_LANGUAGES if lang not in translations]
        if missing:
            raise ValueError(f"no message catalog for {', '.join(missing)}")
        self._translations = dict(translations)
        # (language, msgid) -> the admin's text; replaced whole, never changed in place, so a
        # render sees either the old set or the new one.
        self._overrides: Mapping[tuple[str, str], str] = {}

    @classmethod
    def load(cls, locale_dir: Path = LOCALE_DIR) -> Catalogs:
        """Read and compile ``<locale_dir>/<lang>/LC_MESSAGES/messages.po`` for every language.

        A missing or malformed file fails here, at start-up, rather than at the first send.
        """
        return cls(
            {
                lang: _compile(locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang)
                for lang in SUPPORTED_LANGUAGES
            }
        )

    def install_overrides(self, overrides: Mapping[tuple[str, str], str]) -> None:
        """Use ``overrides`` ((language, msgid) -> text) from now on, instead of the last set."""
        self._overrides = dict(overrides)

    @property
    def overrides(self) -> Mapping[tuple[str, str], str]:
        return self._overrides

    def catalog_text(self, lang: str | None, template: str) -> str:
        """``template`` in ``lang`` as the catalog has it, whatever an admin overrode."""
        return self._translations[normalize_language(lang)].gettext(template)

    def text(self, lang: str | None, template: str) -> str:
        """``template`` in ``lang``, unfilled: the admin's override, else the catalog's text."""
        override = self._overrides.get((normalize_language(lang), template))
        return override if override is not None else self.catalog_text(lang, template)

    def render(self, lang: str | None, template: str, /, **params: object) -> str:
        """``template`` (a ``bot.texts`` constant) in ``lang``, its fields filled from ``params``.

        An unknown language renders in Danish. A missing field raises ``KeyError``.
        """
        return self.text(lang, template).format(**params)

    def reply_hint(self, lang: str | None, choices: str | None) -> str | None:
        """How to answer a question with these reply choices, by SMS ("Svar JA eller NEJ.").

        ``choices`` is a ``bot.models.messages.ReplyChoices`` value; ``None`` when the choices
        need no hint (an acknowledgement, or no question at all).
        """
        hint = texts.REPLY_HINTS.get(choices) if choices else None
        return self.render(lang, hint) if hint else None

    def with_reply_hint(self, lang: str | None, body: str, choices: str | None) -> str:
        """``body`` followed by its reply hint, for a channel without buttons (SMS)."""
        hint = self.reply_hint(lang, choices)
        return f"{body} {hint}" if hint else body


def _compile(path: Path, lang: str) -> gettext.GNUTranslations:
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang, domain=DOMAIN, abort_invalid=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, so they fall back to the msgid
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


# --- Dates and times inside texts -------------------------------------------------------------

# Explicit patterns: CLDR's own English time format puts a narrow no-break space before "AM",
# which is not GSM-7.
_DATE_PATTERNS = {"da": "EEEE 'den' d. MMMM", "en": "EEEE d MMMM"}
_TIME_PATTERNS = {"da": "HH.mm", "en": "HH:mm"}


# Cached: Babel takes a tenth of a millisecond per call, and a meeting's messages (or a batch of
# moved meetings) name the same few dates and times over and over.
@functools.lru_cache(maxsize=4096)
def format_date(lang: str | None, value: date) -> str:
    """A local date for ``{date}``/``{since}``: "tirsdag den 11. marts", "Tuesday 11 March"."""
    code = normalize_language(lang)
    return str(babel_format_date(value, _DATE_PATTERNS[code], locale=code))


@functools.lru_cache(maxsize=4096)
def format_time(lang: str | None, value: time) -> str:
    """A local time of day for ``{time}``: "10.00" in Danish, "10:00" in English."""
    code = normalize_language(lang)
    return str(babel_format_time(value, _TIME_PATTERNS[code], locale=code))


# --- GSM-7 ------------------------------------------------------------------------------------

# GSM 03.38 default alphabet (the escape code itself excluded) and its extension table, whose
# characters cost two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

# Typographic look-alikes that word processors and phones insert; each one alone would turn a
# whole SMS into UCS-2 (70 characters a segment instead of 160).
_GSM7_LOOKALIKES = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u00b4": "'",  # acute accent
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",
        "\u2212": "-",  # minus sign
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u2007": " ",
        "\u2009": " ",  # thin space
        "\u200a": " ",
        "\t": " ",
        "\u2026": "...",  # horizontal ellipsis
        "\u200b": None,  # zero-width space
        "\u200d": None,  # zero-width joiner
        "\ufeff": None,  # byte order mark
        "\u00ad": None,  # soft hyphen
    }
)


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can go as a GSM-7 SMS (æøåÆØÅ can; curly quotes, emoji cannot)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def to_gsm7(text: str) -> str:
    """``text`` with typographic quotes, dashes, spaces and ellipses made plain.

    Letters are left alone: a name outside GSM-7 stays correct and the SMS goes as UCS-2.
    """
    return text.translate(_GSM7_LOOKALIKES)


# --- Words a citizen-facing text must never contain ----------------------------------------

# Matched case-insensitively against whole words. Danish glues words together, so an entry may
# be a stem: "afson*" matches words that start with it, "*fængs*" words that contain it
# ("Statsfængslet"). Plain entries such as "dom" match only the word itself, not
# "Domkirkepladsen".
DENY_LIST: tuple[str, ...] = (
    # Prison, probation and the justice system (Danish, and without æøå).
    "*fængs*",
    "*faengs*",
    "kriminalforsorg*",
    "kif",
    "arresthus*",
    "anstalt*",
    "afson*",
    "*løslad*",
    "*loeslad*",
    "udslusning*",
    "fodlænke*",
    "samfundstjeneste*",
    "tilsyn",
    "tilsynet",
    "tilsynsmøde*",
    "indsat",
    "indsatte",
    "fange",
    "fangen",
    "fanger",
    "fangerne",
    "dom",
    "domme",
    "dommen",
    "dommene",
    "domfæld*",
    "dømt",
    "dømte",
    "doemt",
    "straf*",
    "kriminel*",
    "kriminalitet*",
    "politi",
    "politiet",
    "politistation*",
    "byret*",
    "landsret*",
    "retsmøde*",
    "domstol*",
    # Addiction, treatment and mental health (Danish).
    "*misbrug*",
    "behandlingscent*",
    "behandlingssted*",
    "alkoholbehandling*",
    "stofbehandling*",
    "*rusmiddel*",
    "*rusmidl*",
    "afrusning*",
    "narko*",
    "psykiatri*",
    # English.
    "prison*",
    "jail*",
    "gaol*",
    "probation*",
    "parole*",
    "offence*",
    "offense*",
    "offender*",
    "convict*",
    "sentence*",
    "inmate*",
    "criminal*",
    "crime*",
    "court",
    "courts",
    "courthouse*",
    "police",
    "custody",
    "release*",
    "rehab*",
    "detox*",
    "addict*",
    "substance abuse",
    "drug",
    "drugs",
    "treatment centre*",
    "treatment center*",
    "psychiatr*",
)


def _entry_pattern(entry: str) -> str:
    core = entry.strip("*")
    pattern = r"\s+".join(re.escape(word) for word in core.split())
    if entry.startswith("*"):
        pattern = r"\w*" + pattern
    if entry.endswith("*"):
        pattern += r"\w*"
    return pattern


@functools.cache
def _deny_pattern() -> re.Pattern[str]:
    # Longest first, so "domme" wins over "dom" where both could match at one position.
    entries = sorted(DENY_LIST, key=len, reverse=True)
    alternatives = "|".join(_entry_pattern(entry) for entry in entries)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def deny_listed_words(text: str) -> list[str]:
    """The words of ``text`` that ``DENY_LIST`` forbids, as written, each once, in order.

    >>> deny_listed_words("Misbrugscenter Vest, Domkirkepladsen 2")
    ['Misbrugscenter']
    """
    found: list[str] = []
    for match in _deny_pattern().finditer(text):
        word = match.group(0)
        if word.casefold() not in (seen.casefold() for seen in found):
            found.append(word)
    return found
