"""What "nothing lost, nothing half-written" means for a store, checked the same way after every fault.

A review is whole when its events replay, and every projection written with them (the review's summary
row, its referrals' queue rows, the outbox messages and the compliance record) is exactly what those
events say. The expected projections are rebuilt here by folding the events one at a time, as the
service does when it appends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from ethical_decisions import verify
from ethical_decisions.audit import ChainHead, ChainRecord
from ethical_decisions.compliance import ComplianceRecord, build_record
from ethical_decisions.events import LaterOutcomeRecorded, ReviewFinalised
from ethical_decisions.projections import changed_referrals, outbox_messages, review_record
from ethical_decisions.review import Review, evolve
from ethical_decisions.store import OutboxMessage, ReferralRecord, ReviewRecord, Store


@attrs.frozen
class Expected:
    """The projections one review's events call for."""

    review: ReviewRecord
    referrals: Mapping[str, ReferralRecord]
    outbox: frozenset[OutboxMessage]
    compliance: ComplianceRecord | None


def expected(records: Iterable[ChainRecord]) -> tuple[Review, Expected]:
    """The review that *records* replay to, and the projections its appends wrote (no plugins installed)."""
    review: Review | None = None
    referrals: dict[str, ReferralRecord] = {}
    outbox: set[OutboxMessage] = set()
    compliance = None
    for record in records:
        event = record.event()
        after = evolve(review, event)
        for row in changed_referrals(review, after):
            referrals[row.referral_id] = row
        outbox.update(outbox_messages(after, [event]))
        if after.is_closed and isinstance(event.payload, ReviewFinalised | LaterOutcomeRecorded):
            compliance = build_record(after)
        review = after
    assert review is not None, "a stored review has at least its opening event"
    return review, Expected(review_record(review), referrals, frozenset(outbox), compliance)


class Snapshot:
    """Every projection in a store, read once, to check many reviews against."""

    def __init__(self, store: Store) -> None:
        self.reviews = {r.review_id: r for r in store.reviews()}
        self.referrals = {r.referral_id: r for r in store.referrals()}
        self.outbox = {r.message.message_id: r for r in store.outbox()}
        self.compliance = {r.review_id: r for r in store.compliance_records()}

    def problems(self, store: Store, review_id: str) -> list[str]:
        """How the stored projections of *review_id* differ from what its events say (none if whole)."""
        review, want = expected(store.load(review_id))
        found = []
        if self.reviews.get(review_id) != want.review:
            found.append(f"{review_id}: review row differs from its {review.version} events")
        mine = {k: v for k, v in self.referrals.items() if v.review_id == review_id}
        if mine != dict(want.referrals):
            found.append(f"{review_id}: referral rows differ from its events")
        messages = {r.message for r in self.outbox.values() if r.message.review_id == review_id}
        if messages != set(want.outbox):
            found.append(f"{review_id}: outbox rows differ from its events")
        record = self.compliance.get(review_id)
        if record is not None:
            record = attrs.evolve(record, extensions={})  # plugins' fields: checked by the plugin tests
        if record != want.compliance:
            found.append(f"{review_id}: compliance record differs from its events")
        return found

    def orphans(self, review_ids: set[str]) -> list[str]:
        """Projections of reviews that have no events: written without the events they project."""
        return sorted(
            {r for r in self.reviews if r not in review_ids}
            | {r.review_id for r in self.referrals.values() if r.review_id not in review_ids}
            | {r.message.review_id for r in self.outbox.values() if r.message.review_id not in review_ids}
            | {r for r in self.compliance if r not in review_ids}
        )


def whole(
    store: Store, review_ids: Iterable[str] | None = None, *, head: ChainHead | None = None
) -> list[str]:
    """Every way *store* is not whole.

    The chain fails to verify (up to *head*, a head kept elsewhere), a review does not replay or its
    projections disagree with its events, or projections lack events: checked here, independently of
    the store; and the store's own whole-store verify (its head row, the outbox ledger, every table as
    the store writes it) does not pass.

    :param review_ids: the reviews to replay and compare (by default every review in the chain).
    """
    chain = list(store.chain())
    report = verify(chain, expected_head=head)
    found = [] if report.ok else [f"chain: {report}"]
    by_store = store.verify(expected_head=head)
    if not by_store.ok:
        found.append(f"store's verify: {by_store}")
    stored = {r.review_id for r in chain}
    snapshot = Snapshot(store)
    found += [f"{r}: projection without events" for r in snapshot.orphans(stored)]
    for review_id in sorted(stored if review_ids is None else set(review_ids) & stored):
        try:
            found += snapshot.problems(store, review_id)
        except Exception as exc:  # a review that does not replay is half-written
            found.append(f"{review_id}: does not replay ({type(exc).__name__}: {exc})")
    return found
