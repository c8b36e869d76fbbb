"""The declarative base, the naming convention and the column types every model shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, DateTime, Enum, Float, MetaData, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from bot.crypto import installed_keyring

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC on both databases and always loaded as an aware UTC datetime.

    SQLite drops offsets silently, and a naive datetime would be ambiguous, so naive values are
    refused on the way in. On SQLite the value is stored as naive UTC text, which sorts and
    compares correctly in ``due_at <= :now`` queries.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class seconds_between(FunctionElement[float]):  # lower case: it reads as a SQL function
    """``seconds_between(a, b)``: the seconds from instant ``a`` to ``b``, in SQL, on both engines.

    For aggregates over :class:`UTCDateTime` columns (e.g. the median time to reply) that the
    database should sort or sum without loading rows. PostgreSQL subtracts timestamps exactly;
    SQLite stores the instants as UTC text, which ``julianday`` reads to the millisecond.
    """

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


class usually(FunctionElement[bool]):  # lower case: it reads as a SQL function
    """``usually(condition)``: a condition true for most of the rows the rest of the WHERE finds.

    SQLite has no ``ANALYZE`` statistics in a running service, so it takes an equality on the
    first column of any index for a selective one: given "these meetings' messages that are
    still planned", it walked every planned message by ``ix_messages_status_send_after``
    instead of the meetings' few by ``ix_messages_appointment_id``. SQLite's ``likely()`` says
    otherwise (and keeps the wrapped column off any index). PostgreSQL has statistics and gets
    the condition as it is.
    """

    type = Boolean()
    inherit_cache = True
    # It is a condition: rendered as it is, not as "likely(...) = 1" (SQLAlchemy's form for a
    # boolean function on SQLite), which would no longer imply a partial index's WHERE.
    _is_implicitly_boolean = True


@compiles(usually)
def _usually(element: usually, compiler: SQLCompiler, **kw: Any) -> str:
    [condition] = element.clauses
    return f"({compiler.process(condition, **kw)})"


@compiles(usually, "sqlite")
def _usually_sqlite(element: usually, compiler: SQLCompiler, **kw: Any) -> str:
    [condition] = element.clauses
    return f"likely({compiler.process(condition, **kw)})"


class unindexed(FunctionElement[Any]):  # lower case: it reads as a SQL function
    """``unindexed(column)``: the column's value, which SQLite is not to look rows up by.

    SQLite without ``ANALYZE`` statistics joins from the side whose join column has an index:
    counting a consultant's unread inbox, it collected their 12,500 participants and walked
    every inbound message of each by ``ix_messages_inbound`` (240 ms), where reading the small
    partial ``ix_messages_unread_inbox`` and looking each participant up took 23 ms. SQLite's
    unary ``+`` keeps a column off every index; PostgreSQL gets the column as it is.
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> None:
        super().__init__(column)
        [clause] = self.clauses
        self.type = clause.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    [column] = element.clauses
    return compiler.process(column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    [column] = element.clauses
    return f"+{compiler.process(column, **kw)}"


class EncryptedText(TypeDecorator[str]):
    """Text encrypted on the way in and decrypted on the way out (see :mod:`bot.crypto`).

    Stored as a Fernet token in a TEXT column, with the keyring the composition root installed.
    Every token is different even for equal values, so never compare such a column in SQL
    (``Address.address == x`` matches nothing): look addresses up by their keyed hash
    (``bot.services.addresses``). The empty string is stored as is (it says nothing but
    "blank"), so ``body != ''`` still finds the messages retention has not blanked yet.
    """

    impl = Text
    cache_ok = True

    @property
    def python_type(self) -> type[str]:
        return str

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return installed_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return installed_keyring().decrypt(value)


def str_enum(enum_class: type[enum.StrEnum], length: int = 24) -> Enum:
    """A StrEnum stored as its value in a VARCHAR (no native enum type to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    """Default for bookkeeping columns (``created_at``); domain times come from the clock."""
    return datetime.now(UTC)
