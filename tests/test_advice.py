"""Advice informs; the decision-maker resolves: responses to advice, escalating again, and a second tier."""

from __future__ import annotations

import attrs
import pytest

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConcernStatus,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    EthicalDecisions,
    FinalDecision,
    OutcomeClass,
    ProposedDecision,
    Resolution,
    RoutePolicy,
    Stage,
    Step,
    StepError,
    UnresolvedAcknowledgement,
    testing,
)
from ethical_decisions.events import ReviewFinalised
from ethical_decisions.review import replay
from tests.conftest import RoutesPlugin

CSG = "customer_services_group"
CCU = testing.route("ccu", business_area=CSG)
PANEL = testing.route(
    "panel",
    business_area=CSG,
    policy=RoutePolicy(
        route_id="panel",
        version="1",
        business_area=CSG,
        requirements=EscalationRequirements(discretion_considered=False, discussion_held=False),
        reconsiders="ccu",
    ),
)
DM = testing.decision_maker("cw-1")
CCU_MEMBER = testing.route_team_member("ccu", "ccu-1")
PANEL_MEMBER = testing.route_team_member("panel", "panel-1")


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    return testing.service(RoutesPlugin(CCU, PANEL))


def _advised(edm: EthicalDecisions) -> tuple[str, str]:
    """A review whose one concern the Chief Caseworker Unit has advised on: (review id, referral id)."""
    review = edm.open_review(by=DM, case=CaseReference("C-1"), proposed=ProposedDecision("refuse", "Refuse."))
    rid = review.review_id
    edm.record_reflection(rid, by=DM, concerns=[Concern(ConcernCategory.UNFAIR_OUTCOME, "Unfair.")])
    edm.consider_discretion(
        rid,
        by=DM,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Rules.",
        reason="None fits.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        rid,
        by=DM,
        concern_id="C1",
        consulted_role=ConsultedRole.LINE_MANAGER,
        consulted="lm-1",
        advice="Escalate.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    escalated = edm.escalate(rid, by=DM, concern_ids=["C1"], question="What can we do?")
    referral_id = escalated.referrals[-1].referral_id
    edm.acknowledge_referral(referral_id, by=CCU_MEMBER)
    edm.give_advice(referral_id, by=CCU_MEMBER, advice="Consider the exception.")
    return rid, referral_id


def test_advice_does_not_resolve_a_concern(edm: EthicalDecisions) -> None:
    """After advice, the concern waits for the decision-maker's response; the review cannot be finalised."""
    rid, _ = _advised(edm)
    review = edm.review(rid)
    assert review.concern("C1").status is ConcernStatus.ADVISED  # type: ignore[union-attr]
    assert review.stage is Stage.ADVICE_RECEIVED
    assert Step.RESPOND_TO_ADVICE in edm.allowed_steps(rid)
    assert Step.FINALISE not in edm.allowed_steps(rid)
    with pytest.raises(StepError, match="have advice awaiting your response"):
        edm.finalise(rid, by=DM, decision=FinalDecision("grant", "Grant.", "On advice."))


@pytest.mark.parametrize("response", list(AdviceResponse))
def test_the_decision_maker_resolves_after_advice(edm: EthicalDecisions, response: AdviceResponse) -> None:
    """Followed, in part or not, with a reason: the concern is resolved by the decision-maker's step."""
    rid, referral_id = _advised(edm)
    review = edm.respond_to_advice(
        referral_id, by=DM, concern_id="C1", response=response, reason="Because.", resolved=True
    )
    concern = review.concern("C1")
    assert concern is not None
    assert (concern.status, concern.responses[-1].response) == (ConcernStatus.RESOLVED, response)
    review = edm.finalise(rid, by=DM, decision=FinalDecision("grant", "Grant.", "On advice."))
    assert review.outcome_class is OutcomeClass.RESOLVED_AFTER_ESCALATION
    assert review.referral(referral_id).history[-1].kind == "advice_responded"  # type: ignore[union-attr]


def test_a_concern_still_unresolved_after_advice_can_go_to_the_second_tier(edm: EthicalDecisions) -> None:
    """Not resolved after the route's advice, the concern goes to the panel that reconsiders that advice."""
    rid, referral_id = _advised(edm)
    edm.respond_to_advice(
        referral_id,
        by=DM,
        concern_id="C1",
        response=AdviceResponse.NOT_FOLLOWED,
        reason="No.",
        resolved=False,
    )
    review = edm.escalate(rid, by=DM, concern_ids=["C1"], question="Reconsider?", route_id="panel")
    assert review.referrals[-1].route_id == "panel"
    assert review.concern("C1").status is ConcernStatus.ESCALATED  # type: ignore[union-attr]


def test_an_advised_concern_can_be_escalated_again_to_the_same_route(edm: EthicalDecisions) -> None:
    """Instead of responding, the decision-maker may ask the route to reconsider."""
    rid, _ = _advised(edm)
    review = edm.escalate(rid, by=DM, concern_ids=["C1"], question="Please reconsider.")
    assert [r.route_id for r in review.referrals] == ["ccu", "ccu"]


def test_the_second_tier_takes_only_concerns_its_first_tier_advised_on(edm: EthicalDecisions) -> None:
    """A concern the first tier never advised on cannot go to the panel; the panel is never the default."""
    review = edm.open_review(by=DM, case=CaseReference("C-2"), proposed=ProposedDecision("refuse", "Refuse."))
    rid = review.review_id
    edm.record_reflection(rid, by=DM, concerns=[Concern(ConcernCategory.OTHER, "Odd.")])
    with pytest.raises(StepError, match="reconsiders the advice of route 'ccu'"):
        edm.escalate(rid, by=DM, concern_ids=["C1"], question="?", route_id="panel")
    assert edm.routes().for_business_area(CSG).route_id == "ccu"


def test_a_response_is_recorded_once_for_the_latest_advice(edm: EthicalDecisions) -> None:
    """A second response to the same advice, or to a concern the referral did not ask about, is refused."""
    rid, referral_id = _advised(edm)
    edm.respond_to_advice(
        referral_id, by=DM, concern_id="C1", response=AdviceResponse.FOLLOWED, reason="Yes.", resolved=False
    )
    with pytest.raises(StepError, match="is not awaiting a response"):
        edm.respond_to_advice(
            referral_id,
            by=DM,
            concern_id="C1",
            response=AdviceResponse.FOLLOWED,
            reason="Yes.",
            resolved=True,
        )
    review = edm.finalise(
        rid,
        by=DM,
        decision=FinalDecision("refuse", "Refuse.", "Advice followed; concern remains."),
        unresolved=UnresolvedAcknowledgement(("C1",), "Followed the advice; the Rules leave no other way."),
    )
    assert review.outcome_class is OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS


def test_a_concern_id_that_is_not_one_is_refused_without_echo(edm: EthicalDecisions) -> None:
    """An id from outside that is not a concern id (C and a number) is refused without repeating it."""
    rid, _ = _advised(edm)
    with pytest.raises(StepError) as caught:
        edm.consider_discretion(
            rid,
            by=DM,
            concern_id="She-is-78-and-unwell",
            scope=DiscretionScope.INSIDE_RULES,
            guidance="G.",
            reason="R.",
            result=DiscretionResult.RESOLVED,
        )
    assert "a concern id is C and its number" in str(caught.value)
    assert "She-is-78" not in str(caught.value)


def test_a_trail_recorded_before_responses_reads_its_advice_as_resolving(edm: EthicalDecisions) -> None:
    """A closed trail from before responses existed (advice, then the decision) replays as it was recorded.

    Then a route's advice resolved its concerns; the rules now refuse a decision while advice awaits a
    response, so such a trail can only be an old one, and its concern reads as resolved after escalation.
    """
    rid, _ = _advised(edm)
    trail = edm.trail(rid)
    finalised = attrs.evolve(
        trail[-1],
        sequence=trail[-1].sequence + 1,
        payload=ReviewFinalised(FinalDecision("grant", "Grant.", "On the unit's advice.")),
        actor=DM,
    )
    review = replay((*trail, finalised))

    concern = review.concern("C1")
    assert concern is not None
    assert (concern.status, concern.resolved_by) == (ConcernStatus.RESOLVED, Resolution.ESCALATION)
    assert concern.resolved_at == review.referrals[0].advice_at
    assert review.outcome_class is OutcomeClass.RESOLVED_AFTER_ESCALATION
