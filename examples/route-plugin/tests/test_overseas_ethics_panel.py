"""The example plugin's tests: its rules, referrals walked end to end (to its second tier too)."""

from __future__ import annotations

import pytest
from edm_overseas_ethics_panel import BOARD_ID, BUSINESS_AREA, ROUTE_ID, board, plugin

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    EthicalDecisions,
    FinalDecision,
    OutcomeClass,
    ProposedDecision,
    Review,
    StaffRole,
    StepError,
    testing,
)
from ethical_decisions.prompts import DISCRETION_PROMPTS


def test_the_route_serves_the_business_area_with_its_rules() -> None:
    """The route is registered for its business area, with the technical specialist's exception."""
    route = plugin.route({})  # no deployment settings: the defaults

    assert route.route_id == ROUTE_ID
    assert route.business_area == BUSINESS_AREA
    assert EscalationRequirements() == route.policy.requirements_for(StaffRole.CASEWORKER)
    assert EscalationRequirements(discussion_held=False) == route.policy.requirements_for(
        StaffRole.TECHNICAL_SPECIALIST
    )


OFFICER = testing.decision_maker("eco-0042", business_area=BUSINESS_AREA, team="Entry Clearance, Nairobi")


def _advised_by_the_panel(edm: EthicalDecisions) -> Review:
    """A review whose concern ``C1`` the panel has advised on: the decision-maker's response is next."""
    officer = OFFICER
    review = edm.open_review(
        by=officer,
        case=CaseReference("VCO-2026-0007"),
        proposed=ProposedDecision("refuse", "Refuse: no birth certificate."),
    )
    review_id = review.review_id
    edm.record_reflection(
        review_id,
        by=officer,
        concerns=[Concern(ConcernCategory.EVIDENTIAL_BURDEN, "The registry that holds it was destroyed.")],
    )
    model_prompts = DISCRETION_PROMPTS[ConcernCategory.EVIDENTIAL_BURDEN]
    assert (*model_prompts, *plugin.guidance) == edm.discretion_guidance(review_id, "C1")  # each once
    edm.consider_discretion(
        review_id,
        by=officer,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Guidance on alternative evidence.",
        reason="It allows other evidence, but I am not sure this is enough.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        review_id,
        by=officer,
        concern_id="C1",
        consulted_role=ConsultedRole.TEAM_LEADER,
        consulted="tl-0003",
        advice="Escalate to the panel.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(review_id, by=officer, concern_ids=["C1"], question="Is a baptism record enough?")
    (referral,) = review.referrals
    assert referral.route_id == ROUTE_ID

    team = testing.route_team_member(ROUTE_ID)
    edm.acknowledge_referral(referral.referral_id, by=team)
    return edm.give_advice(referral.referral_id, by=team, advice="Yes, with the school record.")


def test_a_referral_is_walked_end_to_end() -> None:
    """A concern goes to the panel, its team advises, the decision-maker follows the advice, and decides."""
    edm = testing.service(plugin)
    review = _advised_by_the_panel(edm)
    edm.respond_to_advice(
        review.referrals[0].referral_id,
        by=OFFICER,
        concern_id="C1",
        response=AdviceResponse.FOLLOWED,
        reason="The school record was found and agrees with the baptism record.",
        resolved=True,
    )
    review = edm.finalise(
        review.review_id,
        by=OFFICER,
        decision=FinalDecision("grant", "Grant.", "The panel advised the records together are enough."),
    )

    assert review.decision_changed is True
    assert review.outcome_class == OutcomeClass.RESOLVED_AFTER_ESCALATION
    assert edm.verify().ok


def test_the_board_reconsiders_the_panels_advice_and_nothing_else() -> None:
    """Only a concern the panel advised on goes to the board; the decision-maker responds to the board too."""
    edm = testing.service((ROUTE_ID, plugin), (BOARD_ID, board))  # two RoutePlugins: name each
    assert edm.routes().for_business_area(BUSINESS_AREA).route_id == ROUTE_ID  # never the default route
    review = _advised_by_the_panel(edm)
    edm.respond_to_advice(
        review.referrals[0].referral_id,
        by=OFFICER,
        concern_id="C1",
        response=AdviceResponse.NOT_FOLLOWED,
        reason="There is no school record: he was taught at home.",
        resolved=False,
    )
    review = edm.escalate(
        review.review_id,
        by=OFFICER,
        concern_ids=["C1"],
        question="Is the baptism record enough?",
        route_id=BOARD_ID,
    )
    member = testing.route_team_member(BOARD_ID)
    referral_id = review.referrals[-1].referral_id
    edm.acknowledge_referral(referral_id, by=member)
    edm.give_advice(referral_id, by=member, advice="Yes, with a statement from the parish.")
    edm.respond_to_advice(
        referral_id,
        by=OFFICER,
        concern_id="C1",
        response=AdviceResponse.FOLLOWED,
        reason="Done.",
        resolved=True,
    )
    review = edm.finalise(
        review.review_id, by=OFFICER, decision=FinalDecision("grant", "Grant.", "Board advice.")
    )

    assert [r.route_id for r in review.referrals] == [ROUTE_ID, BOARD_ID]
    assert review.outcome_class == OutcomeClass.RESOLVED_AFTER_ESCALATION
    fresh = edm.open_review(
        by=OFFICER, case=CaseReference("VCO-2026-0008"), proposed=ProposedDecision("refuse", "R.")
    )
    edm.record_reflection(fresh.review_id, by=OFFICER, concerns=[Concern(ConcernCategory.OTHER, "Odd.")])
    with pytest.raises(StepError, match="reconsiders the advice of route 'overseas_ethics_panel'"):
        edm.escalate(fresh.review_id, by=OFFICER, concern_ids=["C1"], question="?", route_id=BOARD_ID)


def test_installed_it_is_found_by_its_entry_points() -> None:
    """Once installed, the library finds both routes with no code naming them."""
    edm = testing.service(installed=True)

    assert ROUTE_ID in edm.routes()
    assert BOARD_ID in edm.routes()
    assert "ethical-decisions-overseas-ethics-panel" in {p.distribution for p in edm.plugins.info()}
