"""A frontline Immigration Enforcement officer refers a concern to the Safety Valve Mechanism.

The Safety Valve Mechanism is open to all Immigration Enforcement staff, not
just caseworkers, and most of its referrals come from frontline officers who
meet people in their work. Its rules let a frontline officer escalate once
discretion has been considered, with no discussion first. A caseworker in the
same business area still needs the discussion.

Run it with the library and the Safety Valve Mechanism's plugin installed:
``python examples/frontline_referral.py``.
"""

from __future__ import annotations

import logging

import structlog

from ethical_decisions import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    RouteTeamMember,
    StaffRole,
    StepError,
    open_store,
)

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    """Walk the officer's referral, and show the caseworker's being refused for want of a discussion."""
    edm = EthicalDecisions(open_store("memory://"))
    officer = DecisionMaker(
        "ie-0311",
        StaffRole.FRONTLINE_OFFICER,
        "immigration_enforcement",
        "Immigration Compliance and Enforcement",
    )
    print("A frontline officer on a visit is about to detain a man with no leave to remain.")
    review = edm.open_review(
        by=officer,
        case=CaseReference("IE-2026-118206"),
        proposed=ProposedDecision("detain", "Detain pending removal: overstayer."),
    )
    review_id = review.review_id
    edm.record_reflection(
        review_id,
        by=officer,
        concerns=[
            Concern(
                ConcernCategory.VULNERABILITY,
                "He is the sole carer of his disabled wife, who was at home alone and distressed.",
            )
        ],
    )
    edm.consider_discretion(
        review_id,
        by=officer,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Detention guidance on vulnerable adults and their dependants.",
        reason="I cannot tell on the doorstep whether alternatives to detention apply.",
        result=DiscretionResult.BEYOND_AUTHORITY,
    )
    print("Concern articulated; discretion considered; no discussion held.")
    review = edm.escalate(
        review_id,
        by=officer,
        concern_ids=["C1"],
        question="Should he be detained while he is her only carer?",
    )
    (referral,) = review.referrals
    print(
        f"Escalated to {referral.route_id} with NO prior discussion: accepted "
        f"(referral {referral.referral_id})."
    )
    print(f"  the route's rules for a frontline officer: {referral.route.requirements_for(officer.role)}")

    svm = RouteTeamMember("svm-0004", "safety_valve_mechanism")
    edm.acknowledge_referral(referral.referral_id, by=svm)
    edm.give_advice(
        referral.referral_id,
        by=svm,
        advice="Do not detain today. Refer his wife to adult social care; he reports to his local office.",
    )
    edm.respond_to_advice(
        referral.referral_id,
        by=officer,
        concern_id="C1",
        response=AdviceResponse.FOLLOWED,
        reason="Reporting keeps him at home with her; adult social care has the referral.",
        resolved=True,
    )
    review = edm.finalise(
        review_id,
        by=officer,
        decision=FinalDecision(
            "report", "Report to the local office instead of detention.", "Safety Valve Mechanism advice."
        ),
    )
    final = review.final_decision
    print(f"Advice given and followed; decision changed from detain to {final.outcome if final else '-'}.")

    print("\nA caseworker in the same business area tries the same, without a discussion:")
    caseworker = DecisionMaker(
        "ie-0520", StaffRole.CASEWORKER, "immigration_enforcement", "Removals Casework"
    )
    other = edm.open_review(
        by=caseworker,
        case=CaseReference("IE-2026-118207"),
        proposed=ProposedDecision("remove", "Set removal."),
    ).review_id
    edm.record_reflection(
        other,
        by=caseworker,
        concerns=[Concern(ConcernCategory.UNINTENDED_CONSEQUENCE, "Removal splits the family.")],
    )
    edm.consider_discretion(
        other,
        by=caseworker,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Family life guidance.",
        reason="Not resolved within the guidance.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    try:
        edm.escalate(other, by=caseworker, concern_ids=["C1"], question="Should removal go ahead?")
    except StepError as error:
        print(f"  refused, nothing recorded: {error.problem}")
    print("\nNotice: the route's rules, not the library, decide what must come first; they are recorded")
    print("on every referral, with the route's version.")


if __name__ == "__main__":
    main()
