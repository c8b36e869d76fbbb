"""Telegram: the citizen's (and mentor's) chat with the bot, by polling or by webhook.

Every handler is a thin edge: it turns the update into an ``Inbound`` and hands it to the
conversation service, which logs it, acts and plans the reply in the outbox (the dispatcher
sends it). The update id makes each update count once, however often Telegram delivers it.

- ``/start <code>``: the deep link from enrolment links this chat to the participant;
  ``/start`` from a known chat re-subscribes. ``/help``, ``/stop``, ``/language [da|en]``.
- Text: parsed like an SMS. Anything else (a photo, a voice message) is logged as "[voice]"
  etc. and acknowledged, so a person sees that something came.
- Buttons: the callback data names the question (or alert) it answers; every callback query is
  answered, even when handling it fails, so the citizen's button stops spinning, and the
  answered message loses its buttons.
- ``my_chat_member``: blocking the bot marks the chat opted out (the SMS address, if any, takes
  over); unblocking makes it reachable again.
- Webhook mode: ``POST /telegram/webhook`` checks ``X-Telegram-Bot-Api-Secret-Token`` in
  constant time (403 otherwise), queues the update and answers 200 at once; the bot registers
  the webhook with ``setWebhook`` at start-up. Only private chats are served.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request, Response
from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.clock import Clock
from bot.config import Settings, TelegramMode
from bot.db import Database
from bot.models import ChannelKind
from handlers.conversation import (
    Conversation,
    Handled,
    Inbound,
    receive,
)
from handlers.replies import Intent, IntentKind, parse_button, parse_reply
from handlers.subscription import telegram_membership_changed

if TYPE_CHECKING:
    from bot.app import Runtime

logger = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
_INTAKE = "brobygger_intake"
_ATTACHMENTS: tuple[str, ...] = (
    *("voice", "audio", "photo", "video", "video_note", "sticker", "animation"),
    *("document", "location", "contact", "poll", "dice"),
)

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class TelegramIntake:
    """What the handlers need from the runtime; kept in the Application's ``bot_data``."""

    database: Database
    conversation: Conversation
    clock: Clock

    async def receive(
        self,
        update: Update,
        text: str,
        *,
        intent: Intent | None = None,
        start_code: str | None = None,
    ) -> Handled | None:
        chat = update.effective_chat
        if chat is None:
            return None
        inbound = Inbound(
            provider="telegram",
            external_id=str(update.update_id),
            channel=ChannelKind.TELEGRAM,
            address=str(chat.id),
            text=text,
            received_at=self.clock.now(),
            intent=intent,
            start_code=start_code,
            language_hint=update.effective_user.language_code if update.effective_user else None,
        )
        return await receive(
            self.database,
            inbound,
            conversation=self.conversation,
            clock=self.clock,
        )


def _intake(context: ContextTypes.DEFAULT_TYPE) -> TelegramIntake:
    intake: TelegramIntake = context.bot_data[_INTAKE]
    return intake


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = (message.text if message else None) or "/start"
    code = context.args[0] if context.args else None
    await _intake(context).receive(update, text, intent=Intent(IntentKind.START), start_code=code)


def command(intent: Intent) -> Handler:
    async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        text = (message.text if message else None) or ""
        await _intake(context).receive(update, text, intent=intent)

    return on_command


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = (message.text if message else None) or "/language"
    intent = parse_reply(text)
    if intent.kind is not IntentKind.LANGUAGE:
        intent = Intent(IntentKind.LANGUAGE)  # no or unknown language: explain the choice
    await _intake(context).receive(update, text, intent=intent)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.text is not None:
        await _intake(context).receive(update, message.text)
        return
    kind = next((name for name in _ATTACHMENTS if getattr(message, name, None)), "message")
    text = message.caption or f"[{kind}]"
    await _intake(context).receive(update, text, intent=Intent(IntentKind.FREE_TEXT))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        data = query.data or ""
        intent = parse_button(data)
        await _intake(context).receive(update, data, intent=intent)
        if intent.kind is not IntentKind.FREE_TEXT and query.message is not None:
            # Answered: take the buttons away, so the chat shows one open question at a time.
            with contextlib.suppress(TelegramError):
                await query.edit_message_reply_markup(reply_markup=None)
    finally:
        await query.answer()


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    intake = _intake(context)
    async with intake.database.session() as session:
        await telegram_membership_changed(
            session,
            external_id=str(update.update_id),
            chat_id=str(change.chat.id),
            blocked=blocked,
            now=intake.clock.now(),
        )


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The traceback may quote a message body (database parameters): DEBUG only.
    error = context.error
    logger.error("a Telegram update failed: %s", type(error).__name__)
    logger.debug("Telegram update failure", exc_info=error)


def build_application(
    settings: Settings, intake: TelegramIntake, bot: ExtBot[Any]
) -> TelegramApplication:
    """The PTB Application on the shared ``bot`` (the one the Telegram channel sends with),
    with every handler registered; started by ``start_telegram``."""
    builder = Application.builder().bot(bot)
    if settings.telegram_mode is TelegramMode.WEBHOOK:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data[_INTAKE] = intake
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", on_start, filters=private))
    application.add_handler(
        CommandHandler(["help", "hjaelp"], command(Intent(IntentKind.HELP)), filters=private)
    )
    application.add_handler(
        CommandHandler(["stop", "afmeld"], command(Intent(IntentKind.STOP)), filters=private)
    )
    application.add_handler(CommandHandler(["language", "sprog"], on_language, filters=private))
    application.add_handler(MessageHandler(private, on_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(_log_error)
    return application


async def start_telegram(application: TelegramApplication, settings: Settings) -> None:
    """Start receiving: register the webhook, or start polling (after deleting any webhook)."""
    await application.initialize()
    await application.start()
    if settings.telegram_mode is TelegramMode.WEBHOOK:
        secret = settings.telegram_webhook_secret
        await application.bot.set_webhook(
            url=settings.public_url + TELEGRAM_PATH,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=ALLOWED_UPDATES,
        )
    elif application.updater is not None:
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
    logger.info(
        "Telegram bot @%s receiving by %s", application.bot.username, settings.telegram_mode
    )


async def stop_receiving(application: TelegramApplication) -> None:
    """Stop polling and handling updates; safe after a failed or partial start.

    ``application.shutdown()`` comes later, from the runtime: it shuts the shared bot down,
    which the dispatcher may still be sending with.
    """
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()


router = APIRouter()


@router.post(TELEGRAM_PATH, include_in_schema=False)
async def telegram_webhook(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    application = runtime.telegram_application
    secret = runtime.settings.telegram_webhook_secret
    if (
        application is None
        or secret is None
        or runtime.settings.telegram_mode is not TelegramMode.WEBHOOK
    ):
        raise HTTPException(status_code=404, detail="the Telegram webhook is not enabled")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise HTTPException(status_code=403, detail="wrong secret token")
    try:
        data = json.loads(await request.body())
        update = Update.de_json(data, application.bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise HTTPException(status_code=400, detail="not a Telegram update") from None
    if update is None:
        raise HTTPException(status_code=400, detail="not a Telegram update")
    await application.update_queue.put(update)
    return Response(status_code=200)
