"""The reply parser, as a table of what people actually type."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from handlers.replies import Intent, IntentKind, button_data, parse_button, parse_reply

YES = Intent(IntentKind.YES)
NO = Intent(IntentKind.NO)
HELP = Intent(IntentKind.HELP)
STOP = Intent(IntentKind.STOP)
START = Intent(IntentKind.START)
FREE_TEXT = Intent(IntentKind.FREE_TEXT)


def score(value: int) -> Intent:
    return Intent(IntentKind.SCORE, score=value)


def language(code: str) -> Intent:
    return Intent(IntentKind.LANGUAGE, language=code)


def ack(alert_id: int) -> Intent:
    return Intent(IntentKind.ACK, reference=alert_id)


YES_REPLIES = [
    *("ja", "JA", "Ja!", "ja.", "ja tak", "Ja tak 😊", "JA TAK!!!", "ja, tak", "ja ja", "jaaaa"),
    *("jep", "jeps", "jo", "Jo!", "ja gerne", "gerne", "selvfølgelig", "det passer"),
    *("jeg kommer", "Hej, ja tak!", "ok", "OK", "Ok!", "ok 👍", "ok tak", "okay", "Okay."),
    *("yes", "YES", "Yes please", "yes thanks", "yep", "yeah", "👍", "👍🏽", "👌"),
]
NO_REPLIES = [
    *("nej", "NEJ", "Nej.", "nej tak", "Nej tak!", "nej kan ikk", "Nej, kan ikke", "kan ikke"),
    *("Kan ikke.", "kan ik", "nej, jeg kan ikke", "jeg kan ikke komme", "jeg kommer ikke"),
    *("nej desværre", "Nej nej", "neeej", "næ", "no", "No.", "No thanks", "nope"),
    *("I can't", "can\u2019t", "cannot", "not coming", "👎"),
]
SCORE_REPLIES = [
    *[(str(value), value) for value in range(1, 6)],
    *[("3.", 3), ("4!", 4), (" 2 ", 2), ("4 tak", 4), ("\uff14", 4), ("⁴", 4)],
    *[("4/5", 4), ("5/5", 5), ("1 / 5", 1), ("4 af 5", 4), ("3 ud af 5", 3), ("2 out of 5", 2)],
    *[("en", 1), ("En", 1), ("et", 1), ("én", 1), ("to", 2), ("tre", 3), ("Fire", 4)],
    *[("fem", 5), ("fire af fem", 4), ("one", 1), ("two", 2), ("three", 3), ("four", 4)],
    *[("FIVE", 5)],
]
HELP_REPLIES = [
    *("hjælp", "HJÆLP", "Hjælp!", "hjaelp", "HJAELP", "hjalp", "help", "Help?", "?", "??"),
    *("\uff1f", "info", "INFO", "/help", "/hjælp", "hjælp tak"),
]
STOP_REPLIES = [
    *("STOP", "stop", "Stop.", "stop!", " STOP ", "AFMELD", "afmeld", "STOPP", "UNSUBSCRIBE"),
    *("STOP ALL", "stop all", "STOPALL", "CANCEL", "END", "QUIT", "/stop", "stoppp"),
    *("/stop@BrobyggerBot",),
]
START_REPLIES = ["START", "start", "Start!", "TILMELD", "UNSTOP", "GENSTART", "/start"]
LANGUAGE_REPLIES = [
    *[("SPROG EN", "en"), ("sprog da", "da"), ("Sprog: engelsk", "en"), ("LANGUAGE EN", "en")],
    *[("language da", "da"), ("english", "en"), ("English please", "en"), ("dansk", "da")],
    *[("Dansk tak", "da"), ("engelsk", "en"), ("/language en", "en"), ("/sprog da", "da")],
    *[("på engelsk", "en"), ("paa dansk", "da"), ("in english", "en")],
]
ACK_REPLIES = [
    *[("OK 123", 123), ("ok #123", 123), ("Ok, 7", 7), ("ack 42", 42), ("OK #123 tak", 123)],
    *[("ok 4", 4), ("OK  #987654321", 987654321)],
]
FREE_TEXT_REPLIES = [
    *("ja nej", "nej ja", "ja men kan ikke", "Ja, men jeg kan ikke", "ja 4", "ok fire"),
    *("3 eller 4", "3 4", "3/4", "4,5", "1-5", "0", "6", "seks", "10", "45/5"),
    *("hvem er det?", "Hvornår er mødet?", "jeg har det skidt", "kan ikke sove"),
    *("stop med at skrive til mig", "stop det", "afmeld mig", "STOP STOP", "kan ikke stoppe"),
    *("/start abc123", "hjælp mig", "help me", "tak", "mange tak", "hej", "sorry"),
    *("sprog", "sprog fransk", "da", "ok 0", "👍👎", "👍 ?", "٤"),
    *("", "   ", "...", "😊", "\x00", "\u202e"),
]

REPLIES = [
    *[(text, YES) for text in YES_REPLIES],
    *[(text, NO) for text in NO_REPLIES],
    *[(text, score(value)) for text, value in SCORE_REPLIES],
    *[(text, HELP) for text in HELP_REPLIES],
    *[(text, STOP) for text in STOP_REPLIES],
    *[(text, START) for text in START_REPLIES],
    *[(text, language(code)) for text, code in LANGUAGE_REPLIES],
    *[(text, ack(alert_id)) for text, alert_id in ACK_REPLIES],
    *[(text, FREE_TEXT) for text in FREE_TEXT_REPLIES],
]


@pytest.mark.parametrize(
    ("text", "expected"), REPLIES, ids=[f"{text!r}->{want.kind}" for text, want in REPLIES]
)
def test_danish_and_english_replies_map_to_intents(text: str, expected: Intent) -> None:
    assert parse_reply(text) == expected


def test_ja_tak_means_yes_and_nej_tak_means_no() -> None:
    assert parse_reply("Ja tak!") == YES
    assert parse_reply("nej tak") == NO


def test_contradicting_or_hedged_answers_are_free_text_not_a_guess() -> None:
    for text in ("ja nej", "3 eller 4", "ja men kan ikke"):
        assert parse_reply(text) == FREE_TEXT


def test_opt_out_word_counts_only_alone() -> None:
    assert parse_reply("Stop!") == STOP
    assert parse_reply("stop med at skrive til mig") == FREE_TEXT


def test_bare_ok_is_yes_and_ok_with_a_number_acknowledges_that_alert() -> None:
    assert parse_reply("ok") == YES
    assert parse_reply("OK #123") == ack(123)


def test_en_alone_is_a_score_but_after_sprog_is_english() -> None:
    assert parse_reply("en") == score(1)
    assert parse_reply("sprog en") == language("en")


def test_text_over_200_characters_is_free_text_without_analysis() -> None:
    assert parse_reply("ja" + " " * 198) == YES
    assert parse_reply("ja" + " " * 199) == FREE_TEXT
    assert parse_reply("STOP" + "!" * 5000) == FREE_TEXT


@settings(database=None, max_examples=300)
@given(st.text(st.characters(exclude_categories=()), max_size=400))
@example("\ud800ja\udfff")
@example("\x00STOP\x00")
@example("\u202eja\u202c \u200fنعم")
@example("👍" * 5000)
@example("ok " + "9" * 300)
def test_parse_reply_never_raises_for_any_text(text: str) -> None:
    intent = parse_reply(text)
    assert isinstance(intent, Intent)
    if intent.kind is IntentKind.SCORE:
        assert intent.score in range(1, 6)


# Noise that must not change meaning: no letters or digits, and no "/" or "@", which shape
# "4/5" and "/stop@BrobyggerBot". Texts without a word ("?", "👍") mean something only alone.
NOISE = st.text(" \t\n.,!?;:-\u2013…'\"()*#😊🙏❤️👋", max_size=8)
SPACE = st.text(" \t\n\u00a0", min_size=1, max_size=3)
DECORATABLE = [
    (text, want)
    for text, want in REPLIES
    if "@" not in text and any(char.isalnum() for char in text)
]


@settings(database=None, max_examples=300)
@given(st.sampled_from(DECORATABLE), NOISE, NOISE, st.data())
def test_table_replies_keep_their_meaning_with_surrounding_noise_and_any_case(
    case: tuple[str, Intent], before: str, after: str, data: st.DataObject
) -> None:
    text, expected = case
    words = [
        "".join(char.upper() if data.draw(st.booleans()) else char.lower() for char in word)
        for word in text.split(" ")
    ]
    noisy = before + "".join(word + data.draw(SPACE) for word in words[:-1]) + words[-1] + after
    assert parse_reply(noisy) == expected


BUTTON_ANSWERS = [
    ("yes", YES),
    ("no", NO),
    ("ack", Intent(IntentKind.ACK)),
    *[(str(value), score(value)) for value in range(1, 6)],
]


@pytest.mark.parametrize(("answer", "meaning"), BUTTON_ANSWERS)
@pytest.mark.parametrize("question_id", [1, 42, 2**63 - 1])
def test_button_data_round_trips_with_its_reference(
    question_id: int, answer: str, meaning: Intent
) -> None:
    data = button_data(question_id, answer)
    assert len(data.encode()) <= 64
    assert parse_button(data) == Intent(meaning.kind, score=meaning.score, reference=question_id)


def test_button_data_examples_from_the_issue() -> None:
    assert button_data(42, "yes") == "a:42:yes"
    assert parse_button("a:42:yes") == Intent(IntentKind.YES, reference=42)
    assert parse_button("a:7:ack") == Intent(IntentKind.ACK, reference=7)
    assert parse_button("a:42:3") == Intent(IntentKind.SCORE, score=3, reference=42)


@settings(database=None)
@given(st.integers(1, 2**63 - 1), st.sampled_from([answer for answer, _ in BUTTON_ANSWERS]))
def test_any_button_fits_telegram_and_round_trips(question_id: int, answer: str) -> None:
    data = button_data(question_id, answer)
    assert len(data.encode()) <= 64
    assert parse_button(data).reference == question_id


@pytest.mark.parametrize(
    "data",
    [
        *("", "a", "a:42", "a:42:", "a::yes", "a:42:maybe", "a:42:YES", "A:42:yes", "b:42:yes"),
        *("a:0:yes", "a:-1:yes", "a:042:yes", "a:4.2:yes", "a:42:0", "a:42:6", "a:42:yes:1"),
        *("a:42:yes\n", " a:42:yes", "a:9223372036854775808:yes", "a:٤٢:yes", "a:42:٣"),
        *("a:42:ja", "yes", "42", "a:42:yes\x00", "a:1" + "0" * 70 + ":yes"),
    ],
)
def test_malformed_button_data_is_free_text(data: str) -> None:
    assert parse_button(data) == FREE_TEXT


@settings(database=None)
@given(st.text(st.characters(exclude_categories=()), max_size=80))
def test_parse_button_never_raises(data: str) -> None:
    assert isinstance(parse_button(data), Intent)


@pytest.mark.parametrize(
    ("question_id", "answer"),
    [(0, "yes"), (-1, "no"), (2**63, "yes"), (True, "yes"), (1, "maybe"), (1, "6"), (1, "YES")],
)
def test_button_data_refuses_what_parse_button_could_not_read(
    question_id: int, answer: str
) -> None:
    with pytest.raises(ValueError):
        button_data(question_id, answer)
