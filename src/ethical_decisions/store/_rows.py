"""How the SQL stores turn records into rows and back, for SQLite and PostgreSQL alike.

Each table is described once, as columns with a kind (text, time, flag, JSON
array…); a :class:`Dialect` says how each kind is kept in its database. The
column order here is the order of the values in every row this module makes or
reads, and the order of the names in :attr:`Table.names`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ethical_decisions.audit import ChainRecord
from ethical_decisions.compliance import ComplianceRecord, StepUsed
from ethical_decisions.exceptions import StoreError
from ethical_decisions.model import (
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    StaffRole,
    Stage,
)
from ethical_decisions.review import ReferralStatus
from ethical_decisions.serialization import canonical_json

from .base import OutboxMessage, OutboxRow, OutboxStatus

__all__ = [
    "COMPLIANCE",
    "COMPLIANCE_ITEMS",
    "EVENTS",
    "OUTBOX",
    "POSTGRES",
    "REFERRALS",
    "REVIEWS",
    "SQLITE",
    "Dialect",
    "Table",
    "compliance_items",
    "event_values",
    "outbox_row",
    "outbox_values",
    "utc",
]


def utc(value: dt.datetime) -> dt.datetime:
    """*value* in UTC.

    :raises StoreError: if *value* has no timezone: the store cannot tell when it was.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(
            "The store was given a time without a timezone; pass timezone-aware times, e.g. in UTC."
        )
    return value.astimezone(dt.UTC)


def _month(value: dt.datetime) -> str:
    return f"{utc(value):%Y-%m}"


@attrs.frozen
class Dialect:
    """What differs between the SQL databases: column types, locking clauses, and how values are kept.

    :param types: fills the type placeholders of the schema's statements.
    :param lock: appended to a ``SELECT`` that must lock the rows it reads.
    :param claim: appended to the relay's ``SELECT`` of due outbox rows.
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
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


SQLITE = Dialect(
    name="sqlite",
    types={"id": "TEXT", "bigint": "INTEGER", "time": "TEXT", "date": "TEXT", "flag": "INTEGER"},
    lock="",
    claim="",
    time=_sqlite_time,
    read_time=dt.datetime.fromisoformat,
    date=dt.date.isoformat,
    read_date=dt.date.fromisoformat,
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
    },
    lock=" FOR UPDATE",
    claim=" FOR UPDATE SKIP LOCKED",
    time=utc,
    read_time=utc,
    date=_identity,
    read_date=_identity,
    flag=bool,
)
"""PostgreSQL: native times, dates and booleans; ids in the "C" collation so they sort as in Python."""


@attrs.frozen
class _Kind:
    """How one kind of column is written and read."""

    write: Callable[[Dialect, Any], object]
    read: Callable[[Dialect, Any], Any]


def _optional(kind: _Kind) -> _Kind:
    return _Kind(
        write=lambda d, v: None if v is None else kind.write(d, v),
        read=lambda d, v: None if v is None else kind.read(d, v),
    )


def _enum(cls: type[enum.Enum]) -> _Kind:
    return _Kind(write=lambda _, v: v.value, read=lambda _, v: cls(v))


def _json_tuple(item: Callable[[Any], Any]) -> _Kind:
    return _Kind(
        write=lambda _, v: canonical_json([str(i) for i in v]),
        read=lambda _, v: tuple(item(i) for i in json.loads(v)),
    )


def _json_object(_: Dialect, value: Mapping[str, Any]) -> str:
    try:
        return canonical_json(dict(value))
    except (TypeError, ValueError):
        raise StoreError(
            "A mapping given to the store holds a value JSON cannot keep (such as NaN or an object); "
            "a plugin's compliance fields must be text, whole numbers, finite numbers, true/false or null."
        ) from None


_TEXT = _Kind(write=lambda _, v: v, read=lambda _, v: v)
_INT = _Kind(write=lambda _, v: v, read=lambda _, v: int(v))
_FLAG = _Kind(write=lambda d, v: d.flag(v), read=lambda _, v: bool(v))
_TIME = _Kind(write=lambda d, v: d.time(v), read=lambda d, v: d.read_time(v))
_DATE = _Kind(write=lambda d, v: d.date(v), read=lambda d, v: d.read_date(v))
_OBJECT = _Kind(write=_json_object, read=lambda _, v: json.loads(v))


@attrs.frozen
class Table:
    """A table's columns and how to turn its records' values into a row and back.

    :param derived: columns computed from the other values when writing
        (month keys for reports); never read back.
    """

    name: str
    key: str
    columns: tuple[tuple[str, _Kind], ...]
    derived: tuple[tuple[str, Callable[[Mapping[str, Any]], object]], ...] = ()

    @property
    def names(self) -> str:
        """The columns read back, comma-separated, for a ``SELECT``."""
        return ", ".join(name for name, _ in self.columns)

    def insert(self, *, upsert: bool = False) -> str:
        """An ``INSERT`` of one row; with *upsert*, replacing the row with the same key."""
        names = [name for name, _ in self.columns] + [name for name, _ in self.derived]
        sql = f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        if upsert:
            updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != self.key)
            sql += f" ON CONFLICT ({self.key}) DO UPDATE SET {updates}"
        return sql

    def row(self, dialect: Dialect, values: Mapping[str, Any]) -> tuple[object, ...]:
        """The row for *values* (by column name), derived columns last."""
        written = [kind.write(dialect, values[name]) for name, kind in self.columns]
        return (*written, *(derive(values) for _, derive in self.derived))

    def values(self, dialect: Dialect, row: Sequence[Any]) -> dict[str, Any]:
        """The values of a row read with :attr:`names`, by column name."""
        return {name: kind.read(dialect, raw) for (name, kind), raw in zip(self.columns, row, strict=True)}


_TIME_OPT = _optional(_TIME)

EVENTS = Table(
    "events",
    "position",
    (
        ("position", _INT),
        ("review_id", _TEXT),
        ("sequence", _INT),
        ("kind", _TEXT),
        ("occurred_at", _TIME),
        ("body", _TEXT),
        ("texts", _OBJECT),
        ("salt", _TEXT),
        ("hash", _TEXT),
    ),
)
"""The chain: :class:`~ethical_decisions.audit.ChainRecord` rows."""

REVIEWS = Table(
    "reviews",
    "review_id",
    (
        ("review_id", _TEXT),
        ("business_area", _TEXT),
        ("staff_id", _TEXT),
        ("stage", _enum(Stage)),
        ("version", _INT),
        ("opened_at", _TIME),
        ("updated_at", _TIME),
        ("closed_at", _TIME_OPT),
        ("outcome_class", _optional(_enum(OutcomeClass))),
    ),
)
"""Review summaries: :class:`~ethical_decisions.store.ReviewRecord` rows."""

REFERRALS = Table(
    "referrals",
    "referral_id",
    (
        ("referral_id", _TEXT),
        ("review_id", _TEXT),
        ("route_id", _TEXT),
        ("route_version", _TEXT),
        ("business_area", _TEXT),
        ("status", _enum(ReferralStatus)),
        ("referred_by_role", _enum(StaffRole)),
        ("concern_categories", _json_tuple(ConcernCategory)),
        ("submitted_at", _TIME),
        ("due_by", _TIME),
        ("updated_at", _TIME),
        ("acknowledged_at", _TIME_OPT),
        ("advice_at", _TIME_OPT),
        ("closed_at", _TIME_OPT),
    ),
    derived=(("submitted_month", lambda v: _month(v["submitted_at"])),),
)
"""The referral queue: :class:`~ethical_decisions.store.ReferralRecord` rows."""

OUTBOX = Table(
    "outbox",
    "message_id",
    (
        ("message_id", _TEXT),
        ("referral_id", _TEXT),
        ("review_id", _TEXT),
        ("route_id", _TEXT),
        ("kind", _TEXT),
        ("idempotency_key", _TEXT),
        ("created_at", _TIME),
        ("status", _enum(OutboxStatus)),
        ("attempts", _INT),
        ("next_attempt_at", _TIME),
        ("updated_at", _TIME),
        ("delivered_at", _TIME_OPT),
        ("last_error", _TEXT),
    ),
)
"""The relay's outbox: :class:`~ethical_decisions.store.OutboxRow` rows, message fields first."""

COMPLIANCE = Table(
    "compliance",
    "review_id",
    (
        ("review_id", _TEXT),
        ("staff_id", _TEXT),
        ("role", _enum(StaffRole)),
        ("team", _TEXT),
        ("business_area", _TEXT),
        ("guidance_version", _TEXT),
        ("opened_at", _TIME),
        ("reflected_at", _TIME),
        ("closed_at", _TIME),
        ("reflection_recorded", _FLAG),
        ("rationale_recorded", _FLAG),
        ("concern_count", _INT),
        ("concern_categories", _json_tuple(ConcernCategory)),
        ("steps_used", _json_tuple(StepUsed)),
        ("route_ids", _json_tuple(str)),
        ("referral_count", _INT),
        ("referred_by_frontline", _FLAG),
        ("advice_recorded", _FLAG),
        ("escalations_followed_through", _FLAG),
        ("unresolved_acknowledged", _INT),
        ("outcome_class", _enum(OutcomeClass)),
        ("decision_changed", _FLAG),
        ("first_escalated_at", _TIME_OPT),
        ("first_advice_at", _TIME_OPT),
        ("seconds_to_escalate", _optional(_INT)),
        ("seconds_to_advice", _optional(_INT)),
        ("later_outcome_kind", _optional(_enum(LaterOutcomeKind))),
        ("later_outcome", _optional(_enum(LaterOutcomeResult))),
        ("later_outcome_on", _optional(_DATE)),
        ("extensions", _OBJECT),
    ),
    derived=(("closed_month", lambda v: _month(v["closed_at"])),),
)
"""Compliance records: :class:`~ethical_decisions.ComplianceRecord` rows."""

COMPLIANCE_ITEMS = Table(
    "compliance_items",
    "review_id",
    (("review_id", _TEXT), ("item", _TEXT), ("ordinal", _INT), ("value", _TEXT)),
)
"""The compliance record's tuples, one row per element, for aggregation."""

_ITEMS = (("concern_category", "concern_categories"), ("step_used", "steps_used"), ("route_id", "route_ids"))


def compliance_items(record: ComplianceRecord) -> list[dict[str, Any]]:
    """The :data:`COMPLIANCE_ITEMS` values of *record*."""
    return [
        {"review_id": record.review_id, "item": item, "ordinal": ordinal, "value": str(value)}
        for item, field in _ITEMS
        for ordinal, value in enumerate(getattr(record, field))
    ]


def event_values(record: ChainRecord) -> dict[str, Any]:
    """The :data:`EVENTS` values of *record*."""
    return attrs.asdict(record, recurse=False)


def outbox_values(row: OutboxRow) -> dict[str, Any]:
    """The :data:`OUTBOX` values of *row*."""
    values = attrs.asdict(row, recurse=False)
    return {**attrs.asdict(values.pop("message"), recurse=False), **values}


_MESSAGE_FIELDS = frozenset(f.name for f in attrs.fields(OutboxMessage))


def outbox_row(values: Mapping[str, Any]) -> OutboxRow:
    """An :class:`OutboxRow` from :data:`OUTBOX` values."""
    message = OutboxMessage(**{k: v for k, v in values.items() if k in _MESSAGE_FIELDS})
    return OutboxRow(message=message, **{k: v for k, v in values.items() if k not in _MESSAGE_FIELDS})
