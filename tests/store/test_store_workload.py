"""A realistic workload through the public API: every store keeps the same chain, rows and records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    RouteRegistrar,
    StaffRole,
    Stage,
    UnresolvedAcknowledgement,
    hookimpl,
    testing,
    verify,
)
from ethical_decisions.audit import ERASED
from ethical_decisions.events import ReviewOpened
from ethical_decisions.store import MemoryStore, OutboxStatus, Store

CSG = "customer_services_group"
IE = "immigration_enforcement"
LEASE = dt.timedelta(minutes=5)


class Routes:
    """Registers one test route for each of two business areas."""

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register ``ccu_test`` (Customer Services Group) and ``svm_test`` (Immigration Enforcement)."""
        register(testing.route("ccu_test", business_area=CSG))
        register(testing.route("svm_test", business_area=IE))


def _service(store: Store) -> EthicalDecisions:
    return testing.service(Routes(), store=store, clock=testing.FakeClock())


def _case(number: int) -> CaseReference:
    return CaseReference(
        reference=f"CSG-2026-{number:06d}", personal_details={"full_name": f"Applicant {number}"}
    )


PROPOSED = ProposedDecision(outcome="refuse", summary="Refuse indefinite leave: residence not shown.")


def _open(edm: EthicalDecisions, by: DecisionMaker, number: int, *concerns: Concern) -> tuple[str, list[str]]:
    review_id = edm.open_review(by=by, case=_case(number), proposed=PROPOSED).review_id
    review = edm.record_reflection(review_id, by=by, concerns=concerns, note=None if concerns else "None.")
    return review_id, [c.concern_id for c in review.concerns]


def _try_discretion_and_discussion(
    edm: EthicalDecisions, review_id: str, by: DecisionMaker, concern: str
) -> None:
    edm.consider_discretion(
        review_id,
        by=by,
        concern_id=concern,
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Long residence guidance, section 4",
        reason="The evidence falls short of the rule.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        review_id,
        by=by,
        concern_id=concern,
        consulted_role=ConsultedRole.LINE_MANAGER,
        consulted="J. Smith",
        advice="Escalate it.",
        result=DiscussionResult.NOT_RESOLVED,
    )


def workload(edm: EthicalDecisions) -> dict[str, str]:
    """Five reviews, interleaved, through every kind of step; the relay delivers some messages."""
    dm = testing.decision_maker()
    io = DecisionMaker(
        staff_id="io-0042", role=StaffRole.FRONTLINE_OFFICER, business_area=IE, team="ICE North"
    )
    clerk = RecordsOfficer(staff_id="ro-0001")
    ccu, svm = testing.route_team_member("ccu_test"), testing.route_team_member("svm_test")
    final = FinalDecision(outcome="refuse", summary="Refuse.", rationale="The rules are met.")
    grant = FinalDecision(outcome="grant", summary="Grant.", rationale="Discretion applies.")

    plain, _ = _open(edm, dm, 1)
    kind, (frail,) = _open(edm, dm, 2, Concern(ConcernCategory.VULNERABILITY, "The applicant is 94."))
    frontline, (unfair, records) = _open(
        edm,
        io,
        3,
        Concern(ConcernCategory.UNFAIR_OUTCOME, "Removal splits the family."),
        Concern(ConcernCategory.ERROR_IN_RECORDS, "The landing record looks wrong."),
    )
    withdrawn, (other,) = _open(edm, dm, 4, Concern(ConcernCategory.OTHER, "Something is off."))
    waiting, (rights,) = _open(edm, dm, 5, Concern(ConcernCategory.EQUALITY_OR_HUMAN_RIGHTS, "Article 8."))

    edm.finalise(plain, by=dm, decision=final)
    edm.consider_discretion(
        kind,
        by=dm,
        concern_id=frail,
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Exceptional circumstances",
        reason="Age and health.",
        result=DiscretionResult.RESOLVED,
    )
    for review_id, by, concern in ((frontline, io, unfair), (withdrawn, dm, other), (waiting, dm, rights)):
        _try_discretion_and_discussion(edm, review_id, by, concern)
    referral = edm.escalate(frontline, by=io, concern_ids=[unfair], question="May we defer?").referrals[0]
    edm.escalate(withdrawn, by=dm, concern_ids=[other], question="Advice, please?")
    edm.escalate(waiting, by=dm, concern_ids=[rights], question="Article 8 advice?")
    edm.finalise(kind, by=dm, decision=grant)
    edm.acknowledge_referral(referral.referral_id, by=svm)
    edm.return_referral(referral.referral_id, by=svm, question="Which family members?")
    edm.provide_information(referral.referral_id, by=io, response="Two children at school here.")
    edm.give_advice(referral.referral_id, by=svm, advice="Defer removal; consider leave outside the Rules.")
    edm.respond_to_advice(
        referral.referral_id,
        by=io,
        concern_id=unfair,
        response=AdviceResponse.FOLLOWED_IN_PART,
        reason="Removal deferred; leave outside the Rules not needed once the record is corrected.",
        resolved=True,
    )
    edm.consider_discretion(
        frontline,
        by=io,
        concern_id=records,
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Records correction",
        reason="Corrected.",
        result=DiscretionResult.RESOLVED,
    )
    edm.finalise(frontline, by=io, decision=grant)
    withdrawn_referral = edm.review(withdrawn).referrals[0].referral_id
    edm.withdraw_referral(withdrawn_referral, by=dm, reason="Resolved by a new document.")
    edm.acknowledge_referral(edm.review(waiting).referrals[0].referral_id, by=ccu)
    edm.finalise(
        withdrawn,
        by=dm,
        decision=final,
        unresolved=UnresolvedAcknowledgement(concern_ids=(other,), rationale="Within the Rules."),
    )
    edm.record_later_outcome(
        kind,
        by=clerk,
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.OVERTURNED,
        decided_on=dt.date(2026, 1, 5),
    )
    edm.erase_free_text(frontline, by=clerk)

    now = dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    first, second, *_ = edm.store.claim_outbox(now=now, limit=10, lease=LEASE)
    assert edm.store.mark_delivered(first.message.message_id, attempt=first.attempts, at=now)
    assert edm.store.mark_failed(
        second.message.message_id, attempt=second.attempts, at=now, next_attempt_at=now, error="E", dead=True
    )
    return {"plain": plain, "kind": kind, "frontline": frontline, "withdrawn": withdrawn, "waiting": waiting}


def _shape(store: Store) -> list[tuple[Any, ...]]:
    return [
        (
            r.position,
            r.review_id,
            r.sequence,
            r.kind,
            r.occurred_at,
            dict(r.texts),
            r.salt is None,
            len(r.hash),
        )
        for r in store.chain()
    ]


@pytest.fixture(name="worked")
def _worked(store: Store) -> tuple[Store, dict[str, str]]:
    return store, workload(_service(store))


def test_workload_verifies(worked: tuple[Store, dict[str, str]]) -> None:
    """After the workload the whole chain verifies, up to the store's head."""
    store, _ = worked

    report = verify(store.chain(), expected_head=store.head())

    assert report.ok, str(report)
    assert (5, len(list(store.chain()))) == (report.reviews, report.events)


def test_workload_same_in_every_store(worked: tuple[Store, dict[str, str]]) -> None:
    """Every store keeps the same chain shape, events and rows as the memory store for the same workload."""
    store, _ = worked
    reference = MemoryStore()
    workload(_service(reference))

    assert _shape(reference) == _shape(store)
    assert [r.event() for r in reference.chain()] == [r.event() for r in store.chain()]
    assert reference.reviews() == store.reviews()
    assert reference.referrals() == store.referrals()
    assert reference.outbox() == store.outbox()
    assert list(reference.compliance_records()) == list(store.compliance_records())
    assert [OutboxStatus.DELIVERED, OutboxStatus.DEAD] == [r.status for r in store.outbox()][:2]


def test_erasure_blanks_earlier_text_only(worked: tuple[Store, dict[str, str]]) -> None:
    """Erasure blanks the texts and salts of the review's earlier events; its own and others' stay."""
    store, ids = worked
    *earlier, erasure = store.load(ids["frontline"])

    assert all(r.salt is None and set(r.texts.values()) <= {None} for r in earlier)
    assert any(r.texts for r in earlier)
    assert "free_text_erased" == erasure.kind
    assert erasure.salt is not None
    assert all(r.salt is not None for r in store.load(ids["kind"]))
    opened = earlier[0].event().payload
    assert isinstance(opened, ReviewOpened)
    assert ERASED == opened.case.reference


def test_erased_review_reads_through_the_service(worked: tuple[Store, dict[str, str]]) -> None:
    """A fresh service reading the store sees the erased review with its text marked erased."""
    store, ids = worked

    review = _service(store).review(ids["frontline"])

    assert ERASED == review.case.reference
    assert review.erased_at is not None


def test_service_reopens_on_the_stored_state(worked: tuple[Store, dict[str, str]]) -> None:
    """A fresh service over the store carries on where the workload left off."""
    store, ids = worked
    edm = _service(store)
    referral_id = edm.review(ids["waiting"]).referrals[0].referral_id

    review = edm.give_advice(referral_id, by=testing.route_team_member("ccu_test"), advice="Grant.")

    assert [r.sequence for r in store.load(ids["waiting"])][-1] == review.version
    assert Stage.ADVICE_RECEIVED == review.stage
    assert verify(store.chain()).ok
