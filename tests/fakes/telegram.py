"""A fake Telegram Bot API server for python-telegram-bot's real ``Bot``.

Point PTB at it with ``base_url=fake.base_url`` (``BROBYGGER_TELEGRAM_API_URL``): the token is
appended, as on the real server. Served methods: ``getMe``, ``sendMessage`` (recorded in
``sent``), ``answerCallbackQuery``, ``editMessageReplyMarkup``, ``editMessageText``,
``getUpdates`` (returns what ``push_update`` queued, answering at once), ``setWebhook``,
``deleteWebhook``, ``getWebhookInfo``, ``setMyCommands``. Every call is in ``requests``.
``error(...)`` builds a Fault shaped like a Bot API error (``retry_after`` -> 429 flood control).
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer, Fault

TOKEN = "123456:fake-telegram-token"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Brobygger",
    "username": "brobygger_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeTelegram(FakeServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self._lock_data = threading.Lock()
        self._sent: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self.webhook: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url`` (the token is appended to it)."""
        return f"{self.url}/bot"

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The ``sendMessage`` calls the fake accepted (their parameters), in order."""
        with self._lock_data:
            return list(self._sent)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates``; ``update_id`` is added when missing."""
        update = {"update_id": next(self._update_ids), **update}
        with self._lock_data:
            self._updates.append(update)
        return update

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._call)

    async def _call(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        outcome = await self.gatekeep(request)
        if isinstance(outcome, web.StreamResponse):
            return outcome
        params = outcome.json if isinstance(outcome.json, dict) else outcome.form
        method = request.match_info["method"]
        handler = getattr(self, f"_method_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return await self.answer(request, {"ok": True, "result": handler(params)})

    def _method_getMe(self, _params: dict[str, Any]) -> Any:
        return BOT_USER

    def _method_sendMessage(self, params: dict[str, Any]) -> Any:
        message_id = next(self._message_ids)
        with self._lock_data:
            self._sent.append({**params, "message_id": message_id})
        chat_id = int(params["chat_id"])
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }

    def _method_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        with self._lock_data:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates)

    def _method_answerCallbackQuery(self, _params: dict[str, Any]) -> Any:
        return True

    def _method_editMessageReplyMarkup(self, _params: dict[str, Any]) -> Any:
        return True

    def _method_editMessageText(self, _params: dict[str, Any]) -> Any:
        return True

    def _method_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    def _method_deleteWebhook(self, _params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    def _method_getWebhookInfo(self, _params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def _method_setMyCommands(self, _params: dict[str, Any]) -> Any:
        return True

    @staticmethod
    def error(
        status: int, description: str, *, retry_after: int | None = None, **extra: Any
    ) -> Fault:
        """A Bot API error, e.g. ``error(403, "Forbidden: bot was blocked by the user")``."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return Fault(status=status, body=body, **extra)
