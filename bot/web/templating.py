"""Server-rendered pages: one Jinja2 environment with autoescape, and the UI language.

Every value from a citizen or a colleague goes into templates as data and is escaped by Jinja2's
autoescape; no template marks such a value ``|safe``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.web.access import Viewer, session_of
from bot.web.ui_text import translator, ui_language

TEMPLATES = Path(__file__).parent / "templates"


class Pages:
    """Renders the dashboard's templates in the viewer's language and local time."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["local"] = self.local
        self.env.filters["day"] = self.day
        self.env.filters["isodate"] = lambda v: v.astimezone(self.tz).date().isoformat()
        self.env.filters["hhmm"] = lambda v: v.astimezone(self.tz).strftime("%H:%M")

    def local(self, value: datetime | None) -> str:
        return value.astimezone(self.tz).strftime("%d.%m.%Y %H:%M") if value else ""

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return value.strftime("%d.%m.%Y")

    def render(
        self,
        request: Request,
        template: str,
        *,
        viewer: Viewer | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        session = session_of(request)
        language = ui_language(viewer.language if viewer else session.language)
        html = self.env.get_template(template).render(
            _=translator(language),
            lang=language,
            csrf_token=session.csrf,
            viewer=viewer,
            path=request.url.path,
            unread_replies=getattr(request.state, "unread_replies", 0),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages
