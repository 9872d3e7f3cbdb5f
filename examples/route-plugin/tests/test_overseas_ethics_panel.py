"""Tests of the example route plugin: its rules, a referral walked end to end, and its entry point."""

from __future__ import annotations

from edm_overseas_ethics_panel import BUSINESS_AREA, ROUTE_ID, plugin

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    FinalDecision,
    OutcomeClass,
    ProposedDecision,
    StaffRole,
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


def test_a_referral_is_walked_end_to_end() -> None:
    """A concern is escalated to the panel, the panel's team advises, and the decision is taken."""
    edm = testing.service(plugin)
    officer = testing.decision_maker("eco-0042", business_area=BUSINESS_AREA, team="Entry Clearance, Nairobi")
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
    edm.give_advice(referral.referral_id, by=team, advice="Yes, with the school record.")
    review = edm.finalise(
        review_id,
        by=officer,
        decision=FinalDecision("grant", "Grant.", "The panel advised the records together are enough."),
    )

    assert review.decision_changed is True
    assert review.outcome_class == OutcomeClass.RESOLVED_AFTER_ESCALATION
    assert edm.verify().ok


def test_installed_it_is_found_by_its_entry_point() -> None:
    """Once installed, the library finds the route with no code naming it."""
    edm = testing.service(installed=True)

    assert ROUTE_ID in edm.routes()
    assert "ethical-decisions-overseas-ethics-panel" in {p.distribution for p in edm.plugins.info()}
