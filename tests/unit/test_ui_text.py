"""Every text the dashboard shows has a Danish translation (Danish is the default UI)."""

from __future__ import annotations

import re

from bot.config import Settings, load_settings
from bot.models import (
    AddressStatus,
    AlertReason,
    AppointmentKind,
    Attendance,
    ChannelKind,
    Confirmation,
    ConsentMethod,
    ConsentPurpose,
    MessageKind,
    MessageStatus,
    Outcome,
    ParticipantStatus,
    Role,
)
from bot.services.timeline import EntryType
from bot.text_rules import EXPLANATIONS, MESSAGES, RULE_NAMES, placeholders
from bot.web.deployment_settings import NOT_SHOWN, SECTIONS, deployment_settings
from bot.web.templating import TEMPLATES
from bot.web.text_purposes import PLACEHOLDERS, PURPOSES
from bot.web.ui_text import DANISH, translator
from handlers.replies import IntentKind

_CALL = re.compile(r"""_\((["'])(.+?)\1\)""")


def test_every_template_text_has_a_danish_translation() -> None:
    texts = {
        m.group(2) for path in TEMPLATES.glob("*.html") for m in _CALL.finditer(path.read_text())
    }
    assert texts, "no texts found: the pattern is wrong"
    assert sorted(texts - DANISH.keys()) == []


def test_every_status_and_kind_shown_has_a_danish_name() -> None:
    enums = (
        AddressStatus,
        AlertReason,
        AppointmentKind,
        Attendance,
        ChannelKind,
        Confirmation,
        ConsentMethod,
        ConsentPurpose,
        MessageKind,
        MessageStatus,
        Outcome,
        ParticipantStatus,
        Role,
        EntryType,
        IntentKind,
    )
    values = {member.value for enum in enums for member in enum}
    assert sorted(values - DANISH.keys()) == []


def test_english_is_the_text_itself_and_danish_the_table() -> None:
    assert translator("en")("Participants") == "Participants"
    assert translator("da")("Participants") == "Deltagere"


def test_every_message_an_admin_may_change_is_explained_in_danish() -> None:
    assert set(PURPOSES) == set(MESSAGES)
    used = {field for template in MESSAGES.values() for field in placeholders(template)}
    assert used == set(PLACEHOLDERS)
    words = [*PURPOSES.values(), *PLACEHOLDERS.values(), *RULE_NAMES.values()]
    assert sorted(set(words) - DANISH.keys()) == []


def test_every_text_rule_explanation_has_danish_with_the_same_fields() -> None:
    for explanation in EXPLANATIONS:
        assert explanation in DANISH, explanation
        assert placeholders(DANISH[explanation]) == placeholders(explanation), explanation


def test_the_settings_page_accounts_for_every_setting_and_its_words_are_danish() -> None:
    shown = [name for _, rows in SECTIONS for name, _, _ in rows]
    assert len(shown) == len(set(shown))
    assert sorted([*shown, *NOT_SHOWN]) == sorted(Settings.model_fields)
    sections = deployment_settings(load_settings({}))
    words = [s.title for s in sections] + [row.meaning for s in sections for row in s.settings]
    assert sorted(set(words) - DANISH.keys()) == []
    for value in ("a demo key file beside the database", "none", "not configured (simulated)"):
        assert value in DANISH
