"""The typed example plugin (tests/typing) also works at run time."""

from __future__ import annotations

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    ProposedDecision,
    testing,
)

from . import scenarios
from .typing.route_plugin import VisasPlugin


def test_the_typed_example_plugin_runs_end_to_end() -> None:
    """Its route takes an escalation, its guidance is offered, its observer and enrichment run."""
    plugin = VisasPlugin()
    edm = testing.service(plugin)
    dm = testing.decision_maker(business_area="visas")
    review = edm.open_review(
        by=dm, case=CaseReference("V-1"), proposed=ProposedDecision("refuse", "Refuse visit visa.")
    )
    rid = review.review_id
    edm.record_reflection(
        rid, by=dm, concerns=[Concern(ConcernCategory.EVIDENTIAL_BURDEN, "We hold the evidence.")]
    )
    *_model_prompts, guidance = edm.discretion_guidance(rid, "C1")  # the model's own prompts come first
    assert guidance.title == "Evidence the Home Office holds"
    edm.consider_discretion(
        rid,
        by=dm,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="g",
        reason="r",
        result=DiscretionResult.BEYOND_AUTHORITY,
    )
    edm.record_discussion(
        rid,
        by=dm,
        concern_id="C1",
        consulted_role=ConsultedRole.TEAM_LEADER,
        consulted="TL",
        advice="Escalate",
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(rid, by=dm, concern_ids=["C1"], question="Can we use our records?")
    team = testing.route_team_member("visas_ethics_panel")
    edm.acknowledge_referral(review.referrals[0].referral_id, by=team)
    edm.give_advice(review.referrals[0].referral_id, by=team, advice="Yes: check them first.")
    scenarios.respond(edm, review.referrals[0].referral_id, dm)
    edm.finalise(rid, by=dm, decision=FinalDecision("grant", "Grant.", "Our records show the evidence."))
    (record,) = edm.store.compliance_records()
    assert dict(record.extensions) == {"panel_consulted": True}
    assert plugin.kinds[0] == "review_opened"
    assert plugin.kinds[-1] == "review_finalised"
