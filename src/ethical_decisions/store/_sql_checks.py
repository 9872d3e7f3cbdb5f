"""What verify reads from an SQL store, and what rebuild writes: every table, a page of reviews at a time.

:class:`SQLHoldings` is the :class:`~ethical_decisions.store._checking.Source`
and :class:`~ethical_decisions.store._checking.Sink` of the SQL stores,
over one cursor in one transaction (a read snapshot for verify, a write
transaction for rebuild). Rows are compared in the form the store writes them
(:meth:`Table.row`): times, flags and JSON as the database keeps them, and
the month columns the reports group by, so a value that reads the same but
is not what the library wrote is a difference too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import attrs

from ethical_decisions._fields import field_values
from ethical_decisions.audit import NO_ERASURE, BrokenLink, ChainHead, ChainRecord
from ethical_decisions.events import ISSUE_PREFIX, FreeTextErased
from ethical_decisions.exceptions import EthicalDecisionsError

from . import _ledger
from . import _rows as rows
from ._checking import UNREADABLE, Expected, Holding, StoredRow, ledger_entries
from ._dialect import Cursor, Dialect
from .verification import Difference

__all__ = ["SQLHoldings"]

_PAGE = 1000
"""Reviews read at a time; a page of the chain is four times that many events."""

_TABLES: Mapping[str, rows.Table] = {
    "reviews": rows.REVIEWS,
    "referrals": rows.REFERRALS,
    "outbox": rows.OUTBOX,
    "compliance": rows.COMPLIANCE,
    "compliance_items": rows.COMPLIANCE_ITEMS,
    "systemic_issues": rows.SYSTEMIC_ISSUES,
}
_REVIEW_IDS = (*_TABLES, "events", "outbox_ledger")
"""Every table naming a stream of the chain: a review (or issue) is checked if any of them names it."""
_STREAM = {"systemic_issues": "issue_id"}
"""The column naming the stream, in a table where it is not ``review_id``."""


def _stream(table: str) -> str:
    return _STREAM.get(table, "review_id")


_OUT_OF_SEQUENCE = (
    "e.sequence < 1 OR (e.sequence > 1 AND NOT EXISTS (SELECT 1 FROM events p"
    " WHERE p.review_id = e.review_id AND p.sequence = e.sequence - 1 AND p.position < e.position))"
)
"""An event that is not the first of its review and has no event before it, one less in sequence."""
_UNERASED = (
    "e.salt IS NULL AND NOT EXISTS (SELECT 1 FROM events x WHERE x.review_id = e.review_id AND x.kind = ?)"
)
"""An event whose words (and salt) are gone, in a review with no erasure recorded."""


def _names(table: rows.Table) -> tuple[str, ...]:
    return (*(name for name, _ in table.columns), *(name for name, _ in table.derived))


_NAMES = {name: _names(table) for name, table in _TABLES.items()}
"""Each table's columns as read and compared: its own, then the derived (month) columns."""


class SQLHoldings:
    """An SQL store's contents over one *cursor*, as verify reads them and as rebuild writes them."""

    tables = frozenset(_TABLES)

    def __init__(self, cursor: Cursor, dialect: Dialect, *, damage: str | None = None) -> None:
        """*damage* is what the database's own check found wrong (see :meth:`SQLStore._damage`)."""
        self._cursor = cursor
        self._dialect = dialect
        self._damage = damage

    def damage(self) -> str | None:
        return self._damage

    def events_total(self) -> int:
        head = self.head_row()
        return max(head.position, 0) if head is not None else 0

    def _head(self, table: str) -> ChainHead | None:
        self._cursor.execute(f"SELECT position, hash FROM {table} WHERE id = 1")
        found = self._cursor.fetchone()
        if found is None:
            return ChainHead(-1, "")
        position, hash_ = found
        if not isinstance(position, int) or isinstance(position, bool) or not isinstance(hash_, str):
            return ChainHead(-1, "")
        return ChainHead(position, hash_) if position else None

    def head_row(self) -> ChainHead | None:
        return self._head("chain_head")

    def ledger_head_row(self) -> ChainHead | None:
        return self._head("outbox_ledger_head")

    def links(self) -> Iterable[Sequence[Any]]:
        columns = "position, review_id, sequence, kind, body, texts, salt, hash"
        if self._dialect.name == "sqlite":
            # SQLite steps through one statement as it is read (the snapshot holds still meanwhile):
            # the rows are not gathered in pages, which costs as much again as reading them.
            self._cursor.execute(f"SELECT {columns} FROM events ORDER BY position")
            return cast("Iterable[Sequence[Any]]", self._cursor)
        return self._pages("events", columns)

    def _pages(self, table: str, columns: str) -> Iterator[Sequence[Any]]:
        """*table*'s rows in position order, a page at a time (a PostgreSQL cursor holds its whole result)."""
        after = 0
        while True:
            self._cursor.execute(
                f"SELECT {columns} FROM {table} WHERE position > ? ORDER BY position LIMIT ?",
                (after, 4 * _PAGE),
            )
            page = self._cursor.fetchall()
            yield from page
            if len(page) < 4 * _PAGE:
                return
            after = page[-1][0]

    def review_checks(self, end: int) -> tuple[tuple[int, int], BrokenLink | None, BrokenLink | None]:
        cursor = self._cursor
        cursor.execute(
            "SELECT count(CASE WHEN e.sequence = 1 THEN 1 END),"
            f" count(CASE WHEN e.sequence = 1 AND substr(e.review_id, 1, {len(ISSUE_PREFIX)}) = ?"
            " THEN 1 END),"
            f" min(CASE WHEN {_OUT_OF_SEQUENCE} THEN e.position END),"
            f" min(CASE WHEN {_UNERASED} THEN e.position END)"
            " FROM events e WHERE e.position <= ?",
            (ISSUE_PREFIX, FreeTextErased.kind, end),
        )
        trails, issues, out_of_sequence, unerased = cursor.fetchone()
        sequence_problem = erasure_problem = None
        if out_of_sequence is not None:
            review_id, sequence = self._event_at(out_of_sequence)
            cursor.execute(
                "SELECT max(sequence) FROM events WHERE review_id = ? AND position < ?",
                (review_id, out_of_sequence),
            )
            expected = (cursor.fetchone()[0] or 0) + 1
            sequence_problem = BrokenLink(
                out_of_sequence,
                review_id,
                sequence,
                f"expected event {expected} of this review: events are missing or moved",
            )
        if unerased is not None:
            erasure_problem = BrokenLink(unerased, *self._event_at(unerased), NO_ERASURE)
        issues = int(issues or 0)
        return (int(trails or 0) - issues, issues), sequence_problem, erasure_problem

    def _event_at(self, position: int) -> tuple[str, int]:
        self._cursor.execute("SELECT review_id, sequence FROM events WHERE position = ?", (position,))
        review_id, sequence = self._cursor.fetchone()
        return review_id, sequence

    def ledger_links(self) -> Iterator[Sequence[Any]]:
        return self._pages("outbox_ledger", rows.OUTBOX_LEDGER.names)

    # -- review by review --------------------------------------------------------------------

    def holdings(self) -> Iterator[Holding]:
        after = ""
        while True:
            review_ids = self._review_ids(after)
            if not review_ids:
                break
            yield from self._page(after, review_ids)
            after = review_ids[-1]
        yield from self._misfiled()

    def _review_ids(self, after: str) -> list[str]:
        """The next page of review ids named by any table, in order."""
        arms = " UNION ".join(
            f"SELECT review_id FROM (SELECT DISTINCT {_stream(table)} AS review_id FROM {table}"
            f" WHERE {_stream(table)} > ? ORDER BY {_stream(table)} LIMIT {_PAGE}) AS {table}_ids"
            for table in _REVIEW_IDS
        )
        self._cursor.execute(
            f"SELECT review_id FROM ({arms}) AS ids ORDER BY review_id LIMIT {_PAGE}",
            (after,) * len(_REVIEW_IDS),
        )
        return [found for (found,) in self._cursor.fetchall()]

    def _page(self, after: str, review_ids: list[str]) -> Iterator[Holding]:
        last = review_ids[-1]
        span = "review_id > ? AND review_id <= ?"
        events: dict[str, list[ChainRecord]] = {}
        problems: dict[str, list[Difference]] = {}
        self._cursor.execute(
            f"SELECT {rows.EVENTS.names} FROM events WHERE {span} ORDER BY review_id, sequence", (after, last)
        )
        for row in self._cursor.fetchall():
            record = self._event(row, problems)
            if record is not None:
                events.setdefault(record.review_id, []).append(record)
        stored: dict[str, dict[str, list[StoredRow]]] = {}
        for name, table in _TABLES.items():
            columns = _NAMES[name]
            stream = _stream(name)
            self._cursor.execute(
                f"SELECT {', '.join(columns)} FROM {name} WHERE {span.replace('review_id', stream)}",
                (after, last),
            )
            for raw in self._cursor.fetchall():
                values = dict(zip(columns, raw, strict=True))
                if name == "compliance":
                    values = self._readable_extensions(values)
                key = (
                    f"{values['review_id']}/{values['item']}/{values['ordinal']}"
                    if name == "compliance_items"
                    else str(values[table.key])
                )
                stored.setdefault(str(values[stream]), {}).setdefault(name, []).append(StoredRow(key, values))
        self._cursor.execute(
            f"SELECT {rows.OUTBOX_LEDGER.names} FROM outbox_ledger WHERE {span} ORDER BY position",
            (after, last),
        )
        ledger: dict[str, list[_ledger.Entry]] = {}
        for entry in ledger_entries(self._cursor.fetchall()):
            ledger.setdefault(entry.review_id, []).append(entry)
        for review_id in review_ids:
            yield Holding(
                review_id,
                events.get(review_id, ()),
                stored.get(review_id, {}),
                ledger.get(review_id, ()),
                problems.get(review_id, ()),
            )

    def _event(self, row: Sequence[Any], problems: dict[str, list[Difference]]) -> ChainRecord | None:
        """The row as a chain record; a column only the store reads (its time) may be unreadable."""
        try:
            return ChainRecord(**rows.EVENTS.values(self._dialect, row))
        except EthicalDecisionsError:
            pass
        values = dict(zip([name for name, _ in rows.EVENTS.columns], row, strict=True))
        problems.setdefault(str(values["review_id"]), []).append(
            Difference("events", str(values["position"]), "occurred_at", "cannot be read")
        )
        values["occurred_at"] = None
        values["texts"] = json.loads(values["texts"])  # checked by the chain, which passed
        return ChainRecord(**values)

    def _readable_extensions(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            rows.COMPLIANCE.value(self._dialect, "extensions", values["extensions"])
        except EthicalDecisionsError:
            return {**values, "extensions": UNREADABLE}
        return values

    def _misfiled(self) -> Iterator[Holding]:
        """Rows whose review id is not text (SQLite keeps any type): never in a page of review ids."""
        if self._dialect.name != "sqlite":
            return
        for name, table in _TABLES.items():
            self._cursor.execute(f"SELECT {table.key} FROM {name} WHERE typeof({_stream(name)}) <> 'text'")
            for (key,) in self._cursor.fetchall():
                problem = Difference(name, str(key), "review_id", "cannot be read: it is not text")
                yield Holding(f"{name}:{key}", (), {}, (), (problem,))

    def render(self, table: str, values: Mapping[str, Any]) -> dict[str, object]:
        if table == "compliance_items":
            return dict(values)
        return dict(zip(_NAMES[table], _TABLES[table].row(self._dialect, values), strict=True))

    # -- rebuild -----------------------------------------------------------------------------

    def rewrite(self, holding: Holding, expected: Expected) -> None:
        cursor, d, review_id = self._cursor, self._dialect, holding.review_id
        if expected.issue is not None:
            table = rows.SYSTEMIC_ISSUES
            cursor.execute(table.insert(upsert=True), table.row(d, field_values(expected.issue)))
        else:
            cursor.execute("DELETE FROM systemic_issues WHERE issue_id = ?", (review_id,))
        if expected.review is not None:
            summary = rows.REVIEWS.row(d, field_values(expected.review))
            cursor.execute(rows.REVIEWS.insert(upsert=True), summary)
        else:
            cursor.execute("DELETE FROM reviews WHERE review_id = ?", (review_id,))
        self._replace(
            holding,
            "referrals",
            {r.referral_id: rows.REFERRALS.row(d, field_values(r)) for r in expected.referrals},
        )
        self._replace(
            holding,
            "outbox",
            {r.message.message_id: rows.OUTBOX.row(d, rows.outbox_values(r)) for r in expected.outbox},
        )
        record = expected.compliance
        cursor.execute("DELETE FROM compliance_items WHERE review_id = ?", (review_id,))
        if record is None:
            cursor.execute("DELETE FROM compliance WHERE review_id = ?", (review_id,))
            return
        kept = next(iter(holding.rows.get("compliance", ())), None)
        try:
            extensions = (
                rows.COMPLIANCE.value(d, "extensions", kept.values["extensions"]) if kept is not None else {}
            )
        except EthicalDecisionsError:
            extensions = {}  # unreadable: the check reported it, and it cannot be asked for again
        record = attrs.evolve(record, extensions=extensions)
        cursor.execute(rows.COMPLIANCE.insert(upsert=True), rows.COMPLIANCE.row(d, field_values(record)))
        items = rows.compliance_items(record)
        if items:
            cursor.executemany(
                rows.COMPLIANCE_ITEMS.insert(), [rows.COMPLIANCE_ITEMS.row(d, item) for item in items]
            )

    def _replace(self, holding: Holding, name: str, expected: Mapping[str, Sequence[object]]) -> None:
        """Delete *name*'s rows filed under the review that should not be, and write the expected ones."""
        table = _TABLES[name]
        for row in holding.rows.get(name, ()):
            if row.key not in expected:
                self._cursor.execute(
                    f"DELETE FROM {name} WHERE {table.key} = ? AND review_id = ?",
                    (row.key, holding.review_id),
                )
        if expected:
            self._cursor.executemany(table.insert(upsert=True), list(expected.values()))
