"""The message texts: complete catalogs, safe wording, GSM-7, and the runtime that renders them."""

from __future__ import annotations

import gettext
from datetime import date, time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from bot import texts
from bot.i18n import (
    DEFAULT_LANGUAGE,
    DENY_LIST,
    LOCALE_DIR,
    SUPPORTED_LANGUAGES,
    Catalogs,
    deny_listed_words,
    format_date,
    format_time,
    is_gsm7,
    normalize_language,
    to_gsm7,
)
from bot.text_rules import (
    MESSAGES,
    TEMPLATES,
    URL,
    check,
    length_limit,
    placeholders,
    sample_values,
    septets,
)

TEXTS_PY = Path(texts.__file__)
POT_FILE = LOCALE_DIR / "messages.pot"


def read_catalog(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=lang)


def translated_messages(lang: str) -> dict[str, Message]:
    return {str(message.id): message for message in read_catalog(lang) if message.id}


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load()


def rendered_examples(catalogs: Catalogs) -> list[tuple[str, str, str]]:
    """(language, constant name, rendered text) for every template in every language."""
    return [
        (lang, name, catalogs.render(lang, template, **sample_values(catalogs, lang, template)))
        for lang in SUPPORTED_LANGUAGES
        for name, template in TEMPLATES.items()
    ]


# --- The catalogs are complete and in sync ---------------------------------------------------


def test_every_constant_is_marked_for_extraction() -> None:
    extracted = {message for _, message, _, _ in extract_from_file("python", TEXTS_PY)}
    assert set(TEMPLATES.values()) == extracted


def test_no_two_constants_share_a_msgid() -> None:
    # Two constants with one msgid would be forced to share one translation.
    assert len(set(TEMPLATES.values())) == len(TEMPLATES)


def test_every_constant_belongs_to_exactly_one_group() -> None:
    groups = texts.CITIZEN_MESSAGES + texts.STAFF_MESSAGES + texts.FRAGMENTS
    assert sorted(groups) == sorted(TEMPLATES.values())


def test_pot_is_in_sync_with_texts_py(tmp_path: Path) -> None:
    # Extract as `pybabel extract --no-location --add-comments=Translators:` would, write the
    # template into tmp_path, and compare what a translator sees: msgids and their comments.
    extracted = Catalog(domain="messages")
    for lineno, message, comments, _ in extract_from_file(
        "python", TEXTS_PY, comment_tags=("Translators:",)
    ):
        extracted.add(message, locations=[(TEXTS_PY.name, lineno)], auto_comments=comments)
    fresh = tmp_path / "messages.pot"
    with fresh.open("wb") as pot_file:
        write_po(pot_file, extracted, no_location=True, width=76)

    def contents(path: Path) -> dict[str, list[str]]:
        with path.open("rb") as pot_file:
            return {str(m.id): list(m.auto_comments) for m in read_po(pot_file) if m.id}

    assert contents(POT_FILE) == contents(fresh), "run pybabel extract (see bot/texts.py)"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_template_is_translated(lang: str) -> None:
    messages = translated_messages(lang)
    for name, template in TEMPLATES.items():
        assert template in messages, f"{lang}: {name} is missing"
        message = messages[template]
        assert message.string, f"{lang}: {name} is not translated"
        assert not message.fuzzy, f"{lang}: {name} is fuzzy"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_catalogs_hold_nothing_but_current_templates(lang: str) -> None:
    catalog = read_catalog(lang)
    assert set(translated_messages(lang)) == set(TEMPLATES.values())
    assert not catalog.obsolete


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_translations_use_exactly_the_fields_of_their_msgid(lang: str) -> None:
    for message in translated_messages(lang).values():
        assert placeholders(str(message.string)) == placeholders(str(message.id)), message.id


def test_fields_are_named() -> None:
    # "{}" or "{0}" would make the order of words a translator cannot change.
    for name, template in TEMPLATES.items():
        for field in placeholders(template):
            assert field.isidentifier(), f"{name}: {{{field}}}"


def test_danish_is_a_translation_not_a_copy() -> None:
    messages = translated_messages("da")
    same = [name for name, template in TEMPLATES.items() if messages[template].string == template]
    # Only the digest line ("- {name}: {reason} (OK {alert_id})") reads the same in Danish.
    assert same == ["DIGEST_LINE"]


# --- What a rendered text may say ------------------------------------------------------------


def test_every_rendered_text_is_gsm7(catalogs: Catalogs) -> None:
    for lang, name, text in rendered_examples(catalogs):
        bad = sorted({char for char in text if not is_gsm7(char)})
        assert not bad, f"{lang} {name}: {bad!r} in {text!r}"


def test_no_rendered_text_names_prison_probation_treatment_or_offence(catalogs: Catalogs) -> None:
    for lang, name, text in rendered_examples(catalogs):
        assert deny_listed_words(text) == [], f"{lang} {name}: {text!r}"


def test_no_rendered_text_contains_a_url(catalogs: Catalogs) -> None:
    for lang, name, text in rendered_examples(catalogs):
        assert not URL.search(text), f"{lang} {name}: {text!r}"


def test_meeting_kind_labels_never_say_what_kind_of_meeting_is_sensitive(
    catalogs: Catalogs,
) -> None:
    for kind in ("release_meeting", "treatment"):
        assert texts.meeting_kind_label(kind) == texts.KIND_MEETING
    assert catalogs.render("da", texts.meeting_kind_label("release_meeting")) == "møde"
    assert texts.meeting_kind_label("something_new") == texts.KIND_MEETING


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_citizen_sms_fits_one_segment_with_its_reply_hint(catalogs: Catalogs, lang: str) -> None:
    for template in texts.CITIZEN_MESSAGES:
        body = catalogs.render(lang, template, **sample_values(catalogs, lang, template))
        sms = catalogs.with_reply_hint(lang, body, texts.QUESTION_CHOICES.get(template))
        assert septets(sms) <= length_limit(template), f"{lang} {septets(sms)}: {sms!r}"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_staff_sms_fits_one_segment(catalogs: Catalogs, lang: str) -> None:
    for template in texts.STAFF_MESSAGES:
        body = catalogs.render(lang, template, **sample_values(catalogs, lang, template))
        assert septets(body) <= 160, f"{lang} {septets(body)}: {body!r}"


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_a_citizen_message_asks_at_most_one_question_and_ends_with_it(
    catalogs: Catalogs, lang: str
) -> None:
    for template in texts.CITIZEN_MESSAGES:
        text = catalogs.render(lang, template, **sample_values(catalogs, lang, template))
        assert text.count("?") <= 1, text
        # A question is registered with its reply choices, so SMS can append the hint.
        assert text.endswith("?") == (template in texts.QUESTION_CHOICES), text


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_the_override_check_accepts_every_catalog_text(catalogs: Catalogs, lang: str) -> None:
    # The rules an admin's override is held to (bot.text_rules.check) are the ones above: the
    # catalog's own wording passes them, so an admin can always save it back.
    for name, template in MESSAGES.items():
        problems = check(catalogs, lang, template, catalogs.catalog_text(lang, template))
        assert problems == [], f"{lang} {name}: {[str(p) for p in problems]}"


def test_every_question_has_a_hint_for_sms() -> None:
    for template, choices in texts.QUESTION_CHOICES.items():
        assert template in texts.CITIZEN_MESSAGES
        assert choices in texts.REPLY_HINTS


def test_help_names_every_command_and_the_contact_person(catalogs: Catalogs) -> None:
    help_da = catalogs.render("da", texts.HELP, mentor_name="Anne-Marie")
    for command in ("JA", "NEJ", "1-5", "HJÆLP", "STOP", "START", "SPROG EN"):
        assert command in help_da
    assert "din kontaktperson Anne-Marie" in help_da


def test_stop_confirmation_says_how_to_start_again(catalogs: Catalogs) -> None:
    assert (
        catalogs.render("da", texts.STOP_CONFIRMATION)
        == "Du får ikke flere beskeder. Skriv START for at starte igen."
    )


# --- Rendering --------------------------------------------------------------------------------


def test_renders_danish_with_the_fields_filled_in(catalogs: Catalogs) -> None:
    text = catalogs.render("da", texts.MEETING_REMINDER_24H, time="10.00", place="Søndergade 3")
    assert text == "Husk dit møde i morgen kl. 10.00. Sted: Søndergade 3."


def test_renders_english(catalogs: Catalogs) -> None:
    text = catalogs.render("en", texts.ATTENDANCE_QUESTION, date="Tuesday 11 March")
    assert text == "Did you make it to your meeting on Tuesday 11 March?"


@pytest.mark.parametrize("lang", ["de", "", None, "xx-YY"])
def test_unknown_language_falls_back_to_danish(catalogs: Catalogs, lang: str | None) -> None:
    assert catalogs.render(lang, texts.BUTTON_YES) == "Ja"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("da", "da"), ("EN", "en"), ("en-GB", "en"), ("en_US", "en"), (" en ", "en"), ("fr", "da")],
)
def test_normalize_language(given: str, expected: str) -> None:
    assert normalize_language(given) == expected
    assert DEFAULT_LANGUAGE == "da"


def test_a_missing_field_fails_loudly(catalogs: Catalogs) -> None:
    with pytest.raises(KeyError, match="place"):
        catalogs.render("da", texts.MEETING_REMINDER_24H, time="10.00")


def test_field_values_are_not_formatted_again(catalogs: Catalogs) -> None:
    text = catalogs.render("da", texts.CHECKIN_QUESTION, name="{mentor_name}")
    assert text.startswith("Hej {mentor_name}.")


def test_reply_hint_follows_the_question_on_sms(catalogs: Catalogs) -> None:
    body = catalogs.render("da", texts.ATTENDANCE_QUESTION, date="tirsdag den 11. marts")
    assert (
        catalogs.with_reply_hint("da", body, "yes_no")
        == "Kom du til dit møde tirsdag den 11. marts? Svar JA eller NEJ."
    )
    assert catalogs.reply_hint("en", "score") == "Reply 1-5."
    assert catalogs.reply_hint("da", "ack") is None
    assert catalogs.with_reply_hint("da", "Tak.", None) == "Tak."


def test_load_fails_at_start_up_without_a_catalog(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Catalogs.load(tmp_path)


def test_catalogs_need_every_supported_language() -> None:
    with pytest.raises(ValueError, match="en"):
        Catalogs({"da": gettext.NullTranslations()})


# --- Dates and times --------------------------------------------------------------------------


def test_dates_and_times_are_local_words_in_gsm7() -> None:
    assert format_date("da", date(2025, 3, 11)) == "tirsdag den 11. marts"
    assert format_date("en", date(2025, 3, 11)) == "Tuesday 11 March"
    assert format_date("da", date(2025, 3, 15)) == "lørdag den 15. marts"
    assert format_time("da", time(9, 5)) == "09.05"
    assert format_time("en", time(21, 0)) == "21:00"
    for day in range(1, 8):
        for lang in SUPPORTED_LANGUAGES:
            assert is_gsm7(format_date(lang, date(2025, 12, day)))


# --- GSM-7 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Hej Søren, Ærø og Åbenrå", "Pris: 100 kr. (ca.) 50% - ok? {a} [b] ~ | ^ \\ €", "line\nnext"],
)
def test_gsm7_text(text: str) -> None:
    assert is_gsm7(text)


@pytest.mark.parametrize(
    "text",
    [
        "Det er \u201cfint\u201d",  # curly double quotes
        "Jeg\u2019er",  # curly apostrophe
        "10\u201312",  # en dash
        "kl.\u00a010",  # no-break space
        "vent\u2026",  # ellipsis
        "Tak \U0001f44d",  # emoji
        "Łukasz",  # outside the alphabet: a name we must not mangle
    ],
)
def test_not_gsm7(text: str) -> None:
    assert not is_gsm7(text)


def test_to_gsm7_makes_typography_plain_and_leaves_letters_alone() -> None:
    typed = "\u201cVej\u201d 2\u20134,\u00a0kl.\u202f10\u2026 Ærø\u2019s"
    assert to_gsm7(typed) == '"Vej" 2-4, kl. 10... Ærø\'s'
    assert is_gsm7(to_gsm7(typed))
    assert to_gsm7("Łukasz") == "Łukasz"


# --- Deny list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "flagged"),
    [
        ("Misbrugscenter Vest", ["Misbrugscenter"]),
        ("misbrugscentret, Vestergade 3", ["misbrugscentret"]),
        ("Kriminalforsorgen Nord", ["Kriminalforsorgen"]),
        ("KIF Sjælland", ["KIF"]),
        ("Statsfængslet ved Sdr. Omme", ["Statsfængslet"]),
        ("Faengslet", ["Faengslet"]),
        ("Arresthuset i Kolding", ["Arresthuset"]),
        ("Center for Rusmidler", ["Rusmidler"]),
        ("Efter løsladelse: jobcentret", ["løsladelse"]),
        ("Afsoning og dom", ["Afsoning", "dom"]),
        ("Du er dømt", ["dømt"]),
        ("Probation office, Prison Road", ["Probation", "Prison"]),
        ("Treatment  Centre North", ["Treatment  Centre"]),
        ("STRAF straf", ["STRAF"]),
    ],
)
def test_deny_listed_words_are_flagged_as_written(place: str, flagged: list[str]) -> None:
    assert deny_listed_words(place) == flagged


@pytest.mark.parametrize(
    "place",
    [
        "Domkirkepladsen 5",  # "dom" only as a whole word
        "Jobcenter Aarhus, Værkmestergade 2",
        "Borgerservice, Rådhuspladsen 1",
        "Politikens Hus",  # "politi" only as a whole word
        "Datatilsynet",  # "tilsyn" only as a whole word
        "Sagsbehandler i kommunen",
        "Courtyard café",
        "",
    ],
)
def test_innocent_places_are_not_flagged(place: str) -> None:
    assert deny_listed_words(place) == []


def test_deny_list_covers_the_words_named_in_the_design() -> None:
    for word in (
        "fængsel",
        "faengsel",
        "kriminalforsorg",
        "kriminalforsorgen",
        "KIF",
        "prison",
        "probation",
        "misbrug",
        "misbrugscenter",
        "behandlingscenter",
        "rusmiddel",
        "dom",
        "dømt",
        "straf",
        "afsoning",
        "løsladelse",
        "offence",
        "offense",
        "conviction",
        "sentence",
        "treatment centre",
        "treatment center",
        "jail",
    ):
        assert deny_listed_words(f"Mødested: {word}.") == [word], word


def test_deny_list_entries_are_lower_case_and_unique() -> None:
    assert len(set(DENY_LIST)) == len(DENY_LIST)
    assert all(entry == entry.lower() for entry in DENY_LIST)
