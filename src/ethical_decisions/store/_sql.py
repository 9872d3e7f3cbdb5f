"""What the SQLite and PostgreSQL stores share: every :class:`Store` method, written once in SQL.

A subclass provides connections and transactions (:meth:`SQLStore._write`,
:meth:`SQLStore._read`), its driver's error classes and the messages for them
(:meth:`SQLStore._failure`), and a :class:`~ethical_decisions.store._dialect.Dialect`.
Statements use ``?`` placeholders; the PostgreSQL store turns them into ``%s``.
The report figures are counted by the statements in
:mod:`ethical_decisions.store._report_sql`.

Appends lock the one ``chain_head`` row first (SQLite's ``BEGIN IMMEDIATE``
already makes a writer the only one), so every append sees the head left by
the one before it and the chain stays a single chain. The review's version is
checked after that lock, and the unique ``(review_id, sequence)`` constraint
backs it up: a writer that loses a race gets :class:`ConflictError`.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import attrs
from typing_extensions import override

from ethical_decisions import freetext
from ethical_decisions._fields import field_values
from ethical_decisions.assessments import Assessment, assessment_order
from ethical_decisions.audit import ChainHead, ChainRecord
from ethical_decisions.caseindex import case_digest, case_index_key
from ethical_decisions.compliance import ComplianceRecord, build_record
from ethical_decisions.events import FreeTextErased, ReviewOpened, is_issue_id
from ethical_decisions.exceptions import ConflictError, IntegrityError, NotFoundError, StoreError
from ethical_decisions.figures import DepartmentFigures, PdrFigures, Period
from ethical_decisions.learning import (
    GuidanceFeedbackNote,
    IssueRecord,
    SpeakUpAnswer,
    issue_from,
    issue_record,
)
from ethical_decisions.log import LogEvent, emit
from ethical_decisions.projections import ReferralRecord, ReviewRecord, referral_record, review_record
from ethical_decisions.review import ReferralStatus, replay
from ethical_decisions.serialization import canonical_json

from . import _checking, _ledger
from . import _report_sql as report_sql
from . import _rows as rows
from ._dialect import Cursor, Dialect
from ._records import link, pending
from ._schema import SCHEMA_VERSION, migrate
from ._sql_checks import SQLHoldings
from .base import AppendBatch, OutboxRow, OutboxStatus, Store
from .verification import Progress, StoreReport

__all__ = ["SQLStore"]

_PAGE = 1000
"""Rows read at a time by the methods that stream (chain, compliance records)."""
_IN_CHUNK = 500
"""Digests looked up in the case index by one statement."""
_INDEX_CASE = "INSERT INTO case_index (digest, review_id) VALUES (?, ?) ON CONFLICT DO NOTHING"

_STATE = tuple(i for i, (name, _) in enumerate(rows.OUTBOX.columns) if name in _ledger.STATE_FIELDS)
"""Where the columns that hold a message's delivery state are in an outbox row."""
_STATE_COLUMNS = tuple(rows.OUTBOX.columns[i][0] for i in _STATE)


def _where(clauses: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def _equal(**columns: object) -> tuple[list[str], list[object]]:
    """``column = ?`` conditions, and their values, for the columns given a value other than ``None``."""
    given = {name: value for name, value in columns.items() if value is not None}
    return [f"{name} = ?" for name in given], list(given.values())


class SQLStore(Store):
    """A store kept in an SQL database: the shared implementation of SQLite and PostgreSQL."""

    _dialect: Dialect
    _integrity_errors: tuple[type[Exception], ...]
    """The driver's errors for a broken constraint: they may mean a lost race (see :meth:`append`)."""
    _driver_errors: tuple[type[Exception], ...]
    """The driver's other errors: :meth:`_translated` turns them into :class:`StoreError`."""

    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[Cursor]:
        """A write transaction, committed when the block ends and rolled back if it raises.

        Driver errors other than integrity errors become :class:`StoreError`.
        """

    def _append_transaction(self) -> AbstractContextManager[Cursor]:
        """The write transaction of an append: :meth:`_write`, unless a driver can save round trips.

        An append reads (the chain head, the review's version) and then only writes, reading
        no result back: a store may send those writes together.
        """
        return self._write()

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[Cursor]:
        """A cursor for reading; driver errors become :class:`StoreError`."""

    @abc.abstractmethod
    def _snapshot(self) -> AbstractContextManager[Cursor]:
        """A read-only transaction in which every statement sees the same snapshot of the store."""

    def _damage(self, cursor: Cursor) -> str | None:
        """What the database's own integrity check finds wrong with its storage, or ``None``.

        By default nothing is checked: a server (PostgreSQL) keeps its own pages.
        """
        return None

    @abc.abstractmethod
    def _failure(self, exc: Exception) -> StoreError:
        """The :class:`StoreError` for a driver error: what failed, without data, and what to do."""

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn driver errors, but for integrity errors, into :class:`StoreError` (no data in it)."""
        try:
            yield
        except self._integrity_errors:
            raise
        except self._driver_errors as exc:
            raise self._failure(exc) from None

    def _before_migrating(self, cursor: Cursor) -> None:
        """Run first in the migration transaction (PostgreSQL: lock, create the schema)."""

    def _migrate(self, *, opened: bool = True) -> None:
        """Bring the schema up to date, in one transaction, and log what was done.

        :param opened: also log that the store is open (not while a new store is still being made).
        """
        with self._write() as cursor:
            self._before_migrating(cursor)
            applied = migrate(cursor, self._dialect, f"The store at {self.url}")
            if any(migration.rebuilds for migration in applied):
                self._rebuild(cursor)
            if any(migration.starts_ledger for migration in applied):
                self._start_ledger(cursor)
            if any(migration.indexes_cases for migration in applied):
                key = case_index_key(required=False)
                if key is not None:
                    self._index_every_case(cursor, key)
        for migration in applied:
            emit(LogEvent.STORE_MIGRATED, store=self._dialect.name, schema_version=migration.version)
        if opened:
            emit(LogEvent.STORE_OPENED, store=self._dialect.name, schema_version=SCHEMA_VERSION)

    # -- appending -------------------------------------------------------------------------

    @override
    def append(self, batch: AppendBatch) -> tuple[ChainRecord, ...]:
        try:
            with self._append_transaction() as cursor:
                return self._append(cursor, batch)
        except self._integrity_errors:
            # The version check passed, yet a row exists: another writer won the race.
            actual = self._version(batch.review_id)
            if actual != batch.expected_version:
                raise ConflictError(batch.review_id, batch.expected_version, actual) from None
            raise StoreError(
                f"Review {batch.review_id!r}: the batch holds an event, referral or outbox message "
                "that is already stored; nothing was recorded. Build the batch from the review as "
                "loaded, with new sequence numbers."
            ) from None

    def _version(self, review_id: str) -> int:
        with self._read() as cursor:
            return self._current_version(cursor, review_id)

    def _current_version(self, cursor: Cursor, review_id: str) -> int:
        cursor.execute(
            "SELECT position, sequence FROM events WHERE review_id = ? ORDER BY sequence DESC LIMIT 1",
            (review_id,),
        )
        found = cursor.fetchone()
        if found is None:
            return 0
        position, sequence = found
        version: int = rows.EVENTS.value(self._dialect, "sequence", sequence, key=position)
        return version

    def _head_and_version(self, cursor: Cursor, review_id: str) -> tuple[int, str, int]:
        """The chain head's position and hash, and the review's version, read by one statement."""
        last = "FROM events WHERE review_id = ? ORDER BY sequence DESC LIMIT 1"
        cursor.execute(
            f"SELECT {rows.CHAIN_HEAD.names}, (SELECT position {last}), (SELECT sequence {last})"
            " FROM chain_head WHERE id = 1",
            (review_id, review_id),
        )
        *found, last_position, last_sequence = cursor.fetchone()
        head = rows.CHAIN_HEAD.values(self._dialect, found)
        if last_position is None:
            return head["position"], head["hash"], 0
        version: int = rows.EVENTS.value(self._dialect, "sequence", last_sequence, key=last_position)
        return head["position"], head["hash"], version

    def _chain_head(self, cursor: Cursor, *, lock: bool = False) -> tuple[int, str]:
        """The chain head row's position and hash (position 0 and the genesis hash for an empty store)."""
        table = rows.CHAIN_HEAD
        cursor.execute(
            f"SELECT {table.names} FROM chain_head WHERE id = 1{self._dialect.lock if lock else ''}"
        )
        head = table.values(self._dialect, cursor.fetchone())
        return head["position"], head["hash"]

    def _append(self, cursor: Cursor, batch: AppendBatch) -> tuple[ChainRecord, ...]:
        d = self._dialect
        if d.lock:
            # Lock the head first (its result is not read), so that the next statement's snapshot,
            # taken once the lock is held, sees every event appended before. A pipelining store sends
            # both together. (SQLite's BEGIN IMMEDIATE already made this writer the only one.)
            cursor.execute(f"SELECT 1 FROM chain_head WHERE id = 1{d.lock}")
        position, previous, current = self._head_and_version(cursor, batch.review_id)
        if current != batch.expected_version:
            raise ConflictError(batch.review_id, batch.expected_version, current)
        if batch.erase_texts:
            self._erase_texts(cursor, batch.review_id)
        written = []
        for sealed in batch.events:
            position += 1
            record = link(sealed, position=position, previous=previous)
            previous = record.hash
            written.append(record)
        if written:
            cursor.executemany(
                rows.EVENTS.insert(), [rows.EVENTS.row(d, rows.event_values(r)) for r in written]
            )
            cursor.execute("UPDATE chain_head SET position = ?, hash = ? WHERE id = 1", (position, previous))
        self._write_projections(cursor, batch)
        if batch.case_digest is not None:
            cursor.execute(_INDEX_CASE, (batch.case_digest, batch.review_id))
        return tuple(written)

    def _index_every_case(self, cursor: Cursor, key: bytes) -> None:
        """Index the case reference of every review whose free text is not erased (in pages of events)."""
        after = 0
        while True:
            cursor.execute(
                f"SELECT {rows.EVENTS.names} FROM events WHERE kind = ? AND position > ?"
                " AND salt IS NOT NULL ORDER BY position LIMIT ?",
                (ReviewOpened.kind, after, _PAGE),
            )
            found = [self._event(row) for row in cursor.fetchall()]
            entries = []
            for record in found:
                payload = record.event().payload
                if isinstance(payload, ReviewOpened) and payload.case.reference:
                    entries.append((case_digest(key, payload.case.reference), record.review_id))
            if entries:
                cursor.executemany(_INDEX_CASE, entries)
            if len(found) < _PAGE:
                return
            after = found[-1].position

    @override
    def find_cases(self, digests: Collection[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(digests))
        found: dict[str, list[str]] = {}
        with self._read() as cursor:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                cursor.execute(
                    "SELECT digest, review_id FROM case_index"
                    f" WHERE digest IN ({', '.join('?' for _ in chunk)})",
                    chunk,
                )
                for digest, review_id in cursor.fetchall():
                    found.setdefault(str(digest), []).append(str(review_id))
        return {d: sorted(ids) for d, ids in found.items()}

    @override
    def index_cases(self, entries: Collection[tuple[str, str]]) -> int:
        added = 0
        with self._write() as cursor:
            for digest, review_id in entries:
                cursor.execute(
                    "SELECT count(*), count(*) FILTER (WHERE kind = ?) FROM events WHERE review_id = ?",
                    (FreeTextErased.kind, review_id),
                )
                events, erasures = cursor.fetchone()
                if not events or erasures:
                    continue
                cursor.execute(
                    "SELECT 1 FROM case_index WHERE digest = ? AND review_id = ?", (digest, review_id)
                )
                if cursor.fetchone() is None:
                    cursor.execute(_INDEX_CASE, (digest, review_id))
                    added += 1
        return added

    def _erase_texts(self, cursor: Cursor, review_id: str) -> None:
        cursor.execute("SELECT position, texts FROM events WHERE review_id = ?", (review_id,))
        erased = []
        for position, stored in cursor.fetchall():
            texts = rows.EVENTS.value(self._dialect, "texts", stored, key=position)
            if not isinstance(texts, dict):
                raise rows.EVENTS.unreadable("texts", key=position)
            erased.append((canonical_json(freetext.erased(texts)), position))
        if erased:
            cursor.executemany("UPDATE events SET texts = ?, salt = NULL WHERE position = ?", erased)
        cursor.execute("UPDATE assessments SET note = NULL WHERE review_id = ?", (review_id,))
        cursor.execute("DELETE FROM case_index WHERE review_id = ?", (review_id,))

    def _write_projections(self, cursor: Cursor, batch: AppendBatch) -> None:
        d = self._dialect
        if batch.issue is not None:
            cursor.execute(
                rows.SYSTEMIC_ISSUES.insert(upsert=True),
                rows.SYSTEMIC_ISSUES.row(d, field_values(batch.issue)),
            )
        if batch.review is None:
            return
        self._write_rows(cursor, batch.review, batch.referrals, batch.compliance)
        if batch.outbox:
            cursor.executemany(
                rows.OUTBOX.insert(),
                [rows.OUTBOX.row(d, rows.outbox_values(pending(m))) for m in batch.outbox],
            )

    def _write_rows(
        self,
        cursor: Cursor,
        review: ReviewRecord,
        referrals: Sequence[ReferralRecord],
        record: ComplianceRecord | None,
    ) -> None:
        """Upsert a review's summary, referral rows and compliance record (with its items)."""
        d = self._dialect
        cursor.execute(rows.REVIEWS.insert(upsert=True), rows.REVIEWS.row(d, field_values(review)))
        if referrals:
            cursor.executemany(
                rows.REFERRALS.insert(upsert=True),
                [rows.REFERRALS.row(d, field_values(r)) for r in referrals],
            )
        if record is not None:
            cursor.execute(
                rows.COMPLIANCE.insert(upsert=True),
                rows.COMPLIANCE.row(d, field_values(record)),
            )
            cursor.execute("DELETE FROM compliance_items WHERE review_id = ?", (record.review_id,))
            items = rows.compliance_items(record)
            if items:
                cursor.executemany(
                    rows.COMPLIANCE_ITEMS.insert(), [rows.COMPLIANCE_ITEMS.row(d, i) for i in items]
                )

    def _rebuild(self, cursor: Cursor) -> None:
        """Rewrite every review's summary, referral rows and compliance record from its events.

        Review by review, in pages of review ids. The fields plugins added to a
        compliance record are kept: they cannot be asked for again.
        """
        after = ""
        while True:
            cursor.execute(
                "SELECT DISTINCT review_id FROM events WHERE review_id > ? ORDER BY review_id LIMIT ?",
                (after, _PAGE),
            )
            review_ids = [
                rows.EVENTS.value(self._dialect, "review_id", found) for (found,) in cursor.fetchall()
            ]
            for review_id in review_ids:
                self._rebuild_review(cursor, review_id)
            if len(review_ids) < _PAGE:
                return
            after = review_ids[-1]

    def _rebuild_review(self, cursor: Cursor, review_id: str) -> None:
        cursor.execute(
            f"SELECT {rows.EVENTS.names} FROM events WHERE review_id = ? ORDER BY sequence", (review_id,)
        )
        events = [self._event(row).event() for row in cursor.fetchall()]
        if is_issue_id(review_id):
            table = rows.SYSTEMIC_ISSUES
            cursor.execute(
                table.insert(upsert=True),
                table.row(self._dialect, field_values(issue_record(issue_from(events)))),
            )
            return
        review = replay(events)
        record = None
        if review.is_closed:
            cursor.execute("SELECT extensions FROM compliance WHERE review_id = ?", (review_id,))
            found = cursor.fetchone()
            extensions = (
                rows.COMPLIANCE.value(self._dialect, "extensions", found[0], key=review_id) if found else {}
            )
            record = attrs.evolve(build_record(review), extensions=extensions)
        referrals = [referral_record(review, referral) for referral in review.referrals]
        self._write_rows(cursor, review_record(review), referrals, record)

    # -- reading ---------------------------------------------------------------------------

    @override
    def load(self, review_id: str, *, after: int = 0) -> tuple[ChainRecord, ...]:
        with self._read() as cursor:
            # From the event at *after* on: it shows that the review exists, so one statement answers
            # (one round trip on a server) unless nothing comes back.
            cursor.execute(
                f"SELECT {rows.EVENTS.names} FROM events"
                " WHERE review_id = ? AND sequence >= ? ORDER BY sequence",
                (review_id, after),
            )
            found = cursor.fetchall()
            if not found:
                cursor.execute("SELECT 1 FROM events WHERE review_id = ? LIMIT 1", (review_id,))
                if cursor.fetchone() is None:
                    raise NotFoundError("review", review_id)
        records = (self._event(row) for row in found)
        return tuple(record for record in records if record.sequence > after)

    def _event(self, row: Sequence[Any]) -> ChainRecord:
        return ChainRecord(**rows.EVENTS.values(self._dialect, row))

    @override
    def chain(self, *, after: int = 0) -> Iterator[ChainRecord]:
        # Page by position rather than hold a cursor open while the caller works through it.
        position = after
        while True:
            with self._read() as cursor:
                cursor.execute(
                    f"SELECT {rows.EVENTS.names} FROM events WHERE position > ? ORDER BY position LIMIT ?",
                    (position, _PAGE),
                )
                page = [self._event(row) for row in cursor.fetchall()]
            yield from page
            if len(page) < _PAGE:
                return
            position = page[-1].position

    @override
    def head(self) -> ChainHead | None:
        with self._read() as cursor:
            position, hash_ = self._chain_head(cursor)
        return ChainHead(position, hash_) if position else None

    @override
    def reviews(
        self,
        *,
        business_area: str | None = None,
        staff_id: str | None = None,
        owner_id: str | None = None,
        open_only: bool = False,
    ) -> list[ReviewRecord]:
        clauses, params = _equal(business_area=business_area, staff_id=staff_id, owner_id=owner_id)
        if open_only:
            clauses.append("closed_at IS NULL")
        table = rows.REVIEWS
        sql = f"SELECT {table.names} FROM reviews{_where(clauses)} ORDER BY opened_at, review_id"
        return [ReviewRecord(**values) for values in self._select(table, sql, params)]

    def _select(self, table: rows.Table, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        with self._read() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        return [table.values(self._dialect, row) for row in found]

    @override
    def referral(self, referral_id: str) -> ReferralRecord:
        table = rows.REFERRALS
        found = self._select(
            table, f"SELECT {table.names} FROM referrals WHERE referral_id = ?", (referral_id,)
        )
        if not found:
            raise NotFoundError("referral", referral_id)
        return ReferralRecord(**found[0])

    @override
    def referrals(
        self,
        *,
        route_id: str | None = None,
        statuses: Collection[ReferralStatus] | None = None,
        assignee_id: str | None = None,
        unassigned: bool = False,
    ) -> list[ReferralRecord]:
        clauses, params = _equal(route_id=route_id, assignee_id=assignee_id)
        if unassigned:
            clauses.append("assignee_id IS NULL")
        if statuses is not None:
            wanted = sorted({ReferralStatus(s).value for s in statuses})
            if not wanted:
                return []
            clauses.append(f"status IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        table = rows.REFERRALS
        sql = f"SELECT {table.names} FROM referrals{_where(clauses)} ORDER BY submitted_at, referral_id"
        return [ReferralRecord(**values) for values in self._select(table, sql, params)]

    @override
    def compliance_records(
        self,
        *,
        staff_id: str | None = None,
        closed_from: dt.datetime | None = None,
        closed_before: dt.datetime | None = None,
    ) -> Iterator[ComplianceRecord]:
        d = self._dialect
        clauses, params = _equal(staff_id=staff_id)
        if closed_from is not None:
            clauses.append("closed_at >= ?")
            params.append(d.time(closed_from))
        if closed_before is not None:
            clauses.append("closed_at < ?")
            params.append(d.time(closed_before))
        return self._compliance_pages(clauses, params)

    def _compliance_pages(self, clauses: list[str], params: list[Any]) -> Iterator[ComplianceRecord]:
        table = rows.COMPLIANCE
        after: tuple[Any, ...] = ()
        while True:
            keyset = ["(closed_at, review_id) > (?, ?)"] if after else []
            sql = (
                f"SELECT {table.names} FROM compliance{_where(clauses + keyset)}"
                " ORDER BY closed_at, review_id LIMIT ?"
            )
            page = [ComplianceRecord(**v) for v in self._select(table, sql, [*params, *after, _PAGE])]
            yield from page
            if len(page) < _PAGE:
                return
            after = (self._dialect.time(page[-1].closed_at), page[-1].review_id)

    # -- the learning loop ---------------------------------------------------------------------

    @override
    def systemic_issues(self) -> list[IssueRecord]:
        table = rows.SYSTEMIC_ISSUES
        sql = f"SELECT {table.names} FROM systemic_issues ORDER BY opened_at, issue_id"
        return [IssueRecord(**values) for values in self._select(table, sql, ())]

    @override
    def record_speak_up(self, answer: SpeakUpAnswer) -> None:
        table = rows.SPEAK_UP
        values = {"answered_month": answer.month, **field_values(answer)}
        with self._write() as cursor:
            cursor.execute(table.insert(), table.row(self._dialect, values))

    @override
    def speak_up_answers(self) -> list[SpeakUpAnswer]:
        table = rows.SPEAK_UP
        sql = f"SELECT {table.names} FROM speak_up ORDER BY answered_month"
        found = self._select(table, sql, ())
        return [
            SpeakUpAnswer(v["answered_month"], v["business_area"], v["again"], v["detriment"]) for v in found
        ]

    @override
    def record_guidance_feedback(self, note: GuidanceFeedbackNote) -> None:
        table = rows.GUIDANCE_FEEDBACK
        values = {"sent_month": note.month, **field_values(note)}
        with self._write() as cursor:
            cursor.execute(table.insert(), table.row(self._dialect, values))

    @override
    def guidance_feedback(self) -> list[GuidanceFeedbackNote]:
        table = rows.GUIDANCE_FEEDBACK
        sql = f"SELECT {table.names} FROM guidance_feedback ORDER BY sent_month"
        found = self._select(table, sql, ())
        return [
            GuidanceFeedbackNote(v["sent_month"], v["business_area"], v["guidance_version"], v["kind"])
            for v in found
        ]

    # -- assessments -------------------------------------------------------------------------

    @override
    def record_assessment(self, assessment: Assessment) -> None:
        table = rows.ASSESSMENTS
        with self._write() as cursor:
            cursor.execute(table.insert(upsert=True), table.row(self._dialect, field_values(assessment)))

    @override
    def assessments(
        self,
        *,
        staff_id: str | None = None,
        review_id: str | None = None,
        closed_from: dt.datetime | None = None,
        closed_before: dt.datetime | None = None,
    ) -> list[Assessment]:
        d, table = self._dialect, rows.ASSESSMENTS
        clauses, params = _equal(**{"a.staff_id": staff_id, "a.review_id": review_id})
        if closed_from is not None:
            clauses.append("c.closed_at >= ?")
            params.append(d.time(closed_from))
        if closed_before is not None:
            clauses.append("c.closed_at < ?")
            params.append(d.time(closed_before))
        by_closing = closed_from is not None or closed_before is not None
        joined = " JOIN compliance c ON c.review_id = a.review_id" if by_closing else ""
        names = ", ".join(f"a.{name}" for name, _ in table.columns)
        sql = f"SELECT {names} FROM assessments a{joined}{_where(clauses)}"
        return sorted((Assessment(**v) for v in self._select(table, sql, params)), key=assessment_order)

    # -- reports ---------------------------------------------------------------------------

    @override
    def pdr_figures(self, staff_id: str, period: Period) -> PdrFigures:
        with self._read() as cursor:
            return report_sql.pdr_figures(cursor, self._dialect, staff_id, period)

    @override
    def pdr_sample(
        self, staff_id: str, period: Period, *, size: int = 3, seed: int | None = None
    ) -> list[ComplianceRecord]:
        with self._read() as cursor:
            return report_sql.pdr_sample(cursor, self._dialect, staff_id, period, size=size, seed=seed)

    @override
    def department_figures(self, period: Period, *, as_of: dt.datetime) -> DepartmentFigures:
        with self._read() as cursor:
            return report_sql.department_figures(cursor, self._dialect, period, as_of=as_of)

    # -- verify, rebuild, compact --------------------------------------------------------------

    @override
    def verify(
        self,
        *,
        expected_head: ChainHead | None = None,
        chain_only: bool = False,
        progress: Progress | None = None,
    ) -> StoreReport:
        with self._snapshot() as cursor:
            # The chain alone, asked for when time is short, is checked without the storage's check.
            damage = None if chain_only else self._damage(cursor)
            holdings = SQLHoldings(cursor, self._dialect, damage=damage)
            return _checking.check(
                holdings, expected_head=expected_head, chain_only=chain_only, progress=progress
            )

    @override
    def rebuild(self, *, dry_run: bool = False) -> StoreReport:
        with self._write() as cursor:
            # Appends wait on the chain head, and every outbox change on the ledger head: nothing
            # the check reads can change before the rewrite commits.
            self._chain_head(cursor, lock=True)
            self._ledger_head(cursor)
            holdings = SQLHoldings(cursor, self._dialect, damage=self._damage(cursor))
            return _checking.rebuild(holdings, None if dry_run else holdings)

    @override
    def compact(self) -> None:
        """See :meth:`Store.compact`; the SQLite and PostgreSQL stores say what they do."""

    # -- the outbox --------------------------------------------------------------------------
    #
    # Every change to a message's delivery state is written with its entry in the outbox ledger
    # (see _ledger), in one transaction that locks the ledger's head first: relays, redrives and
    # rebuild all take it before any outbox row, so they never wait for each other in a cycle.

    def _ledger_head(self, cursor: Cursor) -> tuple[int, str]:
        """The ledger head row's position and hash, locked until the transaction ends."""
        cursor.execute(f"SELECT position, hash FROM outbox_ledger_head WHERE id = 1{self._dialect.lock}")
        position, hash_ = cursor.fetchone()
        if not isinstance(position, int) or not isinstance(hash_, str):
            raise IntegrityError(
                "The store's outbox ledger head row cannot be read: it was changed outside the library. "
                "Keep the store as it is and run verify."
            )
        return position, hash_

    def _record(
        self, cursor: Cursor, head: tuple[int, str], changes: Sequence[tuple[OutboxRow, _ledger.Action]]
    ) -> None:
        """Write each row's delivery state, and its ledger entry after *head* (locked by the caller)."""
        d = self._dialect
        state = [rows.OUTBOX.row(d, rows.outbox_values(row)) for row, _ in changes]
        cursor.executemany(
            f"UPDATE outbox SET {', '.join(f'{name} = ?' for name in _STATE_COLUMNS)} WHERE message_id = ?",
            [(*(values[i] for i in _STATE), values[0]) for values in state],
        )
        entries, position, last = _ledger.chained(*head, changes)
        cursor.executemany(
            rows.OUTBOX_LEDGER.insert(),
            [
                rows.OUTBOX_LEDGER.row(d, {**attrs.asdict(e), "state": canonical_json(dict(e.state))})
                for e in entries
            ],
        )
        cursor.execute("UPDATE outbox_ledger_head SET position = ?, hash = ? WHERE id = 1", (position, last))

    def _start_ledger(self, cursor: Cursor) -> None:
        """Carry each message whose delivery has moved on from its first state over into the ledger."""
        d, table = self._dialect, rows.OUTBOX
        head = self._ledger_head(cursor)
        after = ""
        while True:
            cursor.execute(
                f"SELECT {table.names} FROM outbox WHERE message_id > ? ORDER BY message_id LIMIT ?",
                (after, _PAGE),
            )
            page = [rows.outbox_row(table.values(d, row)) for row in cursor.fetchall()]
            moved = [
                (row, _ledger.Action.CARRIED_OVER)
                for row in page
                if _ledger.state_of(row) != _ledger.first_state(row.message)
            ]
            if moved:
                self._record(cursor, head, moved)
                head = self._ledger_head(cursor)
            if len(page) < _PAGE:
                return
            after = page[-1].message.message_id

    @override
    def claim_outbox(
        self, *, now: dt.datetime, limit: int, lease: dt.timedelta, by: str = "relay"
    ) -> list[OutboxRow]:
        if limit <= 0:
            return []
        d, table = self._dialect, rows.OUTBOX
        with self._write() as cursor:
            head = self._ledger_head(cursor)
            cursor.execute(
                f"SELECT {table.names} FROM outbox WHERE status = ? AND next_attempt_at <= ?"
                f" ORDER BY created_at, message_id LIMIT ?{d.claim}",
                (OutboxStatus.PENDING.value, d.time(now), limit),
            )
            due = [rows.outbox_row(table.values(d, row)) for row in cursor.fetchall()]
            claimed = [
                attrs.evolve(
                    row,
                    attempts=row.attempts + 1,
                    next_attempt_at=now + lease,
                    updated_at=now,
                    claimed_by=by,
                    claimed_until=now + lease,
                )
                for row in due
            ]
            if claimed:
                self._record(cursor, head, [(row, _ledger.Action.CLAIMED) for row in claimed])
        return claimed

    def _change(
        self,
        message_id: str,
        action: _ledger.Action,
        change: Callable[[OutboxRow], OutboxRow | None],
    ) -> bool:
        """Apply *change* to the message's row (``None``: leave it) and record it; whether it changed.

        :raises NotFoundError: if there is no such message.
        """
        d, table = self._dialect, rows.OUTBOX
        with self._write() as cursor:
            head = self._ledger_head(cursor)
            cursor.execute(f"SELECT {table.names} FROM outbox WHERE message_id = ?", (message_id,))
            found = cursor.fetchone()
            if found is None:
                raise NotFoundError("outbox message", message_id)
            changed = change(rows.outbox_row(table.values(d, found)))
            if changed is None:
                return False
            self._record(cursor, head, [(changed, action)])
            return True

    def _mark(self, message_id: str, attempt: int, action: _ledger.Action, **changes: Any) -> bool:
        """Change the message's row if it is still pending under claim *attempt*; whether it was."""

        def settle(row: OutboxRow) -> OutboxRow | None:
            if row.status is not OutboxStatus.PENDING or row.attempts != attempt:
                return None
            return attrs.evolve(row, claimed_by=None, claimed_until=None, **changes)

        return self._change(message_id, action, settle)

    @override
    def mark_delivered(self, message_id: str, *, attempt: int, at: dt.datetime) -> bool:
        return self._mark(
            message_id,
            attempt,
            _ledger.Action.DELIVERED,
            status=OutboxStatus.DELIVERED,
            delivered_at=at,
            updated_at=at,
            last_error=None,
        )

    @override
    def mark_failed(
        self,
        message_id: str,
        *,
        attempt: int,
        at: dt.datetime,
        next_attempt_at: dt.datetime,
        error: str,
        dead: bool,
    ) -> bool:
        return self._mark(
            message_id,
            attempt,
            _ledger.Action.DEAD if dead else _ledger.Action.FAILED,
            status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
            next_attempt_at=next_attempt_at,
            updated_at=at,
            last_error=error,
        )

    @override
    def outbox(self, *, status: OutboxStatus | None = None) -> list[OutboxRow]:
        table = rows.OUTBOX
        clauses, params = _equal(status=None if status is None else OutboxStatus(status).value)
        sql = f"SELECT {table.names} FROM outbox{_where(clauses)} ORDER BY created_at, message_id"
        return [rows.outbox_row(values) for values in self._select(table, sql, params)]

    @override
    def redrive(self, message_id: str, *, at: dt.datetime) -> None:
        def again(row: OutboxRow) -> OutboxRow | None:
            if row.status is not OutboxStatus.DEAD:
                return None
            return attrs.evolve(
                row,
                status=OutboxStatus.PENDING,
                redriven_after=row.attempts,
                next_attempt_at=at,
                updated_at=at,
                claimed_by=None,
                claimed_until=None,
            )

        self._change(message_id, _ledger.Action.REDRIVEN, again)
