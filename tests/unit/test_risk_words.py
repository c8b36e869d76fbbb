"""Which free-text messages reach the mentor today: a table of Danish and English cases."""

from __future__ import annotations

import pytest

from handlers.risk_words import PHRASES, RiskTopic, worrying_topics


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Jeg har fået et tilbagefald", [RiskTopic.RELAPSE]),
        ("har drukket igen i weekenden", [RiskTopic.RELAPSE]),
        ("I relapsed last night", [RiskTopic.RELAPSE]),
        ("Jeg er HJEMLØS nu!!", [RiskTopic.HOMELESSNESS]),
        ("er blevet smidt ud af min kæreste", [RiskTopic.HOMELESSNESS]),
        ("I got evicted", [RiskTopic.HOMELESSNESS]),
        ("jeg vil ikke leve mere", [RiskTopic.SELF_HARM]),
        ("tænker på selvmord", [RiskTopic.SELF_HARM]),
        ("I don't want to live anymore", [RiskTopic.SELF_HARM]),
        ("han truer mig med en kniv", [RiskTopic.VIOLENCE]),
        ("i will kill him", [RiskTopic.VIOLENCE]),
        ("blev smidt ud og har drukket igen", [RiskTopic.RELAPSE, RiskTopic.HOMELESSNESS]),
        # Ordinary messages, including words that merely contain a risk word.
        ("ja tak", []),
        ("hvem er det?", []),
        ("det går fint, skal på arbejde i morgen", []),
        ("det er skudår i år", []),
        ("", []),
        ("🙂👍", []),
    ],
)
def test_topics(text, topics):
    assert worrying_topics(text) == topics


def test_every_listed_phrase_is_found_in_a_sentence():
    for topic, phrases in PHRASES.items():
        for phrase in phrases:
            assert topic in worrying_topics(f"hej. {phrase.upper()}, ok?"), phrase
