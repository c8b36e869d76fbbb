"""The deployment settings a data protection officer needs to see, and what each one means.

They come from the environment (``bot.config.Settings``), so the admin's settings page only
shows them: changing one is a deployment change, made where the service is configured and
reviewed like any other change to it, not a click in the dashboard.

Every field of ``Settings`` is either shown here or listed in ``NOT_SHOWN`` with the reason (a
test checks this, so a new setting cannot slip past the page). Secrets are never shown, not even
in part: for the keys the page says where they come from, for the database its address with
the password hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.config import ENV_PREFIX, Settings
from bot.db import describe
from bot.keys import uses_key_file


@dataclass(frozen=True, slots=True)
class ShownSetting:
    variable: str  # e.g. BROBYGGER_RETENTION_DAYS
    value: str  # the template translates fixed words such as "yes" or "configured"
    meaning: str  # English; Danish in DANISH
    default: bool  # the built-in default (not set in the environment or .env)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    settings: list[ShownSetting]


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _keys(settings: Settings) -> str:
    if uses_key_file(settings):
        return "a demo key file beside the database"
    if settings.data_key is None:
        return "not set"
    return "set in the environment"


def _old_keys(settings: Settings) -> str:
    return "set: a key rotation is under way" if settings.old_data_keys else "none"


def _channel(configured: bool) -> str:
    return "configured" if configured else "not configured (simulated)"


Value = Callable[[Settings], str]

# (field, how to show its value, what it means), by section.
SECTIONS: tuple[tuple[str, tuple[tuple[str, Value, str], ...]], ...] = (
    (
        "Retention and privacy",
        (
            (
                "retention_days",
                lambda s: str(s.retention_days),
                "A closed case is erased (anonymised) this many days after it was closed.",
            ),
            (
                "message_body_retention_days",
                lambda s: str(s.message_body_retention_days),
                "Message texts older than this many days are blanked; the rest of the row stays "
                "for the statistics.",
            ),
            (
                "log_level",
                lambda s: s.log_level,
                "How much the service logs. Phone numbers and message texts appear in logs "
                "only at DEBUG.",
            ),
            (
                "data_key",
                _keys,
                "The key phone numbers, chat ids and message texts are encrypted with (and the "
                "lookup key beside it). The keys themselves are never shown.",
            ),
            (
                "data_keys_old",
                _old_keys,
                "Earlier keys that can still decrypt while a key rotation runs.",
            ),
            (
                "demo",
                lambda s: _plain(s.demo),
                "Without SMS or Telegram credentials, seed an invented demo programme on the "
                "first start.",
            ),
        ),
    ),
    (
        "When citizens are written to",
        (
            (
                "timezone",
                lambda s: s.timezone,
                "Local time for check-ins, quiet hours and the dashboard.",
            ),
            (
                "quiet_hours",
                lambda s: s.quiet_hours,
                "Messages that come due in this window wait until it ends, unless urgent.",
            ),
            (
                "planning_horizon_days",
                lambda s: str(s.planning_horizon_days),
                "How many days ahead check-ins are planned (and visible on the timeline).",
            ),
            (
                "reminder_offsets",
                lambda s: s.reminder_offsets,
                "Meeting reminders, this long before the meeting.",
            ),
            (
                "checkin_reply_window",
                lambda s: s.checkin_reply_window,
                "How long a check-in waits for an answer before the one nudge.",
            ),
            (
                "confirmation_reply_window",
                lambda s: s.confirmation_reply_window,
                "How long a meeting confirmation waits for an answer.",
            ),
            (
                "confirmation_margin",
                lambda s: s.confirmation_margin,
                "A confirmation is nudged no later than this before the meeting.",
            ),
            (
                "attendance_question_after",
                lambda s: s.attendance_question_after,
                'Ask the citizen "did you make it?" this long after a meeting starts.',
            ),
            (
                "max_attempts",
                lambda s: _plain(s.max_attempts),
                "Tries for a message whose sending fails for a passing reason.",
            ),
        ),
    ),
    (
        "Alerts to staff",
        (
            (
                "mentor_alert_after",
                lambda s: s.mentor_alert_after,
                "After the nudge: when the mentor is alerted that no answer came.",
            ),
            (
                "consultant_alert_after",
                lambda s: s.consultant_alert_after,
                "An alert nobody took this long goes to the consultant.",
            ),
            (
                "alert_digest_window",
                lambda s: s.alert_digest_window,
                "Alerts to one mentor within this window arrive as one message.",
            ),
        ),
    ),
    (
        "Deployment",
        (
            (
                "database_url",
                lambda s: describe(s.database_url),
                "The database (its password is never shown).",
            ),
            (
                "public_url",
                lambda s: s.public_url,
                "The address SMS and Telegram providers call.",
            ),
            (
                "twilio_account_sid",
                lambda s: _channel(s.twilio_enabled),
                "SMS through Twilio.",
            ),
            (
                "telegram_token",
                lambda s: _channel(s.telegram_enabled),
                "Telegram.",
            ),
            (
                "telegram_mode",
                lambda s: str(s.telegram_mode),
                "How Telegram messages arrive: polling (one process) or webhook.",
            ),
            (
                "text_refresh_seconds",
                lambda s: f"{s.text_refresh_seconds:g}",
                "How many seconds until other processes use a message text an admin changed.",
            ),
        ),
    ),
)

# Settings the page leaves out, and why.
NOT_SHOWN: Mapping[str, str] = {
    "secret_key": "a secret (signs sessions)",
    "lookup_key": "a secret; shown together with data_key as where the keys come from",
    "telegram_webhook_secret": "a secret",
    "twilio_auth_token": "a secret",
    "twilio_from": "part of the Twilio configuration, shown as configured or not",
    "telegram_api_url": "technical: a provider's address",
    "twilio_api_url": "technical: a provider's address",
    "host": "technical: where the process listens",
    "port": "technical: where the process listens",
    "web_processes": "technical: how many processes serve that port",
    "dispatch_batch_size": "throughput tuning",
    "dispatch_concurrency": "throughput tuning",
    "dispatch_interval_seconds": "throughput tuning",
    "send_timeout_seconds": "throughput tuning",
    "lease_seconds": "throughput tuning",
}


def deployment_settings(settings: Settings) -> list[Section]:
    """The settings page's sections, with each value as shown and whether it is the default."""
    explicit = settings.model_fields_set
    return [
        Section(
            title,
            [
                ShownSetting(
                    variable=ENV_PREFIX + field.upper(),
                    value=value(settings),
                    meaning=meaning,
                    default=field not in explicit,
                )
                for field, value, meaning in rows
            ],
        )
        for title, rows in SECTIONS
    ]


DANISH: Mapping[str, str] = {
    "a demo key file beside the database": "en demonøglefil ved siden af databasen",
    "not set": "ikke sat",
    "set in the environment": "sat i miljøet",
    "set: a key rotation is under way": "sat: nøglerne er ved at blive skiftet",
    "none": "ingen",
    "configured": "sat op",
    "not configured (simulated)": "ikke sat op (simuleret)",
    "off": "fra",
    "Retention and privacy": "Opbevaring og databeskyttelse",
    "When citizens are written to": "Hvornår borgerne får beskeder",
    "Alerts to staff": "Alarmer til medarbejdere",
    "Deployment": "Drift",
    "A closed case is erased (anonymised) this many days after it was closed.": (
        "En afsluttet sag slettes (anonymiseres) så mange dage efter, at den blev afsluttet."
    ),
    "Message texts older than this many days are blanked; the rest of the row stays for the "
    "statistics.": (
        "Beskedtekster ældre end så mange dage blankes; resten af rækken bliver til statistikken."
    ),
    "How much the service logs. Phone numbers and message texts appear in logs only at DEBUG.": (
        "Hvor meget tjenesten logger. Telefonnumre og beskedtekster kommer kun i loggen ved DEBUG."
    ),
    "The key phone numbers, chat ids and message texts are encrypted with (and the lookup key "
    "beside it). The keys themselves are never shown.": (
        "Nøglen, som telefonnumre, chat-id'er og beskedtekster krypteres med (og opslagsnøglen "
        "ved siden af). Selve nøglerne vises aldrig."
    ),
    "Earlier keys that can still decrypt while a key rotation runs.": (
        "Tidligere nøgler, der stadig kan dekryptere, mens nøglerne skiftes."
    ),
    "Without SMS or Telegram credentials, seed an invented demo programme on the first start.": (
        "Uden adgang til SMS eller Telegram oprettes et opdigtet demoprogram ved første start."
    ),
    "Local time for check-ins, quiet hours and the dashboard.": (
        "Lokal tid for check-ins, stille timer og dashboardet."
    ),
    "Messages that come due in this window wait until it ends, unless urgent.": (
        "Beskeder, der skal sendes i dette tidsrum, venter til det slutter, medmindre de haster."
    ),
    "How many days ahead check-ins are planned (and visible on the timeline).": (
        "Hvor langt frem check-ins planlægges (og kan ses på tidslinjen)."
    ),
    "Meeting reminders, this long before the meeting.": ("Mødepåmindelser, så længe før mødet."),
    "How long a check-in waits for an answer before the one nudge.": (
        "Hvor længe en check-in venter på svar før den ene påmindelse."
    ),
    "How long a meeting confirmation waits for an answer.": (
        "Hvor længe en mødebekræftelse venter på svar."
    ),
    "A confirmation is nudged no later than this before the meeting.": (
        "Der rykkes for en bekræftelse senest så længe før mødet."
    ),
    'Ask the citizen "did you make it?" this long after a meeting starts.': (
        'Spørg borgeren "kom du?" så længe efter, at et møde begynder.'
    ),
    "Tries for a message whose sending fails for a passing reason.": (
        "Forsøg for en besked, hvis afsendelse fejler af en forbigående grund."
    ),
    "After the nudge: when the mentor is alerted that no answer came.": (
        "Efter påmindelsen: hvornår mentoren får en alarm om, at der ikke kom svar."
    ),
    "An alert nobody took this long goes to the consultant.": (
        "En alarm, som ingen har taget så længe, går til konsulenten."
    ),
    "Alerts to one mentor within this window arrive as one message.": (
        "Alarmer til én mentor inden for dette tidsrum kommer som én besked."
    ),
    "The database (its password is never shown).": "Databasen (adgangskoden vises aldrig).",
    "The address SMS and Telegram providers call.": (
        "Adressen, som SMS- og Telegram-udbyderne kalder."
    ),
    "SMS through Twilio.": "SMS via Twilio.",
    "Telegram.": "Telegram.",
    "How Telegram messages arrive: polling (one process) or webhook.": (
        "Hvordan Telegram-beskeder kommer ind: polling (én proces) eller webhook."
    ),
    "How many seconds until other processes use a message text an admin changed.": (
        "Hvor mange sekunder der går, før andre processer bruger en beskedtekst, som en "
        "administrator har ændret."
    ),
}
