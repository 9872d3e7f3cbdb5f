"""Walks through the model that many tests need: a review with a concern, brought to escalation and back."""

from __future__ import annotations

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
    Review,
    UnresolvedAcknowledgement,
)

STATEMENT = "The applicant cannot obtain school records that the department itself holds."
QUESTION = "May residence be accepted on the evidence available, given the records we hold?"
ADVICE = "Check the department's own records first; the requirement can then be met."
REASON = "Our records showed the residence, as the route said they might."


def open_with_concern(
    edm: EthicalDecisions, by: DecisionMaker, *, category: ConcernCategory = ConcernCategory.EVIDENTIAL_BURDEN
) -> Review:
    """Open a review and record a reflection with one concern, ``C1``."""
    review = edm.open_review(
        by=by,
        case=CaseReference(reference="CASE-2026-000123", personal_details={"full_name": "A. Applicant"}),
        proposed=ProposedDecision(outcome="refuse", summary="Refuse: residence before 1988 not evidenced."),
    )
    return edm.record_reflection(review.review_id, by=by, concerns=[Concern(category, STATEMENT)])


def prepare(edm: EthicalDecisions, review_id: str, by: DecisionMaker, *, discuss: bool = True) -> Review:
    """Consider discretion for ``C1`` without resolving it, and discuss it unless *discuss* is false."""
    review = edm.consider_discretion(
        review_id,
        by=by,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Evidential flexibility in the residence guidance.",
        reason="No discretion covers records the department holds but cannot find.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    if discuss:
        review = edm.record_discussion(
            review_id,
            by=by,
            concern_id="C1",
            consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
            consulted="ts-0007",
            advice="Escalate: this needs a view from outside the team.",
            result=DiscussionResult.NOT_RESOLVED,
        )
    return review


def escalated(
    edm: EthicalDecisions, by: DecisionMaker, *, discuss: bool = True, route_id: str | None = None
) -> Review:
    """A new review whose concern ``C1`` has been escalated to the business area's route."""
    review = open_with_concern(edm, by)
    prepare(edm, review.review_id, by, discuss=discuss)
    return edm.escalate(review.review_id, by=by, concern_ids=["C1"], question=QUESTION, route_id=route_id)


def close_unresolved(edm: EthicalDecisions, review_id: str, by: DecisionMaker) -> Review:
    """Finalise the review, acknowledging ``C1`` as unresolved."""
    return edm.finalise(
        review_id,
        by=by,
        decision=FinalDecision(outcome="refuse", summary="Refuse.", rationale="No discretion applies."),
        unresolved=UnresolvedAcknowledgement(["C1"], "The rules leave no other decision open."),
    )


def respond(
    edm: EthicalDecisions,
    referral_id: str,
    by: DecisionMaker,
    *,
    response: AdviceResponse = AdviceResponse.FOLLOWED,
    resolved: bool = True,
    concern_id: str = "C1",
) -> Review:
    """Record the decision-maker's response to the advice on *referral_id* about *concern_id*."""
    return edm.respond_to_advice(
        referral_id, by=by, concern_id=concern_id, response=response, reason=REASON, resolved=resolved
    )
