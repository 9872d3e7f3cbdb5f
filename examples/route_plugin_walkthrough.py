"""The tutorial's third-party route plugin, installed: a referral in a business area the guidance omits.

*Visas and Citizenship Overseas* and its *Overseas Ethics Panel* are an
EXAMPLE, made up for the tutorial "Writing a route plugin"; the plugin is in
``examples/route-plugin/``. Install it first (the test set-up,
``pip install -r requirements-dev.txt``, does), then run this script from the
repository's root::

    python -m pip install -e examples/route-plugin
    python examples/route_plugin_walkthrough.py

The library finds the route through the plugin's entry point: nothing here
names the plugin's package. The panel's advice does not resolve the concern
(the decision-maker says why), so the decision-maker escalates it again to the
plugin's second tier, the Overseas Ethics Board, which reconsiders it.
"""

from __future__ import annotations

import logging
import sys

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
    NoRouteError,
    ProposedDecision,
    RouteTeamMember,
    StaffRole,
    open_store,
)

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

AREA = "visas_and_citizenship_overseas"


def main() -> int:
    """Walk one referral through the example route and its second tier, if they are installed."""
    edm = EthicalDecisions(open_store("memory://"))
    try:
        route = edm.routes().for_business_area(AREA)
    except NoRouteError as error:
        print(f"The example route plugin is not installed (or is blocked). {error}", file=sys.stderr)
        print("Install it with: python -m pip install -e examples/route-plugin", file=sys.stderr)
        return 1
    plugin = edm.routes().plugins[route.route_id]
    info = next(p for p in edm.plugins.info() if p.name == plugin)
    print(f"Found route {route.route_id!r} ({route.name}, for {route.business_area_name})")
    print(f"  registered by plugin {plugin!r} from {info.distribution} {info.version}")

    # A technical specialist: under this route's rules they need no discussion before escalating.
    specialist = DecisionMaker("eco-0042", StaffRole.TECHNICAL_SPECIALIST, AREA, "Entry Clearance, Nairobi")
    review_id = edm.open_review(
        by=specialist,
        case=CaseReference("VCO-2026-0007"),
        proposed=ProposedDecision("refuse", "Refuse entry clearance: no birth certificate."),
    ).review_id
    edm.record_reflection(
        review_id,
        by=specialist,
        concerns=[
            Concern(ConcernCategory.EVIDENTIAL_BURDEN, "The civil registry that held it was destroyed.")
        ],
    )
    print("\nPrompts offered for the concern (the shared ones, then the route's own):")
    for prompt in edm.discretion_guidance(review_id, "C1"):
        print(f"  [{prompt.scope}] {prompt.title}")
    edm.consider_discretion(
        review_id,
        by=specialist,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Guidance on alternative evidence.",
        reason="Other evidence may do, but I cannot judge the baptism record alone.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    review = edm.escalate(
        review_id, by=specialist, concern_ids=["C1"], question="Is a baptism record enough?"
    )
    (referral,) = review.referrals
    print(
        "\nA technical specialist escalated with no discussion, as the route's rules allow: "
        f"{referral.referral_id}"
    )
    print(f"  rules version recorded on the referral: {referral.route.version}")

    panel = RouteTeamMember("oep-0001", route.route_id)
    edm.acknowledge_referral(referral.referral_id, by=panel)
    edm.give_advice(referral.referral_id, by=panel, advice="Yes, with the school record beside it.")
    review = edm.respond_to_advice(
        referral.referral_id,
        by=specialist,
        concern_id="C1",
        response=AdviceResponse.NOT_FOLLOWED,
        reason="There is no school record to put beside it: he was taught at home.",
        resolved=False,
    )
    print(
        f"The panel advised; its advice could not be followed, and the concern is {review.concerns[0].status}"
        "."
    )

    board = next(r for r in edm.routes() if r.policy.reconsiders == route.route_id)
    review = edm.escalate(
        review_id,
        by=specialist,
        concern_ids=["C1"],
        question="With no school record, is the baptism record enough on its own?",
        route_id=board.route_id,
    )
    second = review.referrals[-1]
    print(f"Escalated again, to the second tier {board.name!r} ({board.route_id}): {second.referral_id}")
    member = RouteTeamMember("oeb-0001", board.route_id)
    edm.acknowledge_referral(second.referral_id, by=member)
    edm.give_advice(
        second.referral_id, by=member, advice="Yes, with a statement from the parish that made it."
    )
    edm.respond_to_advice(
        second.referral_id,
        by=specialist,
        concern_id="C1",
        response=AdviceResponse.FOLLOWED,
        reason="The parish confirmed the record.",
        resolved=True,
    )
    review = edm.finalise(
        review_id,
        by=specialist,
        decision=FinalDecision(
            "grant", "Grant entry clearance.", "The board advised the baptism record, confirmed, suffices."
        ),
    )
    print(
        "The board advised and it was followed; the decision changed from refuse to grant: "
        f"{review.decision_changed}."
    )
    print(f"Audit chain: {edm.verify()}")
    print("\nNotice: a new business area needed no change to the library: one installed plugin, which may")
    print("declare a second tier. Advice informs; each time, the decision-maker said what they did with it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
