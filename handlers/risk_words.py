"""Words in a citizen's free text that should reach the mentor today, not at the next read.

Pure: ``worrying_topics(text)`` returns the topics a message touches (relapse, homelessness,
self-harm, violence), in Danish and English. Matching is on whole words after the same folding
the reply parser uses (case, accents, æ/ø/å as ae/oe/aa), so "HJEMLØS!" matches "hjemløs"
and "skudår" does not match "skud". A false alarm costs a mentor a look; a missed one
costs more, so the lists lean wide. The alert names the topic, never the text.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping


class RiskTopic(enum.StrEnum):
    RELAPSE = "relapse"
    HOMELESSNESS = "homelessness"
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"


PHRASES: Mapping[RiskTopic, tuple[str, ...]] = {
    RiskTopic.RELAPSE: (
        *("tilbagefald", "faldet i", "røget i igen", "drukket igen", "drikker igen", "druk"),
        *("stoffer", "heroin", "kokain", "amfetamin", "skud", "fixe", "ryger hash igen"),
        *("relapse", "relapsed", "using again", "drinking again", "drugs", "high again"),
    ),
    RiskTopic.HOMELESSNESS: (
        *("hjemløs", "på gaden", "ingen steder at sove", "intet sted at sove", "ingen bolig"),
        *("smidt ud", "sover ude", "sover i bilen", "ingen steder at bo"),
        *("homeless", "on the street", "nowhere to sleep", "nowhere to live", "kicked out"),
        "evicted",
    ),
    RiskTopic.SELF_HARM: (
        *("selvmord", "slå mig selv ihjel", "dræbe mig selv", "tage mit eget liv"),
        *("skade mig selv", "skære i mig selv", "vil ikke leve", "orker ikke at leve"),
        *("vil dø", "ende det hele", "gøre en ende på det"),
        *("suicide", "kill myself", "end it all", "hurt myself", "self harm", "want to die"),
        "don't want to live",
    ),
    RiskTopic.VIOLENCE: (
        *("slå ham ihjel", "slå hende ihjel", "slå dem ihjel", "dræbe", "kniv", "våben"),
        *("pistol", "tæsk", "tæske", "vold", "truet", "truer mig", "banket"),
        *("kill him", "kill her", "kill them", "knife", "gun", "weapon", "threatened"),
        *("beat up", "beaten", "violence", "stab"),
    ),
}

_WORD = re.compile(r"[^\W_]+")
_DANISH_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_DANISH_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " " + " ".join(_WORD.findall(text)) + " "


_FOLDED: Mapping[RiskTopic, tuple[str, ...]] = {
    topic: tuple(_folded(phrase) for phrase in phrases) for topic, phrases in PHRASES.items()
}


def worrying_topics(text: str) -> list[RiskTopic]:
    """The risk topics ``text`` mentions, in a stable order; empty for an ordinary message."""
    folded = _folded(text)
    return [
        topic for topic, phrases in _FOLDED.items() if any(phrase in folded for phrase in phrases)
    ]
