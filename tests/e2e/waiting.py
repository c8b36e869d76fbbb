"""Waiting for something another task or thread does: poll with a bounded deadline."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 10.0) -> T: ...
@overload
async def eventually(check: Callable[[], T | None], within: float = 10.0) -> T: ...


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Call ``check`` (sync, like a fake server's record, or async, like a database query)
    until its result is truthy; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(0.02)
