"""The channel registry: one channel per ``ChannelKind``, built from the settings.

A channel whose credentials are set is live; one without is replaced by the simulator, so
``make run`` works on a fresh machine and every message still lands in the database (the
dashboard's phone simulator shows it). The ``simulator`` channel is always the simulator.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.channels.base import Channel
from bot.channels.simulator import Simulator
from bot.channels.sms import TwilioSms, open_twilio_client
from bot.channels.telegram import TelegramChannel, open_telegram_bot
from bot.config import Settings
from bot.i18n import Catalogs
from bot.models import ChannelKind

logger = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/twilio/status"


@dataclass
class OpenChannels:
    channels: dict[ChannelKind, Channel]
    telegram_bot: ExtBot[int] | None = None
    live: list[str] = field(default_factory=list)
    simulated: list[str] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    async def close(self) -> None:
        for close in reversed(self._closers):
            try:
                await close()
            except Exception:
                logger.exception("closing a channel failed")


async def open_channels(settings: Settings, catalogs: Catalogs) -> OpenChannels:
    """Build every channel inside the running loop (the lifespan); ``close()`` on shutdown."""
    opened = OpenChannels(channels={ChannelKind.SIMULATOR: Simulator()})
    if settings.twilio_enabled:
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
        client, session = open_twilio_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            api_url=settings.twilio_api_url,
            max_connections=settings.dispatch_concurrency,
        )
        opened._closers.append(session.close)
        opened.channels[ChannelKind.SMS] = TwilioSms(
            client,
            from_number=settings.twilio_from,
            catalogs=catalogs,
            timeout=settings.send_timeout_seconds,
            status_callback_url=settings.public_url + STATUS_CALLBACK_PATH,
        )
        opened.live.append("sms (twilio)")
    else:
        opened.channels[ChannelKind.SMS] = Simulator(ChannelKind.SMS)
        opened.simulated.append("sms")
    if settings.telegram_token is not None:
        bot = open_telegram_bot(
            settings.telegram_token.get_secret_value(), api_url=settings.telegram_api_url
        )
        try:
            await bot.initialize()
        except TelegramError as error:
            # Sends still work once the API answers; the dispatcher retries them.
            logger.warning("Telegram did not answer at start-up: %s", type(error).__name__)
        opened._closers.append(bot.shutdown)
        opened.telegram_bot = bot
        opened.channels[ChannelKind.TELEGRAM] = TelegramChannel(
            bot, catalogs=catalogs, timeout=settings.send_timeout_seconds
        )
        opened.live.append("telegram")
    else:
        opened.channels[ChannelKind.TELEGRAM] = Simulator(ChannelKind.TELEGRAM)
        opened.simulated.append("telegram")
    opened.simulated.append("simulator")
    return opened
