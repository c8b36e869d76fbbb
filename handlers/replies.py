"""The reply parser: what a text or a Telegram button press means, as one `Intent`.

Pure: no I/O, never raises for any `str`. The conversation logic applies the intent to the
open question. When the parser would have to guess, the answer is FREE_TEXT, which a person
reads. Decisions:

1. Text is normalised with NFKC and casefold; æ/ø/å fold to ae/oe/aa (so "hjaelp" is "hjælp"
   and "paa" is "på"), other accents are dropped, letters typed 3+ times count once ("jaaa"),
   and only runs of letters and digits are kept: punctuation, emoji and symbols are ignored
   wherever they stand. Texts over 200 characters are FREE_TEXT without further analysis.
2. STOP and START need the keyword alone ("STOP", "stop!", "/stop", "Stop all"). "stop med at
   skrive til mig" is FREE_TEXT: a sentence that merely contains the word (or "kan ikke
   stoppe") must reach a person, never silently unsubscribe someone. CANCEL, END and QUIT are
   opt-outs as the SMS carriers treat them, never "cancel my meeting".
3. Anything else must consist entirely of known phrases that all mean the same thing;
   politeness ("tak", "hej", "desværre", "please") is ignored. "ja tak", "nej, kan ikke",
   "ja ja" and "4 tak" are clear; "ja nej", "3 eller 4", "ja men kan ikke", any unknown word
   ("hvem er det?") and politeness alone ("tak") are FREE_TEXT.
4. Scores are 1-5 as an ASCII digit after NFKC (full-width and superscript digits count,
   Arabic-Indic ones do not) or a number word (en/et/én, to, tre, fire, fem; one..five).
   "4/5", "4 af 5", "4 ud af 5" and "4 out of 5" mean 4 out of 5; any other "a/b" ("3/4")
   is FREE_TEXT, like "3 4" and "4,5".
5. "OK 123", "ok #123" and "ack 123" acknowledge alert 123. The parser does not know who is
   writing, so "ok 4" is ACK 4 as well; citizens are never asked to write "ok <number>".
   A bare "ok" is YES.
6. HELP is the keyword alone (hjælp, help, info, "?"); "hjælp mig" is FREE_TEXT, so a cry for
   help reaches the mentor. A message of only 👍/👌 is YES and of only 👎 is NO.
7. LANGUAGE: "sprog en", "language da", "/language en", "english", "dansk", "på engelsk".
   "en" alone is the number one. Telegram's "/cmd@BotName" form is read as "/cmd"; a deep
   link "/start <code>" is FREE_TEXT here and belongs to the Telegram handler.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.channels.buttons import MAX_REFERENCE, button_data

__all__ = ["Intent", "IntentKind", "button_data", "parse_button", "parse_reply"]


class IntentKind(enum.StrEnum):
    YES = "yes"
    NO = "no"
    SCORE = "score"
    HELP = "help"
    STOP = "stop"
    START = "start"
    LANGUAGE = "language"
    ACK = "ack"
    FREE_TEXT = "free_text"


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    score: int | None = None  # 1-5 for SCORE
    language: str | None = None  # "da"/"en" for LANGUAGE
    reference: int | None = None  # question message id from a button, or alert id for ACK


MAX_ANALYSED_LENGTH = 200

# Vocabulary, written as people type it; it is normalised exactly like incoming text.
_STOP = (
    *("stop", "stopp", "stop all", "stopall", "afmeld", "frameld", "unsubscribe", "cancel"),
    *("end", "quit", "optout", "opt out", "revoke"),
)
_START = ("start", "tilmeld", "unstop", "genstart", "subscribe")
_HELP = ("hjælp", "hjalp", "hjelp", "help", "info")
_YES = (
    *("ja", "jaa", "jah", "jo", "jep", "jeps", "jepper", "gerne", "klart", "selvfølgelig"),
    *("det passer", "det gør jeg", "jeg kommer", "ok", "okay", "okey", "okej", "oki"),
    *("yes", "yep", "yup", "yeah", "yea", "sure", "of course", "i will", "i'll be there"),
)
_NO = (
    *("nej", "nope", "nah", "nix", "næ", "næh", "no", "kan ikke komme", "jeg kan ikke komme"),
    *("kan ikke", "kan ikk", "kan ik", "jeg kan ikke", "jeg kan ikk", "jeg kan ik"),
    *("kommer ikke", "kommer ikk", "kommer ik", "jeg kommer ikke", "jeg kommer ikk"),
    *("can't", "cant", "cannot", "can not", "i can't", "i cannot", "i can't come", "won't"),
    *("i won't", "not coming", "i'm not coming"),
)
_POLITENESS = (
    *("tak", "mange tak", "tusind tak", "tak skal du have", "desværre", "hej", "hejsa"),
    *("please", "pls", "plz", "thanks", "thank you", "thx", "ty", "sorry", "hi", "hello"),
)
_SCORE_WORDS = {
    1: ("1", "en", "et", "én", "one"),
    2: ("2", "to", "two"),
    3: ("3", "tre", "three"),
    4: ("4", "fire", "four"),
    5: ("5", "fem", "five"),
}
_OUT_OF_FIVE = ("af 5", "ud af 5", "of 5", "out of 5", "af fem", "ud af fem", "out of five")
_LANGUAGE_NAMES = {"en": ("english", "engelsk"), "da": ("dansk", "danish")}  # alone, "på dansk"
_LANGUAGE_CODES = {"en": ("en", "eng"), "da": ("da", "dk", "dan")}  # "sprog en"
_LANGUAGE_COMMANDS = ("sprog", "language", "lang", "skift sprog til", "change language to")
_ACK_WORDS = frozenset({"ok", "okay", "ack"})
_EMOJI = {"?": IntentKind.HELP, "👍": IntentKind.YES, "👌": IntentKind.YES, "👎": IntentKind.NO}
_EMOJI_MODIFIERS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")

_BUTTON = re.compile(r"a:([1-9][0-9]{0,18}):(yes|no|ack|[1-5])")
_BUTTON_KINDS = {"yes": IntentKind.YES, "no": IntentKind.NO, "ack": IntentKind.ACK}

_WORD = re.compile(r"[^\W_]+")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_SLASH_FIVE = re.compile(r"(?<![0-9])([0-9])\s*/\s*5(?![0-9])")
_BOT_COMMAND = re.compile(r"^(\s*/\w+)@\w+")
_DANISH_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})

_FREE_TEXT = Intent(IntentKind.FREE_TEXT)


def _tokens(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _BOT_COMMAND.sub(r"\1", text)
    text = _STRETCHED.sub(r"\1", text)
    text = _SLASH_FIVE.sub(r"\1 af 5", text)
    text = unicodedata.normalize("NFD", text.translate(_DANISH_FOLD))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return tuple(_WORD.findall(text))


def _table(entries: Iterable[tuple[str, Intent | None]]) -> dict[tuple[str, ...], Intent | None]:
    table: dict[tuple[str, ...], Intent | None] = {}
    for phrase, meaning in entries:
        if table.setdefault(_tokens(phrase), meaning) != meaning:
            raise ValueError(f"vocabulary gives {phrase!r} two meanings")
    return table


def _phrase_entries() -> Iterator[tuple[str, Intent | None]]:
    yield from ((phrase, Intent(IntentKind.YES)) for phrase in _YES)
    yield from ((phrase, Intent(IntentKind.NO)) for phrase in _NO)
    yield from ((phrase, Intent(IntentKind.HELP)) for phrase in _HELP)
    yield from ((phrase, None) for phrase in _POLITENESS)
    for score, words in _SCORE_WORDS.items():
        for word in words:
            yield word, Intent(IntentKind.SCORE, score=score)
            for out_of_five in _OUT_OF_FIVE:
                yield f"{word} {out_of_five}", Intent(IntentKind.SCORE, score=score)
    for code, names in _LANGUAGE_NAMES.items():
        language = Intent(IntentKind.LANGUAGE, language=code)
        for name in names:
            yield from ((f"{prefix} {name}", language) for prefix in ("", "på", "in"))
        for word in (*names, *_LANGUAGE_CODES[code]):
            yield from ((f"{command} {word}", language) for command in _LANGUAGE_COMMANDS)


_ALONE = _table(
    [(word, Intent(IntentKind.STOP)) for word in _STOP]
    + [(word, Intent(IntentKind.START)) for word in _START]
)
_PHRASES = _table(_phrase_entries())
_LONGEST_PHRASE = max(map(len, _PHRASES))


def parse_reply(text: str) -> Intent:
    """Return what a citizen's or mentor's message means (see the module docstring)."""
    if len(text) > MAX_ANALYSED_LENGTH:
        return _FREE_TEXT
    tokens = _tokens(text)
    if not tokens:
        return _emoji_meaning(text)
    alone = _ALONE.get(tokens)
    if alone is not None:
        return alone
    return _phrases_meaning(tokens)


def _emoji_meaning(text: str) -> Intent:
    kinds = {
        _EMOJI.get(char)
        for char in unicodedata.normalize("NFKC", text)
        if not char.isspace() and char not in _EMOJI_MODIFIERS
    }
    kind = kinds.pop() if len(kinds) == 1 else None
    return _FREE_TEXT if kind is None else Intent(kind)


def _phrases_meaning(tokens: tuple[str, ...]) -> Intent:
    """Read `tokens` as a run of known phrases that all mean the same thing.

    Dynamic programming from the end: `readings[i]` holds every meaning that `tokens[i:]`
    can have (None: politeness only). A phrase that contradicts the rest of the message ends
    that reading, so "ja nej" has no reading and "ja ja tak" has exactly one, YES. More than
    one surviving meaning would be a guess, and is FREE_TEXT too.
    """
    readings: list[set[Intent | None]] = [set() for _ in range(len(tokens) + 1)]
    readings[-1].add(None)
    for start in reversed(range(len(tokens))):
        for length, meaning in _phrases_at(tokens, start):
            for rest in readings[start + length]:
                if meaning is None or rest is None or meaning == rest:
                    readings[start].add(rest if meaning is None else meaning)
    meanings = [meaning for meaning in readings[0] if meaning is not None]
    return meanings[0] if len(meanings) == 1 else _FREE_TEXT


def _phrases_at(tokens: tuple[str, ...], start: int) -> Iterator[tuple[int, Intent | None]]:
    for length in range(1, min(_LONGEST_PHRASE, len(tokens) - start) + 1):
        phrase = tokens[start : start + length]
        if phrase in _PHRASES:
            yield length, _PHRASES[phrase]
    if tokens[start] in _ACK_WORDS and start + 1 < len(tokens):
        reference = _reference(tokens[start + 1])
        if reference is not None:
            yield 2, Intent(IntentKind.ACK, reference=reference)


def _reference(token: str) -> int | None:
    if len(token) > 18 or not (token.isascii() and token.isdigit()):
        return None
    return int(token) or None


def parse_button(data: str) -> Intent:
    """Return the intent of callback data made by `button_data`; anything else is FREE_TEXT."""
    match = _BUTTON.fullmatch(data)
    if match is None or int(match[1]) > MAX_REFERENCE:
        return _FREE_TEXT
    reference, answer = int(match[1]), match[2]
    if answer in _BUTTON_KINDS:
        return Intent(_BUTTON_KINDS[answer], reference=reference)
    return Intent(IntentKind.SCORE, score=int(answer), reference=reference)
