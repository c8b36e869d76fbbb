"""Bulk inserts in the database driver's own form, past SQLAlchemy's per-row parameter handling.

For the few inserts of thousands of rows in one unit of work (the outbox's ``plan_many``, the
planner's check-ins): through SQLAlchemy each value of each row goes through its column type
and the statement's parameter bookkeeping one at a time, which cost more CPU than the database
spent storing the row. Here the caller converts values with the columns' own bind processors
(``DriverValues``: so a row holds exactly what the models would write, e.g. UTC text on
SQLite, an encrypted body) and the rows go in as one statement:

- SQLite: the driver's ``executemany`` of one ``INSERT``, or a multi-row ``VALUES`` when the
  new rows are wanted back (``RETURNING`` does not work with ``executemany``);
- PostgreSQL: ``INSERT ... SELECT ... FROM unnest(<one array per column>)``, one round trip.

Columns that are the same for every row (``constants``) are bound once. Nothing else of the
model layer runs: no Python-side column defaults, no ORM events, so callers give every value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models.base import EncryptedText

# Bound parameters per statement on SQLite: below its limit of 32,766.
SQLITE_PARAMETERS = 30_000
# Rows per multi-row VALUES on SQLite, at most (see ``_chunk_sizes``).
SQLITE_ROWS = 512


class DriverValues:
    """The columns' own conversions of a table to the driver's form, on one dialect."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.dialect = dialect
        self._processors: dict[str, Callable[[Any], Any]] = {}

    def processor(self, name: str) -> Callable[[Any], Any]:
        process = self._processors.get(name)
        if process is None:
            column: Column[Any] = self.table.c[name]
            found = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            process = self._processors[name] = found if found is not None else _same

        return process

    def memoized(self, name: str) -> Callable[[Any], Any]:
        """``processor(name)``, each distinct value converted once (a batch's rows share a few
        instants and enum values). Refused for an encrypted column: equal texts would share a
        ciphertext, which ``schedules.new_checkins`` does only where that says nothing new."""
        if isinstance(self.table.c[name].type, EncryptedText):
            raise ValueError(f"{self.table.name}.{name} is encrypted: convert each value")
        process = self.processor(name)
        converted: dict[Any, Any] = {}

        def memoized(value: Any) -> Any:
            try:
                return converted[value]
            except KeyError:
                result = converted[value] = process(value)
                return result

        return memoized

    def row(self, names: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(self.processor(name)(value) for name, value in zip(names, values, strict=True))


def _same(value: Any) -> Any:
    return value


async def insert_rows(
    session: AsyncSession,
    values: DriverValues,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    constants: Mapping[str, Any] | None = None,
    suffix: str = "",
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, in the driver's form) plus ``constants``
    (model values, converted here); ``suffix`` follows the statement (``ON CONFLICT ...``).
    Returns how many rows went in."""
    if not rows:
        return 0
    names, bound = _constants(values, constants)
    connection = await session.connection()
    if values.dialect.name == "postgresql":
        statement = _postgresql(values, tuple(columns), names, suffix, ())
        result = await connection.exec_driver_sql(statement, (*_arrays(rows, columns), *bound))
    else:
        statement = _sqlite(values.table.name, (*columns, *names), suffix, (), 1)
        result = await connection.exec_driver_sql(statement, [row + bound for row in rows])
    return int(result.rowcount)


async def insert_returning(
    session: AsyncSession,
    values: DriverValues,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    returning: Sequence[str],
    constants: Mapping[str, Any] | None = None,
    suffix: str = "",
) -> list[tuple[Any, ...]]:
    """``insert_rows``, returning the ``returning`` columns of each new row (in the driver's
    form, in no particular order: neither database promises the rows' order)."""
    if not rows:
        return []
    names, bound = _constants(values, constants)
    connection = await session.connection()
    returned: list[tuple[Any, ...]] = []
    if values.dialect.name == "postgresql":
        statement = _postgresql(values, tuple(columns), names, suffix, tuple(returning))
        result = await connection.exec_driver_sql(statement, (*_arrays(rows, columns), *bound))
        returned += cast("list[tuple[Any, ...]]", result.all())
        return returned
    width = len(columns) + len(names)
    start = 0
    for size in _chunk_sizes(len(rows), min(SQLITE_ROWS, SQLITE_PARAMETERS // width)):
        chunk, start = rows[start : start + size], start + size
        statement = _sqlite(
            values.table.name, (*columns, *names), suffix, tuple(returning), len(chunk)
        )
        parameters = tuple(value for row in chunk for value in row + bound)
        result = await connection.exec_driver_sql(statement, parameters)
        returned += cast("list[tuple[Any, ...]]", result.all())
    return returned


def _chunk_sizes(rows: int, largest: int) -> list[int]:
    """``rows`` as statements of a few sizes only: the largest power of two up to ``largest``
    as often as it fits, then the powers of two of the rest. Every size of multi-row
    ``VALUES`` is a statement SQLite compiles and the driver keeps in its cache (128 per
    connection, megabytes each at thousands of rows): any size at all grew the process by
    tens of megabytes during a planner tick."""
    top = 1 << max(0, largest.bit_length() - 1)
    sizes = [top] * (rows // top)
    rest = rows % top
    sizes += [1 << bit for bit in reversed(range(rest.bit_length())) if rest & (1 << bit)]
    return sizes


def _constants(
    values: DriverValues, constants: Mapping[str, Any] | None
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    if not constants:
        return (), ()
    names = tuple(constants)
    return names, values.row(names, [constants[name] for name in names])


def _arrays(rows: Sequence[tuple[Any, ...]], columns: Sequence[str]) -> list[list[Any]]:
    arrays = [list(column) for column in zip(*rows, strict=True)]
    if len(arrays) != len(columns):
        raise ValueError(f"rows of {len(arrays)} values for {len(columns)} columns")
    return arrays


@functools.lru_cache(maxsize=64)
def _sqlite(
    table: str, columns: tuple[str, ...], suffix: str, returning: tuple[str, ...], rows: int
) -> str:
    row = f"({', '.join('?' * len(columns))})"
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'INSERT INTO "{table}" ({names}) VALUES {", ".join([row] * rows)}'
    return _finish(statement, suffix, returning)


def _postgresql(
    values: DriverValues,
    columns: tuple[str, ...],
    constants: tuple[str, ...],
    suffix: str,
    returning: tuple[str, ...],
) -> str:
    return _postgresql_statement(
        values.table, values.dialect, columns, constants, suffix, returning
    )


@functools.lru_cache(maxsize=64)
def _postgresql_statement(
    table: Table,
    dialect: Dialect,
    columns: tuple[str, ...],
    constants: tuple[str, ...],
    suffix: str,
    returning: tuple[str, ...],
) -> str:
    def type_of(name: str) -> str:
        return str(table.c[name].type.dialect_impl(dialect).compile(dialect=dialect))

    quote = dialect.identifier_preparer.quote

    arrays = ", ".join(
        f"CAST(${n} AS {type_of(name)}[])" for n, name in enumerate(columns, start=1)
    )
    bound = "".join(
        f", CAST(${n} AS {type_of(name)})"
        for n, name in enumerate(constants, start=len(columns) + 1)
    )
    names = ", ".join(quote(name) for name in columns)
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in (*columns, *constants))}) "
        f"SELECT {names}{bound} FROM unnest({arrays}) AS new ({names})"
    )
    return _finish(statement, suffix, returning)


def _finish(statement: str, suffix: str, returning: tuple[str, ...]) -> str:
    if suffix:
        statement += f" {suffix}"
    if returning:
        statement += f" RETURNING {', '.join(returning)}"
    return statement
