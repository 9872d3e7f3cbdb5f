"""A route's team answers its queue: list, read, acknowledge, ask for more, and advise.

Three caseworkers escalate concerns to the Chief Caseworker Unit. The unit's
team works its queue through the library: the queue shows ids, status, due
dates and categories (never the words); the team reads each referral in full,
asks for more information on one, and advises on all three. The advice flows
back into each review.

Run it with the library and the Chief Caseworker Unit's plugin installed:
``python examples/route_team_queue.py``.
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
    NotPermittedError,
    ProposedDecision,
    RouteTeamMember,
    StaffRole,
    open_store,
)
from ethical_decisions.events import AdviceResponded

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

ROUTE = "chief_caseworker_unit"
CASES = (
    (
        "cw-1042",
        ConcernCategory.EVIDENTIAL_BURDEN,
        "We ask for tenancy records from 1985 that no longer exist.",
    ),
    (
        "cw-1107",
        ConcernCategory.VULNERABILITY,
        "The applicant is 82 and cannot attend a biometrics appointment.",
    ),
    (
        "cw-1213",
        ConcernCategory.ERROR_IN_RECORDS,
        "Our record shows a refusal in 2004 that the applicant says is not theirs.",
    ),
)


def refer(edm: EthicalDecisions, staff_id: str, category: ConcernCategory, statement: str) -> DecisionMaker:
    """A caseworker's review, escalated to the Chief Caseworker Unit."""
    maker = DecisionMaker(staff_id, StaffRole.CASEWORKER, "customer_services_group", "Settlement Casework")
    review_id = edm.open_review(
        by=maker, case=CaseReference(f"HO-{staff_id}"), proposed=ProposedDecision("refuse", "Refuse.")
    ).review_id
    edm.record_reflection(review_id, by=maker, concerns=[Concern(category, statement)])
    edm.consider_discretion(
        review_id,
        by=maker,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Settlement guidance.",
        reason="Not resolved within it.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        review_id,
        by=maker,
        concern_id="C1",
        consulted_role=ConsultedRole.LINE_MANAGER,
        consulted="lm-0101",
        advice="Ask the Chief Caseworker Unit.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    edm.escalate(review_id, by=maker, concern_ids=["C1"], question="What can we do within the rules?")
    return maker


def main() -> None:
    """Fill the queue, then work it as the unit's team."""
    edm = EthicalDecisions(open_store("memory://"))
    makers = {staff_id: refer(edm, staff_id, category, text) for staff_id, category, text in CASES}
    team = RouteTeamMember(staff_id="ccu-0012", route_id=ROUTE)

    queue = edm.referrals(ROUTE)
    print(f"The Chief Caseworker Unit's queue: {len(queue)} referrals awaiting advice, oldest first.")
    print("It holds ids, status, due date, the referrer's role and the concern categories, never the words:")
    for row in queue:
        print(
            f"  {row.referral_id}  {row.status:<10} due {row.due_by:%d %b}  {row.referred_by_role}  "
            f"{', '.join(row.concern_categories)}"
        )

    print("\nThe team reads each referral in full, and acknowledges it:")
    for row in queue:
        referral = edm.referral(row.referral_id)
        review = edm.review(referral.review_id)
        (concern_id,) = referral.concern_ids
        concern = review.concern(concern_id)
        assert concern is not None
        print(f"  {referral.referral_id}: {concern.concern.statement}")
        edm.acknowledge_referral(referral.referral_id, by=team)

    first, second, third = queue
    print("\nOn the second, the team needs to know more, and returns it to the caseworker:")
    edm.return_referral(
        second.referral_id, by=team, question="Has a home visit for biometrics been considered?"
    )
    print(f"  status now: {edm.referral(second.referral_id).status}")
    edm.provide_information(
        second.referral_id, by=makers["cw-1107"], response="No: the local office has never offered one."
    )
    print(f"  the caseworker answered; status now: {edm.referral(second.referral_id).status}")

    print("\nA member of another route's team cannot act on the unit's referrals:")
    try:
        edm.give_advice(
            first.referral_id, by=RouteTeamMember("svm-0004", "safety_valve_mechanism"), advice="No."
        )
    except NotPermittedError as error:
        print(f"  refused: {error.problem}")

    advice = {
        first.referral_id: "Use the council's housing benefit records as evidence of the tenancy.",
        second.referral_id: "Arrange a home visit for biometrics; the guidance allows it for the infirm.",
        third.referral_id: "The 2004 refusal belongs to another person; correct the record, then decide.",
    }
    for referral_id, text in advice.items():
        review = edm.give_advice(referral_id, by=team, advice=text)
        print(f"Advised {referral_id}; that review is now: {review.stage}")
    print(
        f"\nAwaiting advice now: {len(edm.referrals(ROUTE))}. "
        f"With --all: {len(edm.referrals(ROUTE, open_only=False))}."
    )

    print("\nAdvice informs; each caseworker decides what to do with it, and says why:")
    responses = {
        first.referral_id: (AdviceResponse.FOLLOWED, True, "The council's records show the tenancy."),
        second.referral_id: (
            AdviceResponse.FOLLOWED_IN_PART,
            True,
            "A home visit is booked; the decision waits for it rather than for a new application.",
        ),
        third.referral_id: (
            AdviceResponse.NOT_FOLLOWED,
            False,
            "The record cannot be corrected before the decision is due; the refusal stands for now.",
        ),
    }
    for referral_id, (response, resolved, reason) in responses.items():
        maker = edm.referral(referral_id).referred_by
        edm.respond_to_advice(
            referral_id,
            by=maker,
            concern_id="C1",
            response=response,
            reason=reason,
            resolved=resolved,
        )

    print("\nWhat became of the unit's advice, as the team sees it in each referral's history:")
    for referral_id in responses:
        referral = edm.referral(referral_id)
        answer = referral.history[-1].payload
        assert isinstance(answer, AdviceResponded)
        outcome = "concern resolved" if answer.resolved else "concern still unresolved"
        who = referral.referred_by.staff_id
        print(f"  {referral_id}: {answer.response.replace('_', ' ')} by {who}; {outcome}")
    print("Notice: each caseworker, not the unit, resolves the concern; one may escalate it again.")


if __name__ == "__main__":
    main()
