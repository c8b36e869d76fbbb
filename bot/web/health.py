"""``GET /healthz``: is the service up, and can it reach its database?"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.db import Database

logger = logging.getLogger(__name__)
router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    database: Database = request.app.state.runtime.database
    try:
        async with database.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not healthy"; the reason goes to the log
        logger.warning("health check: database unreachable (%s)", type(error).__name__)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
