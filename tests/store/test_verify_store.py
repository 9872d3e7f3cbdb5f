"""The whole-store check and rebuild, on every store: what verify compares, and what rebuild puts right.

The tamper tests (an SQL edit of each table, on SQLite and PostgreSQL) are in
``tests/reliability/test_tamper.py``; these show the check on every store, its report, and rebuild.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping

import attrs
import pytest
from tests import scenarios
from tests.conftest import RoutesPlugin
from tests.reliability.unchanged import differences, snapshot

from ethical_decisions import (
    ComplianceRecord,
    DeliveryError,
    EthicalDecisions,
    FinalDecision,
    IntegrityError,
    LaterOutcomeKind,
    LaterOutcomeResult,
    RecordsOfficer,
    ReferralStatus,
    hookimpl,
    testing,
)
from ethical_decisions.model import PolicyTeamMember
from ethical_decisions.relay import Relay, RetryPolicy
from ethical_decisions.store import MemoryStore, OutboxStatus, Store
from ethical_decisions.transports import ReferralMessage

from .conftest import Backend

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class Flaky:
    """A transport that refuses the deliveries it is told to, and takes the rest."""

    name = "flaky"

    def __init__(self) -> None:
        self.refuse = 0

    def deliver(self, message: ReferralMessage) -> None:
        """Refuse for good while :attr:`refuse` is above zero (counting down); else take it."""
        if self.refuse:
            self.refuse -= 1
            raise DeliveryError("The receiver said no.", retryable=False)


class Enriching:
    """A plugin that adds a field to every compliance record."""

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, object]:
        """Add the plugin's field."""
        return {"pdr_cycle": "2026-H1"}


@attrs.frozen
class Busy:
    """A store that has seen every kind of step and every kind of delivery."""

    edm: EthicalDecisions
    closed: str
    relay: Relay


def _busy(store: Store) -> Busy:
    clock = testing.FakeClock(now=START)
    transport = Flaky()
    route = attrs.evolve(testing.route("ccu_test"), transport=transport)
    edm = testing.service(RoutesPlugin(route), Enriching(), store=store, clock=clock)
    dm, team, officer = (
        testing.decision_maker(),
        testing.route_team_member("ccu_test"),
        RecordsOfficer("ro-1"),
    )
    relay = Relay(edm, policy=RetryPolicy(max_attempts=1), clock=clock, name="relay-1")
    advised = scenarios.escalated(edm, dm)
    referral = advised.referrals[0].referral_id
    transport.refuse = 1
    assert relay.run_once().dead == 1
    relay.redrive(relay.dead_letters()[0].message.message_id)
    assert relay.run_once().delivered == 1
    edm.assign_referral(referral, by=team, to=team)
    edm.acknowledge_referral(referral, by=team)
    edm.give_advice(referral, by=team, advice="Grant it.")
    scenarios.respond(edm, referral, dm)
    edm.finalise(advised.review_id, by=dm, decision=FinalDecision("grant", "Grant.", "Advice followed."))
    issue = edm.open_systemic_issue(
        referral,
        by=team,
        title="Residence records the department holds",
        description="Asked for again and again.",
        rule="Appendix Settlement 4.2",
        owner="settlement_policy",
        due_on=dt.date(2026, 3, 1),
    )
    edm.update_systemic_issue(
        issue.issue_id, by=PolicyTeamMember("pol-1", "settlement_policy"), status="accepted"
    )
    edm.record_later_outcome(
        advised.review_id,
        by=dm,
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.UPHELD,
        decided_on=dt.date(2026, 1, 5),
    )
    closed = scenarios.close_unresolved(edm, scenarios.open_with_concern(edm, dm).review_id, dm)
    edm.erase_free_text(closed.review_id, by=officer)
    withdrawn = scenarios.escalated(edm, testing.decision_maker("dm-0002"))
    edm.withdraw_referral(
        withdrawn.referrals[0].referral_id, by=testing.decision_maker("dm-0002"), reason="Resolved."
    )
    edm.hand_over(withdrawn.review_id, by=testing.decision_maker("dm-0002"), to=dm, reason="Leave.")
    scenarios.escalated(edm, dm)  # left waiting: its message pending, never tried
    return Busy(edm, closed.review_id, relay)


def test_a_store_that_saw_every_kind_of_step_verifies_whole(store: Store) -> None:
    """Every table of a store that saw every kind of step and delivery matches its events and ledger.

    Escalations, assignment, advice and the response to it, closing with plugin fields, a systemic
    issue opened and moved on, a later outcome, an erasure, a withdrawal, a handover; a delivery that
    died, was re-driven and was delivered.
    """
    busy = _busy(store)

    report = store.verify()

    assert report.ok, str(report)
    assert report.ledger is not None
    assert (report.events, report.reviews, report.chain.issues, report.ledger.entries) == (
        busy.edm.head().position,  # type: ignore[union-attr]
        4,
        1,
        5,
    )
    assert {t: n for t, n in report.checked.items() if t != "compliance_items"} == {
        "reviews": 4,
        "referrals": 3,
        "outbox": 4,
        "compliance": 2,
        "outbox_ledger": 5,
        "systemic_issues": 1,
    }
    assert "tables match the events and the ledger" in str(report)


def test_chain_only_checks_the_chain_alone(store: Store) -> None:
    """With chain_only, the chain is checked and the tables and the ledger are not; the report says so."""
    _busy(store)

    report = store.verify(chain_only=True)

    assert (report.ok, report.ledger, dict(report.checked)) == (True, None, {})
    assert "tables not checked: only the audit chain was asked for" in str(report)


def test_progress_is_told_for_each_stage(store: Store) -> None:
    """The progress callback hears of the chain, then the tables, each ending at every event."""
    _busy(store)
    heard: list[tuple[str, int, int]] = []

    report = store.verify(progress=lambda *told: heard.append(told))

    assert [stage for stage, _, _ in heard] == ["chain", "tables"]
    assert {(done, total) for _, done, total in heard} == {(report.events, report.events)}


def test_a_memory_store_changed_behind_its_back_shows_where(make_memory: MemoryStore) -> None:
    """The memory store is checked the same way: a referral row changed in its dict is named."""
    _busy(make_memory)
    (referral,) = make_memory.referrals(statuses=[ReferralStatus.SUBMITTED])
    make_memory._referrals[referral.referral_id] = attrs.evolve(referral, status=ReferralStatus.ADVICE_GIVEN)

    report = make_memory.verify()

    assert [(d.table, d.key, d.column) for d in report.differences] == [
        ("referrals", referral.referral_id, "status")
    ]


@pytest.fixture(name="make_memory")
def _make_memory() -> MemoryStore:
    return MemoryStore()


def _tamper_compliance(backend: Backend, store: Store, review_id: str) -> None:
    """Move a compliance record to another staff id, in the database (or the memory store's dict)."""
    if backend.kind == "memory":
        assert isinstance(store, MemoryStore)
        record = store._compliance[review_id]
        store._compliance[review_id] = attrs.evolve(record, staff_id="dm-9999")
    else:
        backend.sql("UPDATE compliance SET staff_id = 'dm-9999' WHERE review_id = ?", (review_id,))


def test_rebuild_puts_the_tables_right_and_keeps_plugins_fields(backend: Backend, store: Store) -> None:
    """Rebuild rewrites what differs from the events, keeps the fields plugins added, and then verifies.

    A dry run first reports the same differences and changes nothing.
    """
    busy = _busy(store)
    _tamper_compliance(backend, store, busy.closed)
    before = snapshot(store)

    dry = store.rebuild(dry_run=True)

    assert [(d.table, d.key, d.column) for d in dry.differences] == [("compliance", busy.closed, "staff_id")]
    assert differences(before, snapshot(store)) == []
    assert store.rebuild().difference_count == 1
    assert store.verify().ok
    (record,) = [r for r in store.compliance_records() if r.review_id == busy.closed]
    assert (record.staff_id, record.extensions) == ("dm-0001", {"pdr_cycle": "2026-H1"})


def test_rebuild_refuses_a_broken_chain_and_changes_nothing(sql_backend: Backend) -> None:
    """Rebuild checks the chain first, in its own transaction: a broken chain is refused, nothing written."""
    store = sql_backend.open()
    busy = _busy(store)
    _tamper_compliance(sql_backend, store, busy.closed)
    sql_backend.sql("UPDATE events SET body = body || ' ' WHERE position = 3")
    before = snapshot(store)

    with pytest.raises(IntegrityError, match="audit chain does not verify") as info:
        store.rebuild()

    assert "position 3" in str(info.value)
    assert differences(before, snapshot(store)) == []


def test_verify_reads_one_snapshot_while_a_writer_carries_on(sql_backend: Backend) -> None:
    """A step stored while verify is between its stages is not half-seen: verify checks the store as it began.

    The step is taken (in another thread, to its commit) from verify's own progress callback, after
    the chain has been read and before the tables are, so the two overlap for certain.
    """
    store = sql_backend.open()
    busy = _busy(store)
    events = store.head().position  # type: ignore[union-attr]
    written: list[int] = []

    def step() -> None:
        review = scenarios.open_with_concern(busy.edm, testing.decision_maker())
        written.append(review.version)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "chain" and not written:
            writer = threading.Thread(target=step)
            writer.start()
            writer.join(30)

    report = store.verify(progress=progress)

    assert (report.ok, report.events, written) == (True, events, [2]), str(report)
    assert store.verify().events == events + 2


def test_a_claim_holds_until_its_lease_ends(store: Store) -> None:
    """A claimed row names its relay and lease; it is held until the lease ends, and a mark lets it go."""
    busy = _busy(store)
    assert [r.attempts for r in store.outbox() if r.status is OutboxStatus.PENDING] == [0, 0, 0]
    now = START + dt.timedelta(days=1)

    (claimed,) = store.claim_outbox(now=now, limit=1, lease=dt.timedelta(minutes=2), by="relay-9")

    assert (claimed.claimed_by, claimed.claimed_until) == ("relay-9", now + dt.timedelta(minutes=2))
    assert (claimed.held_at(now), claimed.held_at(now + dt.timedelta(minutes=2))) == (True, False)
    assert store.mark_delivered(claimed.message.message_id, attempt=claimed.attempts, at=now)
    (row,) = [r for r in store.outbox() if r.message.message_id == claimed.message.message_id]
    assert (row.claimed_by, row.claimed_until, row.held_at(now)) == (None, None, False)
    assert busy.edm.verify().ok
