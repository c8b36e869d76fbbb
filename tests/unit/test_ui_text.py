"""Every text the dashboard shows has a Danish translation (Danish is the default UI)."""

from __future__ import annotations

import re

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
from bot.web.templating import TEMPLATES
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
