"""The deployment settings (admins, read-only): retention, quiet hours, planning and the rest a
data protection officer needs to know, each with what it means and where it is set.

Read-only on purpose: these come from the environment (``BROBYGGER_...``), so changing one is a
deployment change, reviewed where the service is configured (``bot.web.deployment_settings``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.web.access import Action, PageViewer, runtime_of
from bot.web.deployment_settings import deployment_settings
from bot.web.templating import pages_of

router = APIRouter(include_in_schema=False)


@router.get("/settings")
async def settings_page(request: Request, viewer: PageViewer) -> Response:
    viewer.require(Action.CONFIGURE)
    sections = deployment_settings(runtime_of(request).settings)
    return pages_of(request).render(request, "settings.html", viewer=viewer, sections=sections)
