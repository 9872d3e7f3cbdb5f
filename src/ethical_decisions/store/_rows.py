"""How the SQL stores turn records into rows and back, for SQLite and PostgreSQL alike.

Each table is described once, as columns with a kind (text, time, flag, JSON
array…); a :class:`Dialect` says how each kind is kept in its database. The
column order here is the order of the values in every row this module makes or
reads, and the order of the names in :attr:`Table.names`.

Reading is strict, and every row is read through :meth:`Table.values`: a value
of the wrong type, a time or JSON that does not parse, or a code this version
does not know (a stage, status or category a newer version added) is refused
there with the library's own error, naming the table, the row's key and the
column, never the value (it may be personal data or free text).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ethical_decisions._fields import field_values
from ethical_decisions.assessments import AssessedElement, Finding
from ethical_decisions.audit import ChainRecord
from ethical_decisions.compliance import ComplianceRecord, StepUsed
from ethical_decisions.exceptions import EthicalDecisionsError, IntegrityError, StoreError
from ethical_decisions.learning import Answer, GuidanceFeedbackKind
from ethical_decisions.model import (
    ConcernCategory,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    StaffRole,
    Stage,
    SystemicIssueStatus,
)
from ethical_decisions.review import ReferralStatus
from ethical_decisions.serialization import canonical_json

from ._dialect import Dialect, utc
from .base import OutboxMessage, OutboxRow, OutboxStatus

__all__ = [
    "ASSESSMENTS",
    "CHAIN_HEAD",
    "COMPLIANCE",
    "COMPLIANCE_ITEMS",
    "EVENTS",
    "GUIDANCE_FEEDBACK",
    "OUTBOX",
    "OUTBOX_LEDGER",
    "REFERRALS",
    "REVIEWS",
    "SPEAK_UP",
    "SYSTEMIC_ISSUES",
    "Table",
    "compliance_items",
    "event_values",
    "outbox_row",
    "outbox_values",
]


def _month(value: dt.datetime) -> str:
    return f"{utc(value):%Y-%m}"


class _UnknownCodeError(ValueError):
    """A well-formed code that this version does not know: a newer version may have added it."""


_READ_FAILURES = (ValueError, TypeError, LookupError, AttributeError, OverflowError, RecursionError)
"""What reading a value changed outside the library may raise (:class:`_UnknownCodeError` included)."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


@attrs.frozen
class _Kind:
    """How one kind of column is written and read.

    ``read`` raises one of :data:`_READ_FAILURES` for a value it cannot take;
    :meth:`Table.values` turns that into the library's error.
    """

    write: Callable[[Dialect, Any], object]
    read: Callable[[Dialect, Any], Any]


def _same(_: Dialect, value: Any) -> Any:
    """The write of a value the database keeps as it is (text, whole numbers)."""
    return value


def _optional(kind: _Kind) -> _Kind:
    return _Kind(
        write=_same if kind.write is _same else lambda d, v: None if v is None else kind.write(d, v),
        read=lambda d, v: None if v is None else kind.read(d, v),
    )


def _member(cls: type[enum.Enum]) -> Callable[[Any], Any]:
    """Reads a code of *cls*: :class:`_UnknownCodeError` for text that is not one of its values."""

    def read(value: Any) -> Any:
        try:
            return cls(_text(value))
        except ValueError:
            raise _UnknownCodeError(cls.__name__) from None

    return read


def _enum(cls: type[enum.Enum]) -> _Kind:
    read = _member(cls)
    return _Kind(write=lambda _, v: v.value, read=lambda _, v: read(v))


def _json(value: Any) -> Any:
    return json.loads(_text(value))


def _json_tuple(item: Callable[[Any], Any]) -> _Kind:
    def read(_: Dialect, value: Any) -> tuple[Any, ...]:
        items = _json(value)
        if not isinstance(items, list):
            raise TypeError("not a JSON array")
        return tuple(item(i) for i in items)

    return _Kind(write=lambda _, v: canonical_json([str(i) for i in v]), read=read)


def _json_object(_: Dialect, value: Mapping[str, Any]) -> str:
    try:
        return canonical_json(dict(value))
    except (TypeError, ValueError):
        raise StoreError(
            "A mapping given to the store holds a value JSON cannot keep (such as NaN or an object); "
            "a plugin's compliance fields must be text, whole numbers, finite numbers, true/false or null."
        ) from None


def _read_scalars(_: Dialect, value: Any) -> dict[str, Any]:
    found = _json(value)
    if not isinstance(found, dict) or not all(
        isinstance(v, str | int | float | bool) or v is None for v in found.values()
    ):
        raise TypeError("not a JSON object of scalars")
    return found


def _integer(_: Dialect, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not a whole number")
    return value


def _flag(_: Dialect, value: Any) -> bool:
    if not isinstance(value, int) or value not in (0, 1):  # a bool is an int
        raise TypeError("not a flag")
    return bool(value)


_TEXT = _Kind(write=_same, read=lambda _, value: _text(value))
_INT = _Kind(write=_same, read=_integer)
_FLAG = _Kind(write=lambda d, v: d.flag(v), read=_flag)
_TIME = _Kind(write=lambda d, v: d.time(v), read=lambda d, v: d.read_time(v))
_DATE = _Kind(write=lambda d, v: d.date(v), read=lambda d, v: d.read_date(v))
_JSON = _Kind(write=_json_object, read=lambda _, v: _json(v))
"""Any JSON: an event's texts are read as they are, and :func:`~ethical_decisions.verify` judges them."""
_SCALARS = _Kind(write=_json_object, read=_read_scalars)


@attrs.frozen
class Table:
    """A table's columns and how to turn its records' values into a row and back.

    :param derived: columns computed from the other values when writing
        (month keys for reports); never read back.
    :param unique: the columns that identify a row, for an upsert; by default the key alone.
    """

    name: str
    key: str
    columns: tuple[tuple[str, _Kind], ...]
    derived: tuple[tuple[str, Callable[[Mapping[str, Any]], object]], ...] = ()
    unique: tuple[str, ...] = ()
    _inserts: dict[bool, str] = attrs.field(init=False, factory=dict, eq=False, repr=False)
    """This table's ``INSERT`` statements, made once: a store appends with them many times a second."""
    _writers: dict[str, tuple[tuple[str, Callable[[Any], object] | None], ...]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )
    """Each dialect's writer of each column (``None`` for a value kept as it is), made once."""
    _key_at: int | None = attrs.field(init=False, eq=False, repr=False)
    """Where the key is in a row read with :attr:`names` (``None`` if it is not read back)."""

    @_key_at.default
    def _find_key(self) -> int | None:
        names = [name for name, _ in self.columns]
        return names.index(self.key) if self.key in names else None

    @property
    def names(self) -> str:
        """The columns read back, comma-separated, for a ``SELECT``."""
        return ", ".join(name for name, _ in self.columns)

    def insert(self, *, upsert: bool = False) -> str:
        """An ``INSERT`` of one row; with *upsert*, replacing the row with the same key."""
        sql = self._inserts.get(upsert)
        if sql is None:
            sql = self._inserts[upsert] = self._insert(upsert)
        return sql

    def _insert(self, upsert: bool) -> str:
        names = [name for name, _ in self.columns] + [name for name, _ in self.derived]
        sql = f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        if upsert:
            unique = self.unique or (self.key,)
            updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in unique)
            sql += f" ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {updates}"
        return sql

    def row(self, dialect: Dialect, values: Mapping[str, Any]) -> tuple[object, ...]:
        """The row for *values* (by column name), derived columns last."""
        writers = self._writers.get(dialect.name)
        if writers is None:
            writers = self._writers[dialect.name] = tuple(
                (name, None if kind.write is _same else functools.partial(kind.write, dialect))
                for name, kind in self.columns
            )
        written = [values[name] if write is None else write(values[name]) for name, write in writers]
        written += [derive(values) for _, derive in self.derived]
        return tuple(written)

    def values(self, dialect: Dialect, row: Sequence[Any]) -> dict[str, Any]:
        """The values of a row read with :attr:`names`, by column name.

        :raises IntegrityError: if a value cannot be read: it was changed outside the library.
        :raises StoreError: if a value is a code this version does not know (a newer
            version may have written it).
        """
        try:
            return {
                name: kind.read(dialect, raw) for (name, kind), raw in zip(self.columns, row, strict=True)
            }
        except _READ_FAILURES:
            pass  # a row changed outside the library, or from a newer version: read it again, below
        # Value by value, to name the column; outside the except block, so nothing chains the first failure.
        key = row[self._key_at] if self._key_at is not None and self._key_at < len(row) else None
        return {
            name: self._read(kind, dialect, name, raw, key)
            for (name, kind), raw in zip(self.columns, row, strict=True)
        }

    def value(self, dialect: Dialect, column: str, raw: Any, *, key: object = None) -> Any:
        """*column*'s value read from *raw*, as :meth:`values` reads it; *key* names the row in an error."""
        return self._read(dict(self.columns)[column], dialect, column, raw, key)

    def _read(self, kind: _Kind, dialect: Dialect, column: str, raw: Any, key: object) -> Any:
        """The one place a value from the database is read: failures become the library's errors."""
        try:
            return kind.read(dialect, raw)
        except _READ_FAILURES as exc:
            shown = None if column == self.key else key
            raise self.unreadable(column, key=shown, unknown=isinstance(exc, _UnknownCodeError)) from None

    def unreadable(self, column: str, *, key: object = None, unknown: bool = False) -> EthicalDecisionsError:
        """The error for a row of this table whose *column* cannot be read, naming the row by *key*.

        The message never holds the value: it may be personal data or free text.
        :class:`StoreError` for a code this version does not know, :class:`IntegrityError` otherwise.
        """
        which = f" ({self.key} {key!r})" if isinstance(key, str | int) and not isinstance(key, bool) else ""
        where = f"The store's {self.name} table has a row{which} whose {column} column"
        if unknown:
            return StoreError(
                f"{where} holds a code this version of ethical-decisions does not know: a newer version "
                "wrote it, or it was changed outside the library. Upgrade ethical-decisions to read it; "
                "if no newer version has used this store, restore the row from a backup."
            )
        if self.name == "events":
            return IntegrityError(
                f"{where} cannot be read: the audit trail was changed outside the library, and cannot "
                "be read or verified past that event. Treat it as tampering or corruption: keep the "
                "store as it is and investigate."
            )
        return IntegrityError(
            f"{where} cannot be read: it was changed outside the library. Keep the store as it is, "
            "run verify to check the audit trail, and restore the row from a backup."
        )


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
        ("texts", _JSON),
        ("salt", _optional(_TEXT)),
        ("hash", _TEXT),
    ),
)
"""The chain: :class:`~ethical_decisions.audit.ChainRecord` rows."""

CHAIN_HEAD = Table("chain_head", "id", (("position", _INT), ("hash", _TEXT)))
"""The chain's last link (its one row, ``id = 1``, is only ever read and updated)."""

REVIEWS = Table(
    "reviews",
    "review_id",
    (
        ("review_id", _TEXT),
        ("business_area", _TEXT),
        ("staff_id", _TEXT),
        ("owner_id", _TEXT),
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
        ("referred_by", _TEXT),
        ("referred_by_role", _enum(StaffRole)),
        ("concern_categories", _json_tuple(_member(ConcernCategory))),
        ("submitted_at", _TIME),
        ("due_by", _TIME),
        ("updated_at", _TIME),
        ("proposed_at", _TIME),
        ("acknowledged_at", _TIME_OPT),
        ("advice_at", _TIME_OPT),
        ("closed_at", _TIME_OPT),
        ("assignee_id", _optional(_TEXT)),
        ("re_escalation", _FLAG),
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
        ("last_error", _optional(_TEXT)),
        ("redriven_after", _INT),
        ("claimed_by", _optional(_TEXT)),
        ("claimed_until", _TIME_OPT),
    ),
)
"""The relay's outbox: :class:`~ethical_decisions.store.OutboxRow` rows, message fields first."""

OUTBOX_LEDGER = Table(
    "outbox_ledger",
    "position",
    (
        ("position", _INT),
        ("review_id", _TEXT),
        ("message_id", _TEXT),
        ("action", _TEXT),
        ("state", _TEXT),
        ("hash", _TEXT),
    ),
)
"""The outbox ledger's entries (see :mod:`ethical_decisions.store._ledger`); ``state`` is canonical JSON."""

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
        ("concern_count", _INT),
        ("concern_categories", _json_tuple(_member(ConcernCategory))),
        ("steps_used", _json_tuple(_member(StepUsed))),
        ("route_ids", _json_tuple(_text)),
        ("referral_count", _INT),
        ("referred_by_frontline", _FLAG),
        ("unresolved_acknowledged", _INT),
        ("outcome_class", _enum(OutcomeClass)),
        ("decision_changed", _FLAG),
        ("opened_by", _TEXT),
        ("reflected_by", _TEXT),
        ("escalated_by", _json_tuple(_text)),
        ("handed_over_by", _json_tuple(_text)),
        ("holders", _json_tuple(_text)),
        ("first_escalated_at", _TIME_OPT),
        ("first_advice_at", _TIME_OPT),
        ("seconds_to_escalate", _optional(_INT)),
        ("seconds_to_advice", _optional(_INT)),
        ("later_outcome_kind", _optional(_enum(LaterOutcomeKind))),
        ("later_outcome", _optional(_enum(LaterOutcomeResult))),
        ("later_outcome_on", _optional(_DATE)),
        ("advice_followed", _INT),
        ("advice_followed_in_part", _INT),
        ("advice_not_followed", _INT),
        ("re_escalations", _INT),
        ("referrals_returned", _INT),
        ("extensions", _SCALARS),
    ),
    derived=(("closed_month", lambda v: _month(v["closed_at"])),),
)
"""Compliance records: :class:`~ethical_decisions.ComplianceRecord` rows."""

ASSESSMENTS = Table(
    "assessments",
    "review_id",
    (
        ("review_id", _TEXT),
        ("staff_id", _TEXT),
        ("element", _enum(AssessedElement)),
        ("finding", _enum(Finding)),
        ("assessed_by", _TEXT),
        ("assessed_at", _TIME),
        ("business_area", _TEXT),
        ("note", _optional(_TEXT)),
    ),
    derived=(("assessed_month", lambda v: _month(v["assessed_at"])),),
    unique=("review_id", "staff_id", "element"),
)
"""Line managers' assessments: :class:`~ethical_decisions.assessments.Assessment` rows (one per review,
person and element)."""

COMPLIANCE_ITEMS = Table(
    "compliance_items",
    "review_id",
    (("review_id", _TEXT), ("item", _TEXT), ("ordinal", _INT), ("value", _TEXT)),
)
"""The compliance record's tuples, one row per element, for aggregation."""

SYSTEMIC_ISSUES = Table(
    "systemic_issues",
    "issue_id",
    (
        ("issue_id", _TEXT),
        ("route_id", _TEXT),
        ("owner", _TEXT),
        ("status", _enum(SystemicIssueStatus)),
        ("opened_by", _TEXT),
        ("opened_at", _TIME),
        ("updated_at", _TIME),
        ("due_on", _DATE),
        ("version", _INT),
        ("referral_ids", _json_tuple(_text)),
        ("concern_categories", _json_tuple(_member(ConcernCategory))),
    ),
    derived=(("opened_month", lambda v: _month(v["opened_at"])),),
)
"""The register: :class:`~ethical_decisions.learning.IssueRecord` rows."""

SPEAK_UP = Table(
    "speak_up",
    "answered_month",
    (
        ("answered_month", _TEXT),
        ("business_area", _TEXT),
        ("again", _enum(Answer)),
        ("detriment", _enum(Answer)),
    ),
)
"""Answers to the speaking-up questions (no staff id, no review id)."""

GUIDANCE_FEEDBACK = Table(
    "guidance_feedback",
    "sent_month",
    (
        ("sent_month", _TEXT),
        ("business_area", _TEXT),
        ("guidance_version", _TEXT),
        ("kind", _enum(GuidanceFeedbackKind)),
    ),
)
"""Feedback on the guidance, counted (no words, no person)."""

_ITEMS = (("concern_category", "concern_categories"), ("step_used", "steps_used"), ("route_id", "route_ids"))


def _credits(record: ComplianceRecord) -> list[tuple[str, str]]:
    """Who took which part in the review, as ``(part, staff id)`` items, for finding a person's records."""
    people = (record.opened_by, record.reflected_by, record.staff_id, *record.escalated_by)
    return [
        (f"part:{part.value}", staff_id)
        for staff_id in dict.fromkeys((*people, *record.handed_over_by, *record.holders))
        for part in sorted(record.parts(staff_id))
    ]


def compliance_items(record: ComplianceRecord) -> list[dict[str, Any]]:
    """The :data:`COMPLIANCE_ITEMS` values of *record*: its tuples, and who took each part (``part:…``)."""
    items = [(item, str(value)) for item, field in _ITEMS for value in getattr(record, field)]
    items += _credits(record)
    places: dict[str, int] = {}
    found = []
    for item, value in items:
        ordinal = places[item] = places.get(item, -1) + 1
        found.append({"review_id": record.review_id, "item": item, "ordinal": ordinal, "value": value})
    return found


def event_values(record: ChainRecord) -> dict[str, Any]:
    """The :data:`EVENTS` values of *record*."""
    return field_values(record)


def outbox_values(row: OutboxRow) -> dict[str, Any]:
    """The :data:`OUTBOX` values of *row*."""
    values = field_values(row)
    return {**field_values(values.pop("message")), **values}


_MESSAGE_FIELDS = frozenset(f.name for f in attrs.fields(OutboxMessage))


def outbox_row(values: Mapping[str, Any]) -> OutboxRow:
    """An :class:`OutboxRow` from :data:`OUTBOX` values."""
    message = OutboxMessage(**{k: v for k, v in values.items() if k in _MESSAGE_FIELDS})
    return OutboxRow(message=message, **{k: v for k, v in values.items() if k not in _MESSAGE_FIELDS})
