"""The dashboard's own words: English in the templates, Danish from this table.

The UI is Danish by default and English on request (the language switch). Templates call
``_("English text")``; a test checks that every such text has a Danish entry here. Citizen-facing
texts are a different thing and live in ``bot/locale`` (Babel catalogs).
"""

from __future__ import annotations

from collections.abc import Callable

UI_LANGUAGES = ("da", "en")


def ui_language(language: str | None) -> str:
    return language if language in UI_LANGUAGES else "da"


def translator(language: str) -> Callable[[str], str]:
    if language == "en":
        return lambda text: text
    return lambda text: DANISH.get(text, text)


DANISH: dict[str, str] = {}
