"""Telegram reply buttons: the callback-data format and the keyboard for each kind of question.

The format is defined here, in ``bot``, because the Telegram channel builds the buttons; the
reply parser (``handlers.replies.parse_button``) reads the same format back.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.i18n import Catalogs
from bot.models import ReplyChoices

MAX_REFERENCE = 2**63 - 1  # a database BIGINT
BUTTON_ANSWERS = frozenset({"yes", "no", "ack", "1", "2", "3", "4", "5"})


def button_data(question_id: int, answer: str) -> str:
    """Return Telegram callback data (at most 64 bytes) for one answer to one question.

    `answer` is "yes", "no", "1".."5" or "ack" (for an alert id); anything else, or an id
    outside 1..2**63-1, is a programming error and raises ValueError.
    """
    if isinstance(question_id, bool) or not 1 <= question_id <= MAX_REFERENCE:
        raise ValueError(f"question id out of range: {question_id!r}")
    if answer not in BUTTON_ANSWERS:
        raise ValueError(f"unknown button answer: {answer!r}")
    return f"a:{question_id}:{answer}"


def keyboard(
    catalogs: Catalogs,
    language: str | None,
    choices: ReplyChoices | None,
    *,
    question_id: int,
    alert_id: int | None = None,
) -> InlineKeyboardMarkup | None:
    """The inline keyboard for a question: Yes/No, 1-5, or "I'm on it" for an alert."""
    if choices is ReplyChoices.YES_NO:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        catalogs.render(language, texts.BUTTON_YES),
                        callback_data=button_data(question_id, "yes"),
                    ),
                    InlineKeyboardButton(
                        catalogs.render(language, texts.BUTTON_NO),
                        callback_data=button_data(question_id, "no"),
                    ),
                ]
            ]
        )
    if choices is ReplyChoices.SCORE:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        str(score), callback_data=button_data(question_id, str(score))
                    )
                    for score in range(1, 6)
                ]
            ]
        )
    if choices is ReplyChoices.ACK and alert_id is not None:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        catalogs.render(language, texts.BUTTON_TAKE_ALERT),
                        callback_data=button_data(alert_id, "ack"),
                    )
                ]
            ]
        )
    return None
