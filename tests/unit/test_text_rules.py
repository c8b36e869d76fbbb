"""The rules an admin's own wording of a message is held to, each refusing with its name."""

from __future__ import annotations

import pytest

from bot import texts
from bot.i18n import Catalogs
from bot.text_rules import MESSAGES, Rule, as_sent, check, septets


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load()


def rules_broken(catalogs: Catalogs, template: str, text: str, lang: str = "da") -> list[Rule]:
    """The rules ``text`` breaks, each once, in the order of ``Rule``."""
    broken = {problem.rule for problem in check(catalogs, lang, template, text)}
    return [rule for rule in Rule if rule in broken]


# (template, the admin's text, the rules it breaks)
CASES = [
    (texts.CHECKIN_QUESTION, "Hej {name}! Hvordan går det, fra 1 til 5?", []),
    (texts.MEETING_REMINDER_24H, "Husk mødet i morgen kl. {time} på {place}.", []),
    (texts.MEETING_REMINDER_24H, "Husk mødet i morgen kl. {time}.", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {name} {alder}, hvordan går det?", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {0}, hvordan går det?", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {name.upper}, hvordan går det?", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {name!r}, hvordan går det?", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {name:>40}, hvordan går det?", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {name, hvordan går det?", [Rule.PLACEHOLDERS]),
    (texts.CHECKIN_QUESTION, "Hej {name} \u2013 hvordan går det?", [Rule.GSM7]),
    (texts.CHECKIN_QUESTION, "Hej {name} \U0001f642 Hvordan går det?", [Rule.GSM7]),
    (texts.CHECKIN_THANKS, "Tak! Læs mere på www.brobygger.dk", [Rule.URL]),
    (texts.CHECKIN_THANKS, "Tak! Se https://example.org/x", [Rule.URL]),
    (
        texts.CHECKIN_QUESTION,
        "Hej {name}. " + "Meget lang tekst. " * 9 + "Hvordan går det?",
        [Rule.LENGTH],
    ),
    (texts.CHECKIN_THANKS, "Tak for dit svar fra fængslet.", [Rule.SENSITIVE]),
    (texts.CHECKIN_THANKS, "Tak. Din kontakt hos Kriminalforsorgen ringer.", [Rule.SENSITIVE]),
    (texts.CHECKIN_THANKS, "Thanks. Your probation officer will call.", [Rule.SENSITIVE]),
    (
        texts.CHECKIN_THANKS,
        "Tak. Vi ses efter din behandling på misbrugscentret.",
        [Rule.SENSITIVE],
    ),
    (texts.CHECKIN_QUESTION, "Hej {name}. Hvordan går det? Sover du godt?", [Rule.QUESTION]),
    (texts.CHECKIN_QUESTION, "Hej {name}. Fortæl os hvordan det går, 1 til 5.", [Rule.QUESTION]),
    (texts.CHECKIN_THANKS, "Tak for dit svar. Vil du mere?", [Rule.QUESTION]),
    (texts.CHECKIN_THANKS, "   ", [Rule.EMPTY]),
]


@pytest.mark.parametrize(("template", "text", "broken"), CASES, ids=[text for _, text, _ in CASES])
def test_each_rule_refuses_by_name(
    catalogs: Catalogs, template: str, text: str, broken: list[Rule]
) -> None:
    assert rules_broken(catalogs, template, text) == broken


def test_a_problem_says_what_to_change(catalogs: Catalogs) -> None:
    [missing] = check(catalogs, "da", texts.MEETING_REMINDER_24H, "Husk mødet kl. {time}.")
    assert str(missing).startswith("Placeholders missing: {place}.")
    [new] = check(catalogs, "da", texts.CHECKIN_THANKS, "Tak {name}.")
    assert "{name}" in str(new) and "Only these can be filled in: -" in str(new)
    [gsm] = check(catalogs, "da", texts.CHECKIN_THANKS, "Tak \u201cfint\u201d.")
    assert "'\u201c' '\u201d'" in str(gsm)
    [sensitive] = check(catalogs, "en", texts.CHECKIN_THANKS, "Thanks, see you after prison.")
    assert str(sensitive).endswith(": prison.")


def test_the_length_counts_the_reply_hint_a_question_gets_by_sms(catalogs: Catalogs) -> None:
    # 152 characters fit alone, but not with the ten of " Svar 1-5." after them.
    text = "Hej {name}. " + "x" * (152 - len("Hej Mohammed. ") - 1) + "?"
    body = text.format(name="Mohammed")
    assert septets(body) == 152
    assert as_sent(catalogs, "da", texts.CHECKIN_QUESTION, text) == body + " Svar 1-5."
    assert rules_broken(catalogs, texts.CHECKIN_QUESTION, text) == [Rule.LENGTH]


def test_the_help_text_may_take_two_segments(catalogs: Catalogs) -> None:
    text = "Skriv JA eller NEJ. " * 10 + "Spørg {mentor_name}."
    assert 160 < septets(text.format(mentor_name="Anne-Marie Østergaard")) <= 306
    assert rules_broken(catalogs, texts.HELP, text) == []


def test_staff_messages_need_no_question_but_keep_the_other_rules(catalogs: Catalogs) -> None:
    template = texts.ALERT_LOW_SCORE
    assert rules_broken(catalogs, template, "{name}: {score}/5. Svar OK {alert_id}?") == []
    assert rules_broken(catalogs, template, "{name} fra fængslet: {score}. OK {alert_id}") == [
        Rule.SENSITIVE
    ]


def test_only_whole_messages_may_be_overridden() -> None:
    assert texts.CHECKIN_QUESTION in MESSAGES.values()
    assert texts.ALERT_NO_REPLY in MESSAGES.values()
    for fragment in texts.FRAGMENTS:
        assert fragment not in MESSAGES.values()
    assert len(MESSAGES) == len(texts.CITIZEN_MESSAGES) + len(texts.STAFF_MESSAGES)
