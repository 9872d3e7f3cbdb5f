"""The in-memory store: for tests and trying the library out; the reference for the others."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from typing_extensions import override

from ethical_decisions.assessments import Assessment, assessment_order
from ethical_decisions.audit import GENESIS, NO_ERASURE, BrokenLink, ChainHead, ChainRecord
from ethical_decisions.compliance import ComplianceRecord
from ethical_decisions.events import FreeTextErased, is_issue_id
from ethical_decisions.exceptions import ConflictError, NotFoundError, StoreError
from ethical_decisions.freetext import erased
from ethical_decisions.learning import GuidanceFeedbackNote, IssueRecord, SpeakUpAnswer
from ethical_decisions.review import ReferralStatus

from . import _checking, _ledger
from ._checking import Expected, Holding, StoredRow, row_values
from ._records import link, pending
from .base import AppendBatch, OutboxRow, OutboxStatus, ReferralRecord, ReviewRecord, Store

if TYPE_CHECKING:
    from ethical_decisions.figures import DepartmentFigures, PdrFigures, Period

    from .verification import Progress, StoreReport

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """A store in memory: for tests, examples and trying the library out.

    Thread-safe. Everything is lost when the process ends.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._chain: list[ChainRecord] = []
        self._by_review: dict[str, list[int]] = {}
        self._reviews: dict[str, ReviewRecord] = {}
        self._referrals: dict[str, ReferralRecord] = {}
        self._outbox: dict[str, OutboxRow] = {}
        self._compliance: dict[str, ComplianceRecord] = {}
        self._ledger: list[_ledger.Entry] = []
        self._ledger_head: tuple[int, str] = (0, GENESIS)
        self._assessments: dict[tuple[str, str, str], Assessment] = {}
        self._issues: dict[str, IssueRecord] = {}
        self._speak_up: list[SpeakUpAnswer] = []
        self._guidance_feedback: list[GuidanceFeedbackNote] = []
        self._case_index: dict[str, set[str]] = {}

    @property
    def url(self) -> str:
        """``"memory://"``."""
        return "memory://"

    @override
    def append(self, batch: AppendBatch) -> tuple[ChainRecord, ...]:
        with self._lock:
            current = len(self._by_review.get(batch.review_id, ()))
            if current != batch.expected_version:
                raise ConflictError(batch.review_id, batch.expected_version, current)
            if any(m.message_id in self._outbox for m in batch.outbox):
                raise StoreError(
                    "an outbox message with that id is already stored; this is a bug in the caller"
                )
            indexes = self._by_review.setdefault(batch.review_id, [])
            if batch.erase_texts:
                self._erase(batch.review_id, indexes)
            previous = self._chain[-1].hash if self._chain else GENESIS
            written = []
            for sealed in batch.events:
                record = link(sealed, position=len(self._chain) + 1, previous=previous)
                previous = record.hash
                indexes.append(len(self._chain))
                self._chain.append(record)
                written.append(record)
            if batch.review is not None:
                self._reviews[batch.review_id] = batch.review
            if batch.issue is not None:
                self._issues[batch.issue.issue_id] = batch.issue
            for referral in batch.referrals:
                self._referrals[referral.referral_id] = referral
            for message in batch.outbox:
                self._outbox[message.message_id] = pending(message)
            if batch.compliance is not None:
                self._compliance[batch.review_id] = batch.compliance
            if batch.case_digest is not None:
                self._case_index.setdefault(batch.case_digest, set()).add(batch.review_id)
            return tuple(written)

    def _erase(self, review_id: str, indexes: list[int]) -> None:
        """Blank the review's free text, its assessments' notes and its rows in the case index."""
        for index in indexes:
            record = self._chain[index]
            self._chain[index] = attrs.evolve(record, texts=erased(record.texts), salt=None)
        for key, assessment in self._assessments.items():
            if assessment.review_id == review_id:
                self._assessments[key] = attrs.evolve(assessment, note=None)
        for reviews in self._case_index.values():
            reviews.discard(review_id)

    @override
    def systemic_issues(self) -> list[IssueRecord]:
        with self._lock:
            return sorted(self._issues.values(), key=lambda i: (i.opened_at, i.issue_id))

    @override
    def record_speak_up(self, answer: SpeakUpAnswer) -> None:
        with self._lock:
            self._speak_up.append(answer)

    @override
    def speak_up_answers(self) -> list[SpeakUpAnswer]:
        with self._lock:
            return sorted(self._speak_up, key=lambda a: a.month)

    @override
    def record_guidance_feedback(self, note: GuidanceFeedbackNote) -> None:
        with self._lock:
            self._guidance_feedback.append(note)

    @override
    def guidance_feedback(self) -> list[GuidanceFeedbackNote]:
        with self._lock:
            return sorted(self._guidance_feedback, key=lambda n: n.month)

    @override
    def find_cases(self, digests: Collection[str]) -> dict[str, list[str]]:
        with self._lock:
            return {d: sorted(self._case_index[d]) for d in digests if self._case_index.get(d)}

    @override
    def index_cases(self, entries: Collection[tuple[str, str]]) -> int:
        with self._lock:
            added = 0
            for digest, review_id in entries:
                indexes = self._by_review.get(review_id)
                if not indexes or any(self._chain[i].kind == FreeTextErased.kind for i in indexes):
                    continue
                reviews = self._case_index.setdefault(digest, set())
                if review_id not in reviews:
                    reviews.add(review_id)
                    added += 1
            return added

    @override
    def load(self, review_id: str, *, after: int = 0) -> tuple[ChainRecord, ...]:
        with self._lock:
            indexes = self._by_review.get(review_id)
            if not indexes:
                raise NotFoundError("review", review_id)
            return tuple(self._chain[i] for i in indexes[max(after, 0) :])

    @override
    def chain(self, *, after: int = 0) -> Iterator[ChainRecord]:
        with self._lock:
            snapshot = list(self._chain[after:])
        return iter(snapshot)

    @override
    def head(self) -> ChainHead | None:
        with self._lock:
            if not self._chain:
                return None
            last = self._chain[-1]
            return ChainHead(last.position, last.hash)

    @override
    def reviews(
        self,
        *,
        business_area: str | None = None,
        staff_id: str | None = None,
        owner_id: str | None = None,
        open_only: bool = False,
    ) -> list[ReviewRecord]:
        with self._lock:
            rows = list(self._reviews.values())
        return sorted(
            (
                r
                for r in rows
                if (business_area is None or r.business_area == business_area)
                and (staff_id is None or r.staff_id == staff_id)
                and (owner_id is None or r.owner_id == owner_id)
                and (not open_only or r.closed_at is None)
            ),
            key=lambda r: (r.opened_at, r.review_id),
        )

    @override
    def referral(self, referral_id: str) -> ReferralRecord:
        with self._lock:
            found = self._referrals.get(referral_id)
        if found is None:
            raise NotFoundError("referral", referral_id)
        return found

    @override
    def referrals(
        self,
        *,
        route_id: str | None = None,
        statuses: Collection[ReferralStatus] | None = None,
        assignee_id: str | None = None,
        unassigned: bool = False,
    ) -> list[ReferralRecord]:
        with self._lock:
            rows = list(self._referrals.values())
        return sorted(
            (
                r
                for r in rows
                if (route_id is None or r.route_id == route_id)
                and (statuses is None or r.status in statuses)
                and (assignee_id is None or r.assignee_id == assignee_id)
                and (not unassigned or r.assignee_id is None)
            ),
            key=lambda r: (r.submitted_at, r.referral_id),
        )

    @override
    def compliance_records(
        self,
        *,
        staff_id: str | None = None,
        closed_from: dt.datetime | None = None,
        closed_before: dt.datetime | None = None,
    ) -> Iterator[ComplianceRecord]:
        with self._lock:
            rows = list(self._compliance.values())
        selected = (
            r
            for r in rows
            if (staff_id is None or r.staff_id == staff_id)
            and (closed_from is None or r.closed_at >= closed_from)
            and (closed_before is None or r.closed_at < closed_before)
        )
        return iter(sorted(selected, key=lambda r: (r.closed_at, r.review_id)))

    @override
    def record_assessment(self, assessment: Assessment) -> None:
        with self._lock:
            key = (assessment.review_id, assessment.staff_id, assessment.element.value)
            self._assessments[key] = assessment

    @override
    def assessments(
        self,
        *,
        staff_id: str | None = None,
        review_id: str | None = None,
        closed_from: dt.datetime | None = None,
        closed_before: dt.datetime | None = None,
    ) -> list[Assessment]:
        with self._lock:
            found = list(self._assessments.values())
            closed = {r.review_id: r.closed_at for r in self._compliance.values()}

        def when_closed(assessment: Assessment) -> bool:
            if closed_from is None and closed_before is None:
                return True
            at = closed.get(assessment.review_id)
            return (
                at is not None
                and (closed_from is None or at >= closed_from)
                and (closed_before is None or at < closed_before)
            )

        return sorted(
            (
                a
                for a in found
                if (staff_id is None or a.staff_id == staff_id)
                and (review_id is None or a.review_id == review_id)
                and when_closed(a)
            ),
            key=assessment_order,
        )

    @override
    def pdr_figures(self, staff_id: str, period: Period) -> PdrFigures:
        with self._lock:
            records, reviews = list(self._compliance.values()), list(self._reviews.values())
            assessed = list(self._assessments.values())
        from . import _counting  # noqa: PLC0415 - loaded with the first report

        return _counting.pdr_figures(records, reviews, staff_id, period, assessed)

    @override
    def pdr_sample(
        self, staff_id: str, period: Period, *, size: int = 3, seed: int | None = None
    ) -> list[ComplianceRecord]:
        closed = self.compliance_records(closed_from=period.start, closed_before=period.end)
        mine = [record for record in closed if record.parts(staff_id)]
        from . import _counting  # noqa: PLC0415 - loaded with the first report

        return _counting.pdr_sample(mine, size, seed)

    @override
    def department_figures(self, period: Period, *, as_of: dt.datetime) -> DepartmentFigures:
        with self._lock:
            records, referrals = list(self._compliance.values()), list(self._referrals.values())
            assessed = list(self._assessments.values())
        from . import _counting  # noqa: PLC0415 - loaded with the first report

        return _counting.department_figures(records, referrals, period, assessed, as_of=as_of)

    def _record(self, changes: list[tuple[OutboxRow, _ledger.Action]]) -> None:
        """Keep each changed row and its ledger entry (the lock held by the caller)."""
        entries, position, last = _ledger.chained(*self._ledger_head, changes)
        for row, _ in changes:
            self._outbox[row.message.message_id] = row
        self._ledger.extend(entries)
        self._ledger_head = (position, last)

    @override
    def claim_outbox(
        self, *, now: dt.datetime, limit: int, lease: dt.timedelta, by: str = "relay"
    ) -> list[OutboxRow]:
        with self._lock:
            due = sorted(
                (
                    r
                    for r in self._outbox.values()
                    if r.status is OutboxStatus.PENDING and r.next_attempt_at <= now
                ),
                key=lambda r: (r.message.created_at, r.message.message_id),
            )[: max(limit, 0)]
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
            self._record([(row, _ledger.Action.CLAIMED) for row in claimed])
            return claimed

    def _outbox_row(self, message_id: str) -> OutboxRow:
        row = self._outbox.get(message_id)
        if row is None:
            raise NotFoundError("outbox message", message_id)
        return row

    def _mark(self, message_id: str, attempt: int, action: _ledger.Action, **changes: Any) -> bool:
        """Change the message's row if it is still pending under claim *attempt*; whether it was."""
        with self._lock:
            row = self._outbox_row(message_id)
            if row.status is not OutboxStatus.PENDING or row.attempts != attempt:
                return False
            self._record([(attrs.evolve(row, claimed_by=None, claimed_until=None, **changes), action)])
            return True

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
        with self._lock:
            rows = list(self._outbox.values())
        return sorted(
            (r for r in rows if status is None or r.status is status),
            key=lambda r: (r.message.created_at, r.message.message_id),
        )

    @override
    def redrive(self, message_id: str, *, at: dt.datetime) -> None:
        with self._lock:
            row = self._outbox_row(message_id)
            if row.status is OutboxStatus.DEAD:
                again = attrs.evolve(
                    row,
                    status=OutboxStatus.PENDING,
                    redriven_after=row.attempts,
                    next_attempt_at=at,
                    updated_at=at,
                    claimed_by=None,
                    claimed_until=None,
                )
                self._record([(again, _ledger.Action.REDRIVEN)])

    # -- verify, rebuild, compact -------------------------------------------------------------

    @override
    def verify(
        self,
        *,
        expected_head: ChainHead | None = None,
        chain_only: bool = False,
        progress: Progress | None = None,
    ) -> StoreReport:
        with self._lock:
            return _checking.check(
                _Holdings(self), expected_head=expected_head, chain_only=chain_only, progress=progress
            )

    @override
    def rebuild(self, *, dry_run: bool = False) -> StoreReport:
        with self._lock:
            holdings = _Holdings(self)
            return _checking.rebuild(holdings, None if dry_run else holdings)

    @override
    def compact(self) -> None:
        """Nothing to rewrite: erased words are gone from memory once erased."""

    def close(self) -> None:
        """Nothing to release."""


class _Holdings:
    """A memory store's contents, as the check reads them and as rebuild writes them (its lock held)."""

    tables = frozenset({"reviews", "referrals", "outbox", "compliance", "systemic_issues"})

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def damage(self) -> str | None:
        return None

    def events_total(self) -> int:
        return len(self._store._chain)

    def links(self) -> Iterator[tuple[object, ...]]:
        for r in self._store._chain:
            yield r.position, r.review_id, r.sequence, r.kind, r.body, r.texts, r.salt, r.hash

    def review_checks(self, end: int) -> tuple[tuple[int, int], BrokenLink | None, BrokenLink | None]:
        chain = self._store._chain[:end]
        erased = {r.review_id for r in chain if r.kind == FreeTextErased.kind}
        last: dict[str, int] = {}
        out_of_sequence = unerased = None
        for r in chain:
            expected = last.get(r.review_id, 0) + 1
            if r.sequence != expected and out_of_sequence is None:
                problem = f"expected event {expected} of this review: events are missing or moved"
                out_of_sequence = BrokenLink(r.position, r.review_id, r.sequence, problem)
            if r.salt is None and r.review_id not in erased and unerased is None:
                unerased = BrokenLink(r.position, r.review_id, r.sequence, NO_ERASURE)
            last[r.review_id] = r.sequence
        issues = sum(1 for review_id in last if is_issue_id(review_id))
        return (len(last) - issues, issues), out_of_sequence, unerased

    def head_row(self) -> ChainHead | None:
        return self._store.head()

    def ledger_links(self) -> Iterator[tuple[object, ...]]:
        for e in self._store._ledger:
            yield e.position, e.review_id, e.message_id, e.action, e.state, e.hash

    def ledger_head_row(self) -> ChainHead | None:
        position, hash_ = self._store._ledger_head
        return ChainHead(position, hash_) if position else None

    def holdings(self) -> Iterator[Holding]:
        store = self._store
        by_review: dict[str, dict[str, list[StoredRow]]] = {}

        def add(table: str, review_id: str, key: str, record: object) -> None:
            tables = by_review.setdefault(review_id, {})
            tables.setdefault(table, []).append(StoredRow(key, row_values(record)))

        for rid, review in store._reviews.items():
            add("reviews", rid, rid, review)
        for key, referral in store._referrals.items():
            add("referrals", referral.review_id, key, referral)
        for key, row in store._outbox.items():
            add("outbox", row.message.review_id, key, row)
        for rid, record in store._compliance.items():
            add("compliance", rid, rid, record)
        for iid, issue in store._issues.items():
            add("systemic_issues", iid, iid, issue)
        ledger: dict[str, list[_ledger.Entry]] = {}
        for entry in store._ledger:
            ledger.setdefault(entry.review_id, []).append(entry)
        for rid in sorted({*store._by_review, *by_review, *ledger}):
            events = [store._chain[i] for i in store._by_review.get(rid, ())]
            yield Holding(rid, events, by_review.get(rid, {}), ledger.get(rid, []))

    def render(self, table: str, values: Mapping[str, Any]) -> dict[str, object]:
        return dict(values)

    def rewrite(self, holding: Holding, expected: Expected) -> None:
        store, rid = self._store, holding.review_id
        if expected.issue is not None:
            store._issues[rid] = expected.issue
        else:
            store._issues.pop(rid, None)
        if expected.review is not None:
            store._reviews[rid] = expected.review
        else:
            store._reviews.pop(rid, None)
        referrals = {r.referral_id: r for r in expected.referrals}
        for row in holding.rows.get("referrals", ()):
            found = store._referrals.get(row.key)
            if row.key not in referrals and found is not None and found.review_id == rid:
                del store._referrals[row.key]
        store._referrals.update(referrals)
        outbox = {r.message.message_id: r for r in expected.outbox}
        for row in holding.rows.get("outbox", ()):
            kept = store._outbox.get(row.key)
            if row.key not in outbox and kept is not None and kept.message.review_id == rid:
                del store._outbox[row.key]
        store._outbox.update(outbox)
        if expected.compliance is not None:
            stored = store._compliance.get(rid)
            extensions = stored.extensions if stored is not None else {}
            store._compliance[rid] = attrs.evolve(expected.compliance, extensions=extensions)
        else:
            store._compliance.pop(rid, None)
