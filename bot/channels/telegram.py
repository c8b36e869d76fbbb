"""Telegram through python-telegram-bot's ``Bot`` (an ``ExtBot`` with ``AIORateLimiter``).

The bot is built once in the lifespan (``open_telegram_bot``) with ``TELEGRAM_API_URL`` as its
``base_url``; the conversation side builds its PTB ``Application`` on the same bot. Reply
choices become an inline keyboard whose callback data names the question
(``bot.channels.buttons``). The Bot API accepting a message counts as delivered.
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, ExtBot

from bot.channels.base import Outgoing, Receipt
from bot.channels.buttons import keyboard
from bot.errors import DeliveryError
from bot.i18n import Catalogs
from bot.models import ChannelKind

_DEAD_CHAT = ("chat not found", "user not found", "peer_id_invalid", "chat_id is empty")


def open_telegram_bot(token: str, *, api_url: str) -> ExtBot[int]:
    """The bot every part of the service shares. ``max_retries=0``: the dispatcher retries."""
    return ExtBot(token, base_url=api_url, rate_limiter=AIORateLimiter(max_retries=0))


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(error: TelegramError) -> DeliveryError:
    """One place that turns a Bot API error into a permanent or transient failure."""
    if isinstance(error, Forbidden):
        # Blocked by the user, or the account is deactivated: opted out of this channel.
        return DeliveryError("telegram: blocked or deactivated", permanent=True, opted_out=True)
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns about its int/timedelta migration here
            warnings.simplefilter("ignore")
            retry_after = _seconds(error.retry_after)
        return DeliveryError("telegram: flood control", permanent=False, retry_after=retry_after)
    if isinstance(error, TimedOut):
        if isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
            return DeliveryError("telegram: cannot connect (timeout)", permanent=False)
        return DeliveryError("telegram: no answer in time", permanent=False, may_have_sent=True)
    if isinstance(error, BadRequest):
        if any(words in error.message.lower() for words in _DEAD_CHAT):
            return DeliveryError("telegram: chat not found", permanent=True, unreachable=True)
        return DeliveryError("telegram: request rejected", permanent=True)
    if isinstance(error, ChatMigrated):
        return DeliveryError("telegram: chat migrated", permanent=True, unreachable=True)
    if isinstance(error, InvalidToken):
        return DeliveryError("telegram: token rejected", permanent=False)
    if isinstance(error, NetworkError):
        if isinstance(error.__cause__, httpx.ConnectError):
            return DeliveryError("telegram: cannot connect", permanent=False)
        return DeliveryError("telegram: network or server error", permanent=False)
    return DeliveryError(f"telegram: {type(error).__name__}", permanent=False)


class TelegramChannel:
    """The Telegram channel."""

    kind = ChannelKind.TELEGRAM

    def __init__(self, bot: ExtBot[int], *, catalogs: Catalogs, timeout: float) -> None:
        self.bot = bot
        self._catalogs = catalogs
        self._timeout = timeout

    async def send(self, message: Outgoing) -> Receipt:
        try:
            chat_id = int(message.address)
        except ValueError:
            raise DeliveryError(
                "telegram: not a chat id", permanent=True, unreachable=True
            ) from None
        markup = keyboard(
            self._catalogs,
            message.language,
            message.choices,
            question_id=message.message_id,
            alert_id=message.alert_id,
        )
        try:
            async with asyncio.timeout(self._timeout):
                sent = await self.bot.send_message(
                    chat_id=chat_id, text=message.text, reply_markup=markup
                )
        except TimeoutError:
            raise DeliveryError(
                f"telegram: no answer within {self._timeout:g} s",
                permanent=False,
                may_have_sent=True,
            ) from None
        except TelegramError as error:
            raise classify(error) from None
        return Receipt(provider_id=f"{chat_id}:{sent.message_id}", delivered=True)
