"""What the SQL stores need of a database: a cursor to run statements, and the dialect it speaks.

:class:`Cursor` is the part of a DB-API cursor the stores use; a :class:`Dialect`
says what differs between SQLite and PostgreSQL (column types, locking clauses,
how times, dates and flags are kept). Everything SQL in the store (the schema,
the rows, the stores, the report statements) uses these two, and this module
imports none of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from ethical_decisions.exceptions import StoreError

__all__ = ["POSTGRES", "SQLITE", "Cursor", "Dialect", "utc"]


class Cursor(Protocol):
    """The part of a DB-API cursor the SQL stores use."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> object:
        """Run one statement."""

    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> object:
        """Run one statement once per row of *params*."""

    def fetchone(self) -> Any:
        """The next row, or ``None``."""

    def fetchall(self) -> list[Any]:
        """The remaining rows."""


def utc(value: dt.datetime) -> dt.datetime:
    """*value* in UTC.

    :raises StoreError: if *value* has no timezone: the store cannot tell when it was.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(
            "The store was given a time without a timezone; pass timezone-aware times, e.g. in UTC."
        )
    return value.astimezone(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time without a timezone")
    return value.astimezone(dt.UTC)


def _sqlite_read_time(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError("not text")
    found = dt.datetime.fromisoformat(value)
    if found.tzinfo is dt.UTC:  # as the store writes them
        return found
    return _aware(found)


def _sqlite_read_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise TypeError("not text")
    return dt.date.fromisoformat(value)


def _postgres_read_time(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError("not a time")
    return _aware(value)


def _postgres_read_date(value: Any) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError("not a date")
    return value


@attrs.frozen
class Dialect:
    """What differs between the SQL databases: column types, locking clauses, and how values are kept.

    :param types: fills the type placeholders of the schema's statements.
    :param lock: appended to a ``SELECT`` that must lock the rows it reads.
    :param claim: appended to the relay's ``SELECT`` of due outbox rows.
    :param read_time: a time column's value as an aware UTC datetime; raises
        ``ValueError`` or ``TypeError`` for anything else (see :meth:`Table.values`).
    :param read_date: likewise for a date column.
    """

    name: str
    types: Mapping[str, str]
    lock: str
    claim: str
    time: Callable[[dt.datetime], object]
    read_time: Callable[[Any], dt.datetime]
    date: Callable[[dt.date], object]
    read_date: Callable[[Any], dt.date]
    flag: Callable[[bool], object]


def _sqlite_time(value: dt.datetime) -> str:
    # Fixed width, always with microseconds and "Z", so that text order is time order.
    moment = utc(value)
    if moment.year >= 1000:  # isoformat is several times faster than strftime and, from year 1000, the same
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


SQLITE = Dialect(
    name="sqlite",
    types={
        "id": "TEXT",
        "bigint": "INTEGER",
        "time": "TEXT",
        "date": "TEXT",
        "flag": "INTEGER",
        "false": "0",
    },
    lock="",
    claim="",
    time=_sqlite_time,
    read_time=_sqlite_read_time,
    date=dt.date.isoformat,
    read_date=_sqlite_read_date,
    flag=int,
)
"""SQLite: times as ISO 8601 UTC text, dates as ISO text, flags as 0 and 1; one writer at a time."""


def _identity(value: Any) -> Any:
    return value


POSTGRES = Dialect(
    name="postgresql",
    types={
        "id": 'TEXT COLLATE "C"',
        "bigint": "BIGINT",
        "time": "TIMESTAMPTZ",
        "date": "DATE",
        "flag": "BOOLEAN",
        "false": "FALSE",
    },
    lock=" FOR UPDATE",
    claim=" FOR UPDATE SKIP LOCKED",
    time=utc,
    read_time=_postgres_read_time,
    date=_identity,
    read_date=_postgres_read_date,
    flag=bool,
)
"""PostgreSQL: native times, dates and booleans; ids in the "C" collation so they sort as in Python."""
