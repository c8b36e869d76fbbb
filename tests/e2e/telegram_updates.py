"""Telegram update JSON as the Bot API sends it, for webhook and polling tests."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram import BOT_USER

DATE = 1_768_201_200  # 2026-01-12 07:00 UTC


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Jonas"}


def chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Jonas"}


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": DATE,
        "chat": chat(chat_id),
        "from": user(chat_id),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def button_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": DATE,
                "chat": chat(chat_id),
                "from": BOT_USER,
                "text": "Kan du komme?",
            },
        },
    }


def blocked_update(update_id: int, chat_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": chat(chat_id),
            "from": user(chat_id),
            "date": DATE,
            "old_chat_member": {"user": BOT_USER, "status": "member"},
            "new_chat_member": {"user": BOT_USER, "status": "kicked", "until_date": 0},
        },
    }
