"""The check behind verify and rebuild, over any store: what a store gives it, and what it compares.

A store provides a :class:`Source` (its rows, read in one snapshot, in its own
form) and, for rebuild, a :class:`Sink`; :func:`check` and :func:`rebuild` do
the rest, the same way for every store. See
:mod:`ethical_decisions.store.verification` for what is checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Protocol

import attrs

from ethical_decisions._fields import field_values
from ethical_decisions.audit import (
    GENESIS,
    BrokenLink,
    ChainHead,
    ChainRecord,
    Links,
    VerificationReport,
    against_head,
    chain_hash,
)
from ethical_decisions.compliance import ComplianceRecord, build_record
from ethical_decisions.events import is_issue_id
from ethical_decisions.exceptions import IntegrityError
from ethical_decisions.learning import IssueRecord, issue_from, issue_record
from ethical_decisions.log import LogEvent, emit
from ethical_decisions.projections import (
    OutboxMessage,
    ReferralRecord,
    ReviewRecord,
    outbox_messages,
    referral_record,
    review_record,
)
from ethical_decisions.review import replay

from . import _ledger
from .base import OutboxRow
from .verification import SHOWN, Difference, LedgerReport, Progress, StoreReport

__all__ = [
    "UNREADABLE",
    "Expected",
    "Holding",
    "Sink",
    "Source",
    "StoredRow",
    "check",
    "ledger_entries",
    "rebuild",
    "row_values",
]

_EVERY = 4096
"""Events between two calls of a progress callback."""


# -- what a store gives the check ---------------------------------------------------------


class _Unreadable:
    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Final = _Unreadable()
"""A stored value a store could not read (kept in :attr:`StoredRow.values` in its place)."""


@attrs.frozen
class StoredRow:
    """A projection row as the store holds it, in the store's own form, by column."""

    key: str
    values: Mapping[str, object]


@attrs.frozen
class Holding:
    """Everything a store holds under one review id, read in one snapshot.

    :param events: the review's events in sequence order.
    :param rows: its rows, by table.
    :param ledger: the outbox ledger's entries about its messages, in chain order.
    """

    review_id: str
    events: Sequence[ChainRecord]
    rows: Mapping[str, Sequence[StoredRow]]
    ledger: Sequence[_ledger.Entry]
    problems: Sequence[Difference] = ()
    """What the store could not read while gathering the rest."""


@attrs.frozen
class Expected:
    """What a review's rows must be, as records, from its events and the outbox ledger."""

    review: ReviewRecord | None = None
    referrals: tuple[ReferralRecord, ...] = ()
    outbox: tuple[Any, ...] = ()
    """:class:`~ethical_decisions.store.OutboxRow` values."""
    compliance: ComplianceRecord | None = None
    issue: IssueRecord | None = None
    """A systemic issue's row, for an issue's stream (``si-…``)."""


class Source(Protocol):
    """What a store gives the check: its rows, read in one snapshot, in its own form."""

    tables: frozenset[str]
    """The tables built from the events that the store keeps."""

    def damage(self) -> str | None:
        """What the database's own integrity check found wrong, or ``None``."""

    def events_total(self) -> int:
        """The position the store's head row names (for progress)."""

    def links(self) -> Iterable[Sequence[Any]]:
        """Every event's columns in chain order: position, review, sequence, kind, body, texts, salt, hash.

        As read from the rows: of any type, where a row was changed.
        """

    def review_checks(self, end: int) -> tuple[tuple[int, int], BrokenLink | None, BrokenLink | None]:
        """Over the events up to position *end*: how many reviews and issues, and the first event found wrong.

        The first is the first event out of its review's sequence, the second the first
        whose words are gone from a review with no erasure recorded.
        """

    def head_row(self) -> ChainHead | None:
        """The store's own head row (``None`` at position 0, position -1 if it cannot be read)."""

    def ledger_links(self) -> Iterable[Sequence[Any]]:
        """The ledger's entries in order: position, review, message, action, state (as stored), hash."""

    def ledger_head_row(self) -> ChainHead | None:
        """The ledger's head row (as :meth:`head_row`)."""

    def holdings(self) -> Iterable[Holding]:
        """Everything held under each review id that any table names, in review-id order."""

    def render(self, table: str, values: Mapping[str, Any]) -> dict[str, object]:
        """A record's values (by field) as the store writes its row (by column)."""


class Sink(Protocol):
    """Where :func:`rebuild` writes a review's rows."""

    def rewrite(self, holding: Holding, expected: Expected) -> None:
        """Make the rows held under ``holding.review_id`` those of *expected*, deleting the rest."""


# -- the check -----------------------------------------------------------------------------


def check(
    source: Source,
    *,
    expected_head: ChainHead | None = None,
    chain_only: bool = False,
    progress: Progress | None = None,
) -> StoreReport:
    """Check everything *source* holds; see the module's description."""
    damage = source.damage()
    if damage is not None:
        return StoreReport(VerificationReport(0, 0, None), damage=damage, skipped="the storage is damaged")
    chain = _check_chain(source, expected_head, progress)
    if chain_only:
        return StoreReport(chain, skipped="only the audit chain was asked for")
    ledger = _check_ledger(source)
    if not chain.ok:
        return StoreReport(
            chain, ledger, skipped="the audit chain is broken, so the tables cannot be rebuilt from it"
        )
    return _check_tables(source, chain, ledger, progress, sink=None)


def rebuild(source: Source, sink: Sink | None) -> StoreReport:
    """Check *source* and, with a *sink*, rewrite each review whose rows differ; the check's report.

    :raises IntegrityError: if the storage is damaged, or the chain or the ledger does not verify.
    """
    damage = source.damage()
    if damage is not None:
        raise IntegrityError(
            f"The store's storage is damaged ({damage}); nothing was rebuilt. Restore the store "
            "from a backup."
        )
    chain = _check_chain(source, None, None)
    if not chain.ok:
        raise IntegrityError(
            f"The audit chain does not verify ({chain.broken}); nothing was rebuilt: the tables "
            "can only be rebuilt from a whole chain. Keep the store as it is and investigate."
        )
    ledger = _check_ledger(source)
    if not ledger.ok:
        raise IntegrityError(
            f"The outbox ledger does not verify ({ledger.broken}); nothing was rebuilt: delivery "
            "states can only be rebuilt from a whole ledger. Keep the store as it is and investigate."
        )
    report = _check_tables(source, chain, ledger, None, sink=sink)
    if sink is not None:
        emit(LogEvent.STORE_REBUILT, count=report.difference_count)
    return report


def _check_chain(source: Source, kept: ChainHead | None, progress: Progress | None) -> VerificationReport:
    total = source.events_total()
    links = Links()
    broken = None
    tell = None if progress is None else (lambda position: progress("chain", position, total))
    found = links.consume(source.links(), kept=kept.position if kept else None, tell=tell)
    if found is not None:
        (position, review_id, sequence, *_), problem = found
        broken = BrokenLink(
            position,
            review_id if isinstance(review_id, str) else None,
            sequence if isinstance(sequence, int) else None,
            problem,
        )
    (reviews, issues), out_of_sequence, unerased = source.review_checks(links.position)
    if out_of_sequence is not None and (broken is None or out_of_sequence.position < broken.position):
        broken = out_of_sequence
    if broken is None:
        broken = unerased or _against_row(links.head, source.head_row(), "chain", "events")
    if broken is None:
        broken = against_head(links.head, kept, links.hash_at_kept)
    if progress is not None:
        progress("chain", links.position, total)
    return VerificationReport(
        events=links.position, reviews=reviews, head=links.head, broken=broken, issues=issues
    )


def _against_row(mine: ChainHead | None, row: ChainHead | None, what: str, items: str) -> BrokenLink | None:
    """The problem, if any, with a *what* ending at *mine* when the store's head row says *row*."""
    if mine == row:
        return None
    end = mine.position if mine else 0
    recorded = row.position if row else 0
    if recorded < 0:
        problem = f"the store's own head row of the {what} cannot be read: it was changed outside the library"
        return BrokenLink(end, None, None, problem)
    if recorded > end:
        problem = (
            f"the {what} ends at position {end}, before the store's own head row (position "
            f"{recorded}): {items} were removed from the end"
        )
        return BrokenLink(end + 1, None, None, problem)
    if recorded < end:
        problem = (
            f"the {what} goes on past the store's own head row (position {recorded}): {items} were "
            "added outside the library, or the head row was changed"
        )
        return BrokenLink(recorded + 1, None, None, problem)
    problem = f"the {what}'s last link differs from the store's own head row: one of them was rewritten"
    return BrokenLink(end, None, None, problem)


def _check_ledger(source: Source) -> LedgerReport:
    previous, position = GENESIS, 0
    for at, review_id, message_id, action, stored, hash_ in source.ledger_links():
        state = _state(stored)
        if at != position + 1:
            return LedgerReport(position, _head(position, previous), f"position {at}: entries are missing")
        if state is None or not all(isinstance(v, str) for v in (review_id, message_id, action)):
            return LedgerReport(position, _head(position, previous), f"position {at}: it cannot be read")
        text = _ledger.body(review_id, message_id, action, state)
        if chain_hash(previous, text) != hash_:
            problem = f"position {at}: the entry does not match its hash: it was changed, inserted or moved"
            return LedgerReport(position, _head(position, previous), problem)
        previous, position = hash_, at
    mine = _head(position, previous)
    broken = _against_row(mine, source.ledger_head_row(), "ledger", "entries")
    if broken is not None:
        return LedgerReport(position, mine, f"position {broken.position}: {broken.problem}")
    return LedgerReport(position, mine)


def _head(position: int, hash_: str) -> ChainHead | None:
    return ChainHead(position, hash_) if position else None


def _state(stored: object) -> dict[str, Any] | None:
    """A ledger entry's state as stored (JSON text, or a mapping), or ``None`` if it is not one."""
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except (ValueError, RecursionError):
            return None
    if not isinstance(stored, Mapping) or set(stored) != set(_ledger.STATE_FIELDS):
        return None
    return dict(stored)


class _Findings:
    """The differences found so far: the first :data:`SHOWN` kept, all counted."""

    def __init__(self) -> None:
        self.shown: list[Difference] = []
        self.count = 0
        self.checked: dict[str, int] = {}

    def add(self, table: str, key: str, column: str | None, problem: str) -> None:
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append(Difference(table, key, column, problem))


_EVENTS_SAY = "differs from what the events say"
_LEDGER_SAYS = "differs from what the outbox ledger says"
_MISSING = "is missing: the events say it should be there"
_NO_EVENT = "has no event behind it"
_UNREADABLE = "cannot be read: it was changed outside the library"
_NOT_CHECKED = frozenset({"extensions"})
"""Columns only checked to be readable: plugins' fields in a compliance record cannot be asked for again."""
_ORDER = (
    "reviews",
    "referrals",
    "outbox",
    "compliance",
    "compliance_items",
    "systemic_issues",
    "outbox_ledger",
)


def _check_tables(
    source: Source,
    chain: VerificationReport,
    ledger: LedgerReport,
    progress: Progress | None,
    *,
    sink: Sink | None,
) -> StoreReport:
    findings = _Findings()
    findings.checked = {table: 0 for table in _ORDER if table in source.tables or table == "outbox_ledger"}
    total, done, told = chain.events, 0, 0
    for holding in source.holdings():
        before = findings.count
        expected = _check_review(source, holding, findings, trust_ledger=ledger.ok)
        if sink is not None and findings.count > before and expected is not None:
            sink.rewrite(holding, expected)
        done += len(holding.events)
        if progress is not None and done - told >= _EVERY:
            progress("tables", done, total)
            told = done
    if progress is not None:
        progress("tables", done, total)
    return StoreReport(
        chain,
        ledger,
        checked=findings.checked,
        differences=tuple(findings.shown),
        difference_count=findings.count,
    )


def _check_review(
    source: Source, holding: Holding, findings: _Findings, *, trust_ledger: bool
) -> Expected | None:
    """Compare what *holding* holds with what its events say; what its rows must be (``None``: unknown)."""
    review_id = holding.review_id
    for problem in holding.problems:
        findings.add(problem.table, problem.key, problem.column, problem.problem)
    for table, stored in holding.rows.items():
        findings.checked[table] = findings.checked.get(table, 0) + len(stored)
    findings.checked["outbox_ledger"] = findings.checked.get("outbox_ledger", 0) + len(holding.ledger)
    expected = Expected()
    if is_issue_id(review_id):
        return _check_issue(source, holding, findings)
    if holding.events:
        try:
            events = [record.event() for record in holding.events]
            review = replay(events)
        except (IntegrityError, ValueError) as exc:  # ValidationError and SchemaVersionError included
            what = "a newer version wrote them" if "newer version" in str(exc) else "they do not replay"
            findings.add("events", review_id, None, f"the review's events cannot be read: {what}")
            return None
        for record, event in zip(holding.events, events, strict=True):
            stored_at: object = record.occurred_at  # None where the store could not read it
            if stored_at is not None and stored_at != event.occurred_at:
                findings.add("events", str(record.position), "occurred_at", "differs from the event's body")
        messages = tuple(outbox_messages(review, events))
        expected = Expected(
            review=review_record(review),
            referrals=tuple(referral_record(review, r) for r in review.referrals),
            outbox=tuple(_delivery(message, holding, findings, trust=trust_ledger) for message in messages),
            compliance=build_record(review) if review.is_closed else None,
        )
        known = {message.message_id for message in messages}
    else:
        known = set()
    for entry in holding.ledger:
        if entry.message_id not in known:
            unknown = "is about a message the events do not have"
            findings.add("outbox_ledger", str(entry.position), None, unknown)
    summary = [expected.review] if expected.review else []
    _compare(source, "reviews", _rows(source, "reviews", summary), holding, findings)
    _compare(source, "referrals", _rows(source, "referrals", expected.referrals), holding, findings)
    outbox = _rows(source, "outbox", expected.outbox)
    _compare(source, "outbox", outbox, holding, findings, ledger=trust_ledger)
    closed = expected.compliance
    _compare(source, "compliance", _rows(source, "compliance", [closed] if closed else []), holding, findings)
    if "compliance_items" in source.tables:
        from ._rows import compliance_items  # noqa: PLC0415 - the SQL stores' table, loaded with them

        items = {
            f"{item['review_id']}/{item['item']}/{item['ordinal']}": source.render("compliance_items", item)
            for item in (compliance_items(closed) if closed else [])
        }
        _compare(source, "compliance_items", items, holding, findings)
    _compare(source, "systemic_issues", {}, holding, findings)
    return expected


def _check_issue(source: Source, holding: Holding, findings: _Findings) -> Expected | None:
    """Compare a systemic issue's row (and nothing else: an issue has no review rows) with its events."""
    expected = Expected()
    if holding.events:
        try:
            expected = Expected(issue=issue_record(issue_from(record.event() for record in holding.events)))
        except (IntegrityError, ValueError) as exc:
            what = "a newer version wrote them" if "newer version" in str(exc) else "they do not replay"
            findings.add("events", holding.review_id, None, f"the issue's events cannot be read: {what}")
            return None
    for table in ("reviews", "referrals", "outbox", "compliance", "compliance_items"):
        _compare(source, table, {}, holding, findings)
    for entry in holding.ledger:
        findings.add("outbox_ledger", str(entry.position), None, "is about a message the events do not have")
    issue = [expected.issue] if expected.issue else []
    _compare(source, "systemic_issues", _rows(source, "systemic_issues", issue), holding, findings)
    return expected


def _rows(source: Source, table: str, records: Iterable[Any]) -> dict[str, dict[str, object]]:
    """*records* rendered as *table*'s rows, by key."""
    rendered = {}
    for record in records:
        values = row_values(record)
        rendered[_key(table, values)] = source.render(table, values)
    return rendered


def row_values(record: Any) -> dict[str, Any]:
    """A record's values by field, an outbox row's message fields first (as the outbox table has them)."""
    values = field_values(record)
    message = values.pop("message", None)
    if isinstance(message, OutboxMessage):
        values = {**field_values(message), **values}
    return values


def _key(table: str, values: Mapping[str, Any]) -> str:
    name = {"referrals": "referral_id", "outbox": "message_id", "systemic_issues": "issue_id"}.get(
        table, "review_id"
    )
    return str(values[name])


def _compare(
    source: Source,
    table: str,
    expected: Mapping[str, Mapping[str, object]],
    holding: Holding,
    findings: _Findings,
    *,
    ledger: bool = True,
) -> None:
    if table not in source.tables:
        return
    stored = {row.key: row for row in holding.rows.get(table, ())}
    for key, wanted in expected.items():
        found = stored.pop(key, None)
        if found is None:
            findings.add(table, key, None, _MISSING)
            continue
        have, row = found.values, wanted
        skipped = _NOT_CHECKED.intersection(row)
        if skipped:  # not compared: taken as it is, so that the rest compares whole
            row = {**row, **{c: have[c] for c in skipped if have.get(c, UNREADABLE) is not UNREADABLE}}
        if have == row:  # nearly always: compared whole, in C
            continue
        for column, value in row.items():
            kept = have.get(column, UNREADABLE)
            if kept is UNREADABLE:
                findings.add(table, key, column, _UNREADABLE)
            elif table == "outbox" and column in _ledger.STATE_FIELDS:
                if ledger and kept != value:
                    findings.add(table, key, column, _LEDGER_SAYS)
            elif kept != value:
                findings.add(table, key, column, _EVENTS_SAY)
    for key in stored:
        findings.add(table, key, None, _NO_EVENT)


def _delivery(message: OutboxMessage, holding: Holding, findings: _Findings, *, trust: bool) -> Any:
    """The message's row as its entries in the outbox ledger leave it.

    Each entry is checked to be a change a store makes.
    """
    state: dict[str, Any] = _ledger.first_state(message)
    first = True
    for entry in holding.ledger:
        if entry.message_id != message.message_id:
            continue
        if not (entry.action == _ledger.Action.CARRIED_OVER and first) and not _ledger.follows(
            state, entry.action, entry.state
        ):
            findings.add(
                "outbox_ledger",
                str(entry.position),
                "action",
                "is not a change a store makes to the message as the entries before left it",
            )
        state, first = dict(entry.state), False
    try:
        values = _ledger.row_values(state) if trust else _ledger.row_values(_ledger.first_state(message))
    except (ValueError, TypeError, KeyError):
        findings.add("outbox_ledger", message.message_id, "state", _UNREADABLE)
        values = _ledger.row_values(_ledger.first_state(message))
    return OutboxRow(message=message, **values)


def ledger_entries(rows: Iterable[Sequence[Any]]) -> Iterator[_ledger.Entry]:
    """Ledger rows (as :meth:`Source.ledger_links` gives them) as entries; unreadable states left out."""
    for position, review_id, message_id, action, stored, hash_ in rows:
        state = _state(stored)
        if state is not None:
            yield _ledger.Entry(position, review_id, message_id, action, state, hash_)
