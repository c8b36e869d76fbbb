"""The rules a message text must keep, as one check that tests and the dashboard share.

``bot/texts.py`` states the rules; ``tests/unit/test_texts.py`` holds every catalog text to them,
and an admin's override of a text (``bot.services.text_overrides``) is refused unless it keeps
them too. Each problem names its rule, so the admin knows what to change:

1. **placeholders**: exactly the ``{fields}`` of the original, written plainly (``{name}``),
   none missing and none new (a new one would fail at render time, a missing one would drop
   the meeting's time or place);
2. **gsm7**: only GSM-7 characters (æøå are fine; curly quotes, long dashes, emoji are not);
3. **url**: no web addresses (Danish operators filter SMS with URLs);
4. **length**: one SMS segment (160 septets; the help text two) after typical substitution
   (``sample_values``: long rather than short), with the SMS reply hint for a question;
5. **sensitive**: no word of ``bot.i18n.DENY_LIST`` (prison, probation, treatment, offence...),
   the same list the meeting-place check uses;
6. **question**: one question at most; a question ends with it (SMS appends the reply hint
   after it), and a message that is not registered as a question does not end with "?".
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from bot import texts
from bot.i18n import Catalogs, deny_listed_words, format_date, format_time, is_gsm7

# Every module-level string constant of ``bot.texts`` is a template (``N_`` is a function).
TEMPLATES: Mapping[str, str] = {
    name: value for name, value in vars(texts).items() if name.isupper() and isinstance(value, str)
}
# The whole messages, by constant name: what an admin may override (fragments such as button
# labels and meeting-kind labels go into other messages, so they stay as the catalog has them).
MESSAGES: Mapping[str, str] = {
    name: value
    for name, value in TEMPLATES.items()
    if value in texts.CITIZEN_MESSAGES or value in texts.STAFF_MESSAGES
}

URL = re.compile(r"https?:|www\.|\.(?:dk|com|net|org|eu|io)\b", re.IGNORECASE)
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")
SEGMENT = 160
# The help text lists every command and may take two segments.
LONG_MESSAGES: Mapping[str, int] = {texts.HELP: 2 * 153}


# What each problem says (English; the dashboard translates them, fields and all).
EMPTY_TEXT = "The text is empty."
NOT_GSM7 = (
    "Only GSM-7 characters can go in an SMS; replace {characters} (curly quotes, "
    "long dashes, special spaces and emoji are not GSM-7; æ, ø and å are)."
)
NO_LINKS = "No web addresses: Danish operators filter SMS with links ({found})."
TOO_LONG = (
    "Too long: {length} characters with typical names, dates and places, the most is {limit}."
)
SENSITIVE_WORDS = "Words that tell whoever sees the lock screen where the person has been: {words}."
STRAY_BRACKET = (
    "A curly bracket that is not part of a placeholder: write placeholders as {example}."
)
PLAIN_PLACEHOLDERS = "Write placeholders plainly, as {example}, without ! or : after the name."
MISSING_PLACEHOLDERS = (
    "Placeholders missing: {fields}. The text must keep every placeholder of the original."
)
NEW_PLACEHOLDERS = (
    "Placeholders the original does not have: {fields}. Only these can be filled in: {allowed}."
)
ONE_QUESTION = "One question at a time: use one ? at most."
END_WITH_QUESTION = (
    "This message asks a question: end it with the question mark (the SMS adds "
    "the reply hint after it)."
)
NOT_A_QUESTION = (
    "This message is not a question the bot can take an answer to: do not end it with ?."
)
EXPLANATIONS: tuple[str, ...] = (
    EMPTY_TEXT,
    NOT_GSM7,
    NO_LINKS,
    TOO_LONG,
    SENSITIVE_WORDS,
    STRAY_BRACKET,
    PLAIN_PLACEHOLDERS,
    MISSING_PLACEHOLDERS,
    NEW_PLACEHOLDERS,
    ONE_QUESTION,
    END_WITH_QUESTION,
    NOT_A_QUESTION,
)


class Rule(enum.StrEnum):
    EMPTY = "empty"
    PLACEHOLDERS = "placeholders"
    GSM7 = "gsm7"
    URL = "url"
    LENGTH = "length"
    SENSITIVE = "sensitive"
    QUESTION = "question"


# Each rule's name as the dashboard shows it beside a problem.
RULE_NAMES: Mapping[Rule, str] = {
    Rule.EMPTY: "Not empty",
    Rule.PLACEHOLDERS: "Same placeholders",
    Rule.GSM7: "GSM-7 only",
    Rule.URL: "No links",
    Rule.LENGTH: "Fits the SMS",
    Rule.SENSITIVE: "No sensitive words",
    Rule.QUESTION: "One question, at the end",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: ``message`` is English with ``{detail}`` filled in by ``details``."""

    rule: Rule
    message: str
    details: Mapping[str, str]

    def __str__(self) -> str:
        return self.message.format(**self.details)


def placeholders(text: str) -> set[str]:
    """The field names of ``text`` (``"Hi {name}"`` -> ``{"name"}``); ValueError if malformed."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def septets(text: str) -> int:
    """Length of ``text`` in GSM-7 septets: extension characters take two."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def length_limit(template: str) -> int:
    return LONG_MESSAGES.get(template, SEGMENT)


def sample_values(catalogs: Catalogs, lang: str, template: str) -> dict[str, str]:
    """Realistic values for the fields ``template`` uses, long rather than short."""
    values = {
        "name": "Mohammed",
        "mentor_name": "Anne-Marie Østergaard",
        "kind_label": catalogs.render(lang, texts.KIND_EDUCATION_WORK),
        "date": format_date(lang, date(2025, 9, 17)),  # a Wednesday: the longest weekday
        "since": format_date(lang, date(2025, 9, 13)),
        "time": format_time(lang, time(10, 30)),
        "place": "Jobcentret, Værkmestergade 2, Århus",
        "alert_id": "1042",
        "score": "2",
        "count": "12",
        "reason": catalogs.render(lang, texts.REASON_DECLINED_MEETING),
    }
    return {field: values[field] for field in placeholders(template)}


def as_sent(catalogs: Catalogs, lang: str, template: str, text: str) -> str:
    """``text`` (a version of ``template``) filled with sample values, as an SMS would carry it.

    ``text`` must have the placeholders of ``template`` (``check`` first).
    """
    body = text.format(**sample_values(catalogs, lang, template))
    if template in texts.CITIZEN_MESSAGES:
        return catalogs.with_reply_hint(lang, body, texts.QUESTION_CHOICES.get(template))
    return body


def check(catalogs: Catalogs, lang: str, template: str, text: str) -> list[Problem]:
    """Every rule ``text`` breaks as a version of ``template`` in ``lang``; empty if none."""
    if not text.strip():
        return [Problem(Rule.EMPTY, EMPTY_TEXT, {})]
    problems = _placeholder_problems(template, text)
    if problems:
        return problems  # the rest need the text rendered with sample values
    body = text.format(**sample_values(catalogs, lang, template))
    sms = as_sent(catalogs, lang, template, text)
    bad = sorted({char for char in body if not is_gsm7(char)})
    if bad:
        shown = " ".join(f"{char!r}" for char in bad)
        problems.append(
            Problem(
                Rule.GSM7,
                NOT_GSM7,
                {"characters": shown},
            )
        )
    link = URL.search(body)
    if link:
        problems.append(
            Problem(
                Rule.URL,
                NO_LINKS,
                {"found": link.group(0)},
            )
        )
    if septets(sms) > length_limit(template):
        problems.append(
            Problem(
                Rule.LENGTH,
                TOO_LONG,
                {"length": str(septets(sms)), "limit": str(length_limit(template))},
            )
        )
    words = deny_listed_words(body)
    if words:
        problems.append(
            Problem(
                Rule.SENSITIVE,
                SENSITIVE_WORDS,
                {"words": ", ".join(words)},
            )
        )
    problems += _question_problems(template, body)
    return problems


def _placeholder_problems(template: str, text: str) -> list[Problem]:
    expected = placeholders(template)
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return [
            Problem(
                Rule.PLACEHOLDERS,
                STRAY_BRACKET,
                {"example": "{name}"},
            )
        ]
    problems: list[Problem] = []
    if any(field is not None and (spec or conversion) for _, field, spec, conversion in fields):
        problems.append(
            Problem(
                Rule.PLACEHOLDERS,
                PLAIN_PLACEHOLDERS,
                {"example": "{name}"},
            )
        )
    found = {field for _, field, _, _ in fields if field is not None}
    missing, new = expected - found, found - expected
    if missing:
        problems.append(
            Problem(
                Rule.PLACEHOLDERS,
                MISSING_PLACEHOLDERS,
                {"fields": _fields(missing)},
            )
        )
    if new:
        problems.append(
            Problem(
                Rule.PLACEHOLDERS,
                NEW_PLACEHOLDERS,
                {"fields": _fields(new), "allowed": _fields(expected) or "-"},
            )
        )
    return problems


def _question_problems(template: str, body: str) -> list[Problem]:
    if template not in texts.CITIZEN_MESSAGES:
        return []
    problems: list[Problem] = []
    if body.count("?") > 1:
        problems.append(Problem(Rule.QUESTION, ONE_QUESTION, {}))
    question = template in texts.QUESTION_CHOICES
    if question and not body.endswith("?"):
        problems.append(
            Problem(
                Rule.QUESTION,
                END_WITH_QUESTION,
                {},
            )
        )
    if not question and body.endswith("?"):
        problems.append(
            Problem(
                Rule.QUESTION,
                NOT_A_QUESTION,
                {},
            )
        )
    return problems


def _fields(names: set[str]) -> str:
    return ", ".join("{" + name + "}" for name in sorted(names))
