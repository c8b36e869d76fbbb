"""EXPLAIN the statements our own code sends, on SQLite and PostgreSQL (tests and benchmarks).

``plan_of(database, call)`` runs ``call(session)`` in a transaction it rolls back, captures the
one statement on ``messages`` it sent to the driver (with its parameters, as sent), and returns
the engine's plan for it as text (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL);
``plans_of`` does the same for every statement it sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database


async def plan_of(
    database: Database, call: Callable[[AsyncSession], Awaitable[object]], table: str = "messages"
) -> str:
    plans = await plans_of(database, call, table)
    if len(plans) != 1:
        raise AssertionError(f"expected one statement on {table}, got {len(plans)}")
    return plans[0]


async def plans_of(
    database: Database, call: Callable[[AsyncSession], Awaitable[object]], table: str = "messages"
) -> list[str]:
    """The plan of every statement on ``table`` that ``call`` sent, in order."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, sql: str, parameters: Any, *_: object) -> None:
        if table in sql:
            sent.append((sql, parameters))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        async with database.engine.connect() as connection:
            await call(AsyncSession(bind=connection))
            await connection.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    explain = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "
    plans = []
    async with database.engine.connect() as connection:
        for sql, parameters in sent:
            rows = await connection.exec_driver_sql(explain + sql, parameters)
            plans.append("\n".join(" ".join(str(value) for value in row) for row in rows))
    return plans
