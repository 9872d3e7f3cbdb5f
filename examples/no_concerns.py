"""A decision with no concerns: the decision-maker reflects, finds nothing that concerns them, and proceeds.

Run it with the library installed: ``python examples/no_concerns.py``. It keeps
everything in memory.
"""

from __future__ import annotations

import logging

import structlog

from ethical_decisions import (
    GUIDANCE,
    CaseReference,
    DecisionMaker,
    EthicalDecisions,
    FinalDecision,
    ProposedDecision,
    StaffRole,
    open_store,
)

# The library logs through structlog and leaves its configuration to the application: warnings only here.
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> None:
    """Walk one review with no concerns and show what it recorded."""
    edm = EthicalDecisions(open_store("memory://"))
    caseworker = DecisionMaker(
        staff_id="cw-2001",
        role=StaffRole.CASEWORKER,
        business_area="customer_services_group",
        team="Visit Visas",
    )

    print("The existing process has reached a proposed decision: grant a visit visa.")
    review = edm.open_review(
        by=caseworker,
        case=CaseReference("VV-2026-004411"),
        proposed=ProposedDecision("grant", "Grant a six-month visit visa."),
    )
    print(f"The model asks: {GUIDANCE.question}")
    print("The caseworker considers the impact, and nothing concerns them.")
    review = edm.record_reflection(
        review.review_id, by=caseworker, note="Straightforward visit; no impact concerns."
    )
    print(f"  stage now: {review.stage}")
    print(f"  the guidance: {GUIDANCE.no_concerns}")

    review = edm.finalise(
        review.review_id,
        by=caseworker,
        decision=FinalDecision(
            "grant", "Grant a six-month visit visa.", "All requirements met; no concerns."
        ),
    )
    print(
        f"Decision taken. Outcome class: {review.outcome_class}; decision changed: {review.decision_changed}."
    )
    print()
    print("The trail records that the reflection happened, even though there was nothing to escalate:")
    for event in edm.trail(review.review_id):
        print(f"  {event.sequence}. {event.kind}")
    print(f"Audit chain: {edm.verify()}")
    print()
    print("Notice: a review with no concerns is a complete, proper use of the model. It took one extra")
    print("step, and the compliance record shows the reflection was recorded.")


if __name__ == "__main__":
    main()
