"""People and permissions on every store: owners, handover, assignment, credits; refusals change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from structlog.testing import capture_logs
from tests import scenarios
from tests.conftest import RoutesPlugin
from tests.reliability.unchanged import differences, snapshot

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    FinalDecision,
    NotPermittedError,
    ProposedDecision,
    RecordsOfficer,
    RouteTeamMember,
    StaffRole,
    StepError,
    hookimpl,
    make_plugins,
    testing,
)
from ethical_decisions.compliance import Part
from ethical_decisions.events import ReviewHandedOver
from ethical_decisions.figures import PdrFigures, Period
from ethical_decisions.log import ALLOWED_FIELDS
from ethical_decisions.policy import People, Permission, PermissionRequest
from ethical_decisions.store import Store

from .conftest import Backend

CSG = "customer_services_group"
ROUTE = testing.route("ccu", business_area=CSG)
CW_A = testing.decision_maker("cw-a")
CW_B = testing.decision_maker("cw-b")
MANAGER = testing.decision_maker("lm-1", role=StaffRole.LINE_MANAGER)
MEMBER = RouteTeamMember("ccu-1", "ccu")
COLLEAGUE = RouteTeamMember("ccu-2", "ccu")
MARKER = "MARKERPEOPLEREASON"
YEAR = Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def _service(store: Store, *extra: object, people: People | None = None) -> EthicalDecisions:
    plugins = make_plugins(blocked=(), entry_points=False, extra=[RoutesPlugin(ROUTE), *extra], people=people)
    return EthicalDecisions(store, plugins=plugins, clock=testing.FakeClock())


@pytest.fixture(name="edm")
def _edm(backend: Backend) -> EthicalDecisions:
    return _service(backend.open())


def _open(edm: EthicalDecisions, by: Any = CW_A) -> str:
    review = edm.open_review(
        by=by, case=CaseReference("CASE-P"), proposed=ProposedDecision("refuse", "Refuse.")
    )
    return review.review_id


def _escalate(edm: EthicalDecisions, review_id: str, by: Any = CW_A) -> str:
    edm.record_reflection(review_id, by=by, concerns=[Concern(ConcernCategory.UNFAIR_OUTCOME, "Unfair.")])
    edm.consider_discretion(
        review_id,
        by=by,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Rules.",
        reason="No provision.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        review_id,
        by=by,
        concern_id="C1",
        consulted_role=ConsultedRole.LINE_MANAGER,
        consulted="lm-1",
        advice="Escalate.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(review_id, by=by, concern_ids=["C1"], question="What can be done?")
    return review.referrals[-1].referral_id


def _refused(edm: EthicalDecisions, attempt: Any, expected: str) -> NotPermittedError:
    """Run *attempt*, which the policy must refuse with *expected* in the message, changing nothing."""
    before = snapshot(edm.store)
    with pytest.raises(NotPermittedError) as caught:
        attempt()
    assert expected in str(caught.value)
    assert MARKER not in str(caught.value)
    assert differences(before, snapshot(edm.store)) == []
    return caught.value


def test_only_the_owner_takes_the_decision_makers_steps(edm: EthicalDecisions) -> None:
    """A colleague cannot reflect on someone else's review; the message says what would allow it."""
    review_id = _open(edm)
    error = _refused(edm, lambda: edm.record_reflection(review_id, by=CW_B), "the review is held by cw-a")
    assert error.actor == "caseworker cw-b"
    assert "handed over to you" in error.would_allow


def test_a_handover_moves_the_review_to_its_new_owner(edm: EthicalDecisions, backend: Backend) -> None:
    """After cw-a hands over to cw-b, cw-b acts and cw-a cannot; the trail and the review row say so."""
    review_id = _open(edm)
    review = edm.hand_over(review_id, by=CW_A, to=CW_B, reason=f"Annual leave {MARKER}.")
    assert (review.owner, review.holders) == (CW_B, ("cw-a", "cw-b"))
    (handover,) = [e.payload for e in edm.trail(review_id) if isinstance(e.payload, ReviewHandedOver)]
    assert (handover.handed_from, handover.to, handover.reason) == ("cw-a", CW_B, f"Annual leave {MARKER}.")
    edm.record_reflection(review_id, by=CW_B)
    _refused(edm, lambda: edm.record_reflection(review_id, by=CW_A), "the review is held by cw-b")
    (row,) = backend.open().reviews(owner_id="cw-b")
    assert (row.review_id, row.staff_id, row.owner_id) == (review_id, "cw-a", "cw-b")
    assert backend.open().reviews(owner_id="cw-a") == []


def test_a_line_manager_hands_over_a_colleague_may_not(edm: EthicalDecisions) -> None:
    """A line manager of the business area hands a review over; a fellow caseworker cannot."""
    review_id = _open(edm)
    _refused(
        edm,
        lambda: edm.hand_over(review_id, by=CW_B, to=CW_B, reason=MARKER),
        "someone else's review is handed over only by a line manager or team leader",
    )
    review = edm.hand_over(review_id, by=MANAGER, to=CW_B, reason=f"Reallocated {MARKER}.")
    assert review.owner == CW_B
    assert review.handed_over_by == ("lm-1",)


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        (CW_A, "already holds the review"),
        (testing.decision_maker("bf-1", business_area="border_force"), "only to a decision-maker in that"),
    ],
)
def test_a_bad_handover_is_refused_and_changes_nothing(edm: EthicalDecisions, to: Any, expected: str) -> None:
    """Handing over to the owner or to another business area is refused, naming why and echoing no reason."""
    review_id = _open(edm)
    before = snapshot(edm.store)
    with pytest.raises(StepError, match=expected) as caught:
        edm.hand_over(review_id, by=CW_A, to=to, reason=MARKER)
    assert MARKER not in str(caught.value)
    assert differences(before, snapshot(edm.store)) == []


def test_a_closed_review_is_not_handed_over(edm: EthicalDecisions) -> None:
    """A closed review cannot change hands."""
    review_id = _open(edm)
    edm.record_reflection(review_id, by=CW_A)
    edm.finalise(review_id, by=CW_A, decision=FinalDecision("refuse", "Refuse.", "No concerns."))
    with pytest.raises(StepError, match="the review is closed"):
        edm.hand_over(review_id, by=CW_A, to=CW_B, reason=MARKER)


def test_unknown_staff_are_refused_when_the_deployment_keeps_a_register(backend: Backend) -> None:
    """With a register of staff, a handover to someone not in it is refused, and nothing changes."""
    edm = _service(backend.open(), people=People(staff={"cw-a": CW_A}))
    review_id = _open(edm)
    _refused(
        edm,
        lambda: edm.hand_over(review_id, by=CW_A, to=CW_B, reason=MARKER),
        "staff id cw-b is not in the deployment's register of staff",
    )


def test_route_teams_assign_reassign_and_release(edm: EthicalDecisions, backend: Backend) -> None:
    """A member takes a referral, a colleague takes it over, then releases it; the queue follows."""
    referral_id = _escalate(edm, _open(edm))
    store = backend.open()
    assert [r.referral_id for r in store.referrals(route_id="ccu", unassigned=True)] == [referral_id]
    edm.assign_referral(referral_id, by=MEMBER, to=MEMBER)
    assert [r.referral_id for r in store.referrals(assignee_id="ccu-1")] == [referral_id]
    assert store.referrals(route_id="ccu", unassigned=True) == []
    _refused(edm, lambda: edm.give_advice(referral_id, by=COLLEAGUE, advice=MARKER), "is assigned to ccu-1")
    edm.assign_referral(referral_id, by=COLLEAGUE, to=COLLEAGUE)
    assert store.referral(referral_id).assignee_id == "ccu-2"
    edm.acknowledge_referral(referral_id, by=COLLEAGUE)
    review = edm.release_referral(referral_id, by=COLLEAGUE)
    assert review.referral(referral_id).assignee is None  # type: ignore[union-attr]
    assert [r.referral_id for r in store.referrals(route_id="ccu", unassigned=True)] == [referral_id]


def test_nobody_answers_their_own_referral_or_a_referral_on_a_review_they_hold(edm: EthicalDecisions) -> None:
    """The referrer acting on the route's team is refused, and so is assigning to them."""
    referral_id = _escalate(edm, _open(edm))
    as_referrer = RouteTeamMember("cw-a", "ccu")
    _refused(edm, lambda: edm.acknowledge_referral(referral_id, by=as_referrer), "nobody answers their own")
    _refused(
        edm, lambda: edm.assign_referral(referral_id, by=MEMBER, to=as_referrer), "nobody answers their own"
    )
    other_route = RouteTeamMember("svm-1", "svm")
    _refused(edm, lambda: edm.acknowledge_referral(referral_id, by=other_route), "was made to route ccu")


def test_a_listed_team_cannot_be_assigned_outside_it(backend: Backend) -> None:
    """With the route's team listed, assigning a referral to someone not on it is refused."""
    edm = _service(backend.open(), people=People(route_teams={"ccu": ["ccu-1"]}))
    referral_id = _escalate(edm, _open(edm))
    _refused(
        edm,
        lambda: edm.assign_referral(referral_id, by=MEMBER, to=COLLEAGUE),
        "ccu-2 is not on route ccu's team",
    )


def test_only_a_records_officer_erases(edm: EthicalDecisions) -> None:
    """The review's owner cannot erase its free text; a records officer can."""
    review_id = _open(edm)
    edm.record_reflection(review_id, by=CW_A)
    edm.finalise(review_id, by=CW_A, decision=FinalDecision("refuse", "Refuse.", "No concerns."))
    _refused(edm, lambda: edm.record(review_id, _erasure(), by=CW_A), "only a records officer erases")
    assert edm.erase_free_text(review_id, by=RecordsOfficer("ro-1")).erased_at is not None


def _erasure() -> Any:
    from ethical_decisions.events import FreeTextErased

    return FreeTextErased("retention_period_ended")


def test_each_person_is_credited_with_the_parts_they_took(edm: EthicalDecisions, backend: Backend) -> None:
    """cw-a opened and handed over; cw-b reflected, escalated, decided: the record and PDR say so."""
    review_id = _open(edm)
    edm.hand_over(review_id, by=CW_A, to=CW_B, reason="Leave.")
    referral_id = _escalate(edm, review_id, by=CW_B)
    edm.acknowledge_referral(referral_id, by=MEMBER)
    edm.give_advice(referral_id, by=MEMBER, advice="Use the exception.")
    scenarios.respond(edm, referral_id, CW_B)
    edm.finalise(review_id, by=CW_B, decision=FinalDecision("grant", "Grant.", "On advice."))
    store = backend.open()
    (record,) = store.compliance_records()
    assert (record.staff_id, record.opened_by, record.reflected_by) == ("cw-b", "cw-a", "cw-b")
    assert (record.escalated_by, record.handed_over_by, record.holders) == (
        ("cw-b",),
        ("cw-a",),
        ("cw-a", "cw-b"),
    )
    a, b = store.pdr_figures("cw-a", YEAR), store.pdr_figures("cw-b", YEAR)
    assert (a.closed, dict(a.parts)) == (0, {Part.OPENED: 1, Part.HANDED_OVER: 1})
    assert (b.closed, dict(b.parts)) == (
        1,
        {Part.REFLECTED: 1, Part.ESCALATED: 1, Part.DECIDED: 1, Part.RECEIVED: 1},
    )
    assert [r.review_id for r in store.pdr_sample("cw-a", YEAR, seed=1)] == [review_id]
    assert [r.review_id for r in store.pdr_sample("cw-b", YEAR, seed=1)] == [review_id]
    assert store.pdr_figures("ccu-1", YEAR) == PdrFigures("ccu-1", YEAR)


def test_a_refusal_is_logged_with_ids_and_role_only(edm: EthicalDecisions) -> None:
    """A refused step is logged as permission_refused with allow-listed fields, never the text given."""
    review_id = _open(edm)
    with capture_logs() as logs, pytest.raises(NotPermittedError):
        edm.hand_over(review_id, by=CW_B, to=CW_B, reason=MARKER)
    (entry,) = [e for e in logs if e["event"] == "ethical_decisions.permission_refused"]
    assert set(entry) - {"event", "log_level"} <= ALLOWED_FIELDS
    assert (entry["staff_id"], entry["role"], entry["step"]) == ("cw-b", "caseworker", "hand the review over")
    assert MARKER not in repr(logs)


class Lenient:
    """A deployment's policy: anyone may reflect on a review (and nothing else is its business)."""

    @hookimpl
    def ethical_decisions_permission(self, request: PermissionRequest) -> Permission | None:
        """Allow reflections by anyone; leave every other step to the default policy."""
        return Permission.allow() if request.step.value == "record the reflection" else None


class Broken:
    """A policy plugin that fails."""

    @hookimpl
    def ethical_decisions_permission(self, request: PermissionRequest) -> Permission | None:
        """Raise, as a plugin whose directory is down might."""
        raise RuntimeError(MARKER)


def test_a_deployments_policy_answers_first(backend: Backend) -> None:
    """A policy plugin's answer wins over the default; where it answers None, the default still applies."""
    edm = _service(backend.open(), ("lenient", Lenient()))
    review_id = _open(edm)
    edm.record_reflection(review_id, by=CW_B)
    _refused(
        edm,
        lambda: edm.finalise(review_id, by=CW_B, decision=FinalDecision("refuse", "Refuse.", "Fine.")),
        "the review is held by cw-a",
    )


def test_a_broken_policy_refuses_and_is_reported(backend: Backend) -> None:
    """A policy plugin that raises never lets a step through; it is reported by name, without its message."""
    edm = _service(backend.open(), ("broken", Broken()))
    before = snapshot(edm.store)
    with pytest.raises(NotPermittedError, match="permission policy could not answer"):
        _open(edm)
    assert differences(before, snapshot(edm.store)) == []
    (problem,) = edm.plugins.problems()
    assert (problem.plugin, problem.hook, problem.error_type) == (
        "broken",
        "ethical_decisions_permission",
        "RuntimeError",
    )
    assert MARKER not in str(problem)
