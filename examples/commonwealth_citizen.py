"""A long-resident Commonwealth citizen without documents: the whole model, from concern to changed decision.

She came to the UK as a child in 1971 and has lived here ever since, but has no
documents of her own to prove it. The proposed decision is to refuse. The
caseworker is uncomfortable, considers discretion inside and then outside the
Immigration Rules, discusses the case, and escalates to Customer Services
Group's route, the Chief Caseworker Unit. The unit advises; the caseworker
records that they followed the advice and that it resolves the concern (advice
informs: only the decision-maker resolves), and the decision changes. The
trail is kept in a temporary SQLite file and verified.

Run it with the library and the Chief Caseworker Unit's plugin installed:
``python examples/commonwealth_citizen.py``.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import structlog

from ethical_decisions import (
    GUIDANCE,
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
    StepError,
    open_store,
)

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    """Walk the review and print what a reader should notice at each step."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'reviews.db'}")
        try:
            walk(EthicalDecisions(store))
        finally:
            store.close()


def advise_and_respond(
    edm: EthicalDecisions, referral_id: str, route_id: str, caseworker: DecisionMaker
) -> None:
    """The route's team advises; the caseworker says what they did with the advice (advice never resolves)."""
    unit = RouteTeamMember(staff_id="ccu-0012", route_id=route_id)
    edm.acknowledge_referral(referral_id, by=unit)
    review = edm.give_advice(
        referral_id,
        by=unit,
        advice=(
            "HMRC and National Insurance records show continuous employment from 1979, and school records "
            "cover the 1970s. Treat these as the evidence of residence; the burden cannot rest on documents "
            "she could never have held."
        ),
    )
    print(f"\nThe Chief Caseworker Unit acknowledged and advised. Stage now: {review.stage}")
    review = edm.respond_to_advice(
        referral_id,
        by=caseworker,
        concern_id="C1",
        response=AdviceResponse.FOLLOWED,
        reason="The HMRC and school records the unit pointed to show her residence since 1971.",
        resolved=True,
    )
    print(f"The caseworker followed the advice, and says it resolves the concern. Stage now: {review.stage}")


def walk(edm: EthicalDecisions) -> None:
    """The review, step by step."""
    caseworker = DecisionMaker(
        "cw-1042", StaffRole.CASEWORKER, "customer_services_group", "Settlement Casework"
    )
    print("Proposed decision: refuse settlement, for lack of documents proving residence since 1971.")
    review = edm.open_review(
        by=caseworker,
        case=CaseReference("HO-2026-000123", personal_details={"nationality": "Jamaican"}),
        proposed=ProposedDecision(
            "refuse", "Refuse indefinite leave: no documentary evidence of continuous residence 1971-1990."
        ),
    )
    review_id = review.review_id

    print(f"\nThe model asks: {GUIDANCE.question}")
    print("Yes. Step 1, in the caseworker's own words:")
    statement = (
        "She arrived as a child on her parent's passport in 1971 and has lived and worked here since. "
        "We are asking her to prove it with documents a child would never have had."
    )
    review = edm.record_reflection(
        review_id, by=caseworker, concerns=[Concern(ConcernCategory.EVIDENTIAL_BURDEN, statement)]
    )
    print(f"  concern C1 ({review.concerns[0].category}): {statement}")

    print("\nStep 2: discretion. The route's plugin offers questions to think with, never answers:")
    for prompt in edm.discretion_guidance(review_id, "C1"):
        print(f"  [{prompt.scope}] {prompt.title}")

    print("\nThe caseworker tries discretion OUTSIDE the Rules first, and the model refuses the order:")
    try:
        edm.consider_discretion(
            review_id,
            by=caseworker,
            concern_id="C1",
            scope=DiscretionScope.OUTSIDE_RULES,
            guidance="Leave outside the Rules.",
            reason="Trying outside first.",
            result=DiscretionResult.NOT_RESOLVED,
        )
    except StepError as error:
        print(f"  refused, nothing recorded: {error.problem}")

    edm.consider_discretion(
        review_id,
        by=caseworker,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Settlement guidance on evidence of continuous residence.",
        reason="The guidance lets me weigh other evidence, but names no source that covers the 1970s.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    print("  inside the Rules: considered, not resolved")
    edm.consider_discretion(
        review_id,
        by=caseworker,
        concern_id="C1",
        scope=DiscretionScope.OUTSIDE_RULES,
        guidance="Leave outside the Rules.",
        reason="A different decision may be possible, but granting outside the Rules is not mine to decide.",
        result=DiscretionResult.BEYOND_AUTHORITY,
    )
    print("  outside the Rules: possible, but beyond the caseworker's authority")

    print("\nStep 3: the caseworker discusses the case with their team leader.")
    edm.record_discussion(
        review_id,
        by=caseworker,
        concern_id="C1",
        consulted_role=ConsultedRole.TEAM_LEADER,
        consulted="tl-0003",
        advice="This needs the Chief Caseworker Unit: they can look at what records we hold.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    print("  not resolved: the advice was to escalate")

    print("\nStep 4: escalate through the business area's route.")
    review = edm.escalate(
        review_id,
        by=caseworker,
        concern_ids=["C1"],
        question="Can the Home Office's own records (tax, National Insurance, NHS) stand in for her papers?",
    )
    (referral,) = review.referrals
    route = edm.routes().get(referral.route_id)
    print(f"  referral {referral.referral_id} to the {route.name}, advice due by {referral.due_by:%d %B %Y}")
    print(f"  stage now: {review.stage}")
    try:
        edm.finalise(review_id, by=caseworker, decision=FinalDecision("refuse", "Refuse.", "No documents."))
    except StepError as error:
        print(f"  finalising now is refused: {error.problem}")

    advise_and_respond(edm, referral.referral_id, referral.route_id, caseworker)

    review = edm.finalise(
        review_id,
        by=caseworker,
        decision=FinalDecision(
            "grant",
            "Grant indefinite leave to remain.",
            "Home Office and HMRC records, with the Chief Caseworker Unit's advice, "
            "establish residence since 1971.",
        ),
    )
    print(
        f"Final decision: {review.final_decision.outcome if review.final_decision else '-'} "
        f"(proposed: {review.proposed.outcome}). Decision changed: {review.decision_changed}."
    )
    print(f"Outcome class: {review.outcome_class}")

    print("\nThe trail, in order:")
    for event in edm.trail(review_id):
        print(
            f"  {event.sequence:>2}. {event.occurred_at:%H:%M:%S}  {event.kind:<22} by {event.actor.staff_id}"
        )
    report = edm.verify()
    print(f"\nAudit chain verified: {report.ok} ({report.events} events). Any edit, deletion or reordering")
    print("of these events would be detected.")
    record = next(edm.store.compliance_records())
    print("\nThe compliance record for PDR monitoring holds no applicant data and no free text:")
    print(f"  steps used: {', '.join(record.steps_used)}; routes: {', '.join(record.route_ids)};")
    print(f"  outcome: {record.outcome_class}; decision changed: {record.decision_changed}")


if __name__ == "__main__":
    main()
