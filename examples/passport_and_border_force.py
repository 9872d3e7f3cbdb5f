"""A passport case and a Border Force case, each escalated through its own business area's route.

HM Passport Office escalates to the Quality Examination Support Team; Border
Force to the National Immigration Casework Oversight Team. The same calls
reach different routes because each review belongs to its decision-maker's
business area, and each area's route is a plugin. The route's advice informs;
each decision-maker records what they did with it (followed, or followed in
part) before deciding.

Run it with the library and both routes' plugins installed:
``python examples/passport_and_border_force.py``.
"""

from __future__ import annotations

import logging

import structlog

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
    ProposedDecision,
    RouteTeamMember,
    StaffRole,
    open_store,
)

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def escalate_and_advise(
    edm: EthicalDecisions,
    maker: DecisionMaker,
    *,
    case: str,
    proposed: ProposedDecision,
    concern: Concern,
    advice: str,
    response: tuple[AdviceResponse, str],
    final: FinalDecision,
) -> None:
    """One review: concern, discretion, discussion, escalation, advice, the response to it, decision."""
    review_id = edm.open_review(by=maker, case=CaseReference(case), proposed=proposed).review_id
    edm.record_reflection(review_id, by=maker, concerns=[concern])
    edm.consider_discretion(
        review_id,
        by=maker,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="The business area's guidance.",
        reason="Not resolved within it.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        review_id,
        by=maker,
        concern_id="C1",
        consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
        consulted="A technical specialist",
        advice="Escalate it.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(review_id, by=maker, concern_ids=["C1"], question="How should this be resolved?")
    (referral,) = review.referrals
    route = edm.routes().get(referral.route_id)
    print(f"  {route.business_area_name}: escalated to the {route.name} (route id {route.route_id},")
    print(
        f"    rules version {referral.route.version}, "
        f"advice due in {referral.route.response_target_days} days)"
    )
    team = RouteTeamMember("team-0001", route.route_id)
    edm.acknowledge_referral(referral.referral_id, by=team)
    edm.give_advice(referral.referral_id, by=team, advice=advice)
    what, reason = response
    edm.respond_to_advice(
        referral.referral_id, by=maker, concern_id="C1", response=what, reason=reason, resolved=True
    )
    review = edm.finalise(review_id, by=maker, decision=final)
    print(
        f"    advice given and {what.replace('_', ' ')}; final decision {final.outcome!r} "
        f"(proposed {proposed.outcome!r}); {review.outcome_class}"
    )


def main() -> None:
    """Walk one case in each business area."""
    edm = EthicalDecisions(open_store("memory://"))
    print("A passport examiner at HM Passport Office:")
    escalate_and_advise(
        edm,
        DecisionMaker("hmpo-0107", StaffRole.CASEWORKER, "hm_passport_office", "Examination, Durham"),
        case="PEX-2026-55102",
        proposed=ProposedDecision("refuse", "Refuse a first adult passport: identity not established."),
        concern=Concern(
            ConcernCategory.ERROR_IN_RECORDS,
            "Our record of his birth registration has a misspelt surname; "
            "every document he holds disagrees with it.",
        ),
        advice="Correct the record against the General Register Office entry, then re-examine.",
        response=(
            AdviceResponse.FOLLOWED,
            "The register entry matches his documents; the record is corrected.",
        ),
        final=FinalDecision(
            "issue", "Issue the passport.", "The record was wrong; identity established on correction."
        ),
    )
    print("A Border Force officer at the border:")
    escalate_and_advise(
        edm,
        DecisionMaker("bf-2290", StaffRole.CASEWORKER, "border_force", "Heathrow Terminal 3"),
        case="BF-2026-90412",
        proposed=ProposedDecision("refuse_entry", "Refuse entry: purpose of visit not credible."),
        concern=Concern(
            ConcernCategory.UNFAIR_OUTCOME,
            "The interview was held without an interpreter; her answers may not show what she meant.",
        ),
        advice="Re-interview with an interpreter before deciding.",
        response=(
            AdviceResponse.FOLLOWED_IN_PART,
            "Re-interviewed through a telephone interpreter the same day, not in person next morning.",
        ),
        final=FinalDecision(
            "grant_entry", "Grant entry as a visitor.", "Re-interviewed with an interpreter; credible."
        ),
    )
    print(
        "\nNotice: the casework code is the same for both; the route comes from the review's business area."
    )
    print("Installed routes:")
    for route in edm.routes():
        print(f"  {route.business_area_name:<28} {route.name}")


if __name__ == "__main__":
    main()
