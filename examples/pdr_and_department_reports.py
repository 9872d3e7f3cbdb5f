"""A PDR report and a department report, from a store of reviews.

Builds a quarter's worth of reviews (January to March 2026) in a temporary
SQLite file: twelve by one caseworker, cw-1042, and more across the four
business areas, some with no concerns, some resolved by discretion or
discussion, some escalated (the caseworker then says what they did with
the route's advice: usually followed, sometimes in part, now and then not).
Their line manager assesses the records sampled for cw-1042's PDR. Then it
prints cw-1042's PDR report and the first sections of the department report,
as text. With ``--html DIR`` it also writes
both as self-contained HTML pages.

Run it with the library and the four route plugins installed:
``python examples/pdr_and_department_reports.py [--html DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import tempfile
from pathlib import Path

import structlog

from ethical_decisions import (
    AdviceResponse,
    AssessedElement,
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
    Finding,
    ProposedDecision,
    RouteTeamMember,
    StaffRole,
    Store,
    UnresolvedAcknowledgement,
    open_store,
    reports,
)
from ethical_decisions.testing import FakeClock

structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

AREAS = ("customer_services_group", "immigration_enforcement", "hm_passport_office", "border_force")
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def one_review(edm: EthicalDecisions, maker: DecisionMaker, rng: random.Random, n: int) -> None:
    """A review whose path (no concerns, discretion, discussion or escalation) is picked at random."""
    review_id = edm.open_review(
        by=maker, case=CaseReference(f"CASE-{n:05d}"), proposed=ProposedDecision("refuse", "Refuse.")
    ).review_id
    path = rng.choice(("none", "none", "discretion", "discussion", "escalation", "escalation"))
    if path == "none":
        edm.record_reflection(review_id, by=maker)
        edm.finalise(
            review_id, by=maker, decision=FinalDecision("refuse", "Refuse.", "Requirements not met.")
        )
        return
    category = rng.choice(list(ConcernCategory))
    edm.record_reflection(
        review_id, by=maker, concerns=[Concern(category, "Something about this is not right.")]
    )
    resolved = DiscretionResult.RESOLVED if path == "discretion" else DiscretionResult.NOT_RESOLVED
    edm.consider_discretion(
        review_id,
        by=maker,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="The guidance.",
        reason="The reason.",
        result=resolved,
    )
    if path != "discretion":
        edm.record_discussion(
            review_id,
            by=maker,
            concern_id="C1",
            consulted_role=ConsultedRole.COLLEAGUE,
            consulted="A colleague",
            advice="Their advice.",
            result=DiscussionResult.RESOLVED if path == "discussion" else DiscussionResult.NOT_RESOLVED,
        )
    if path == "escalation":
        review = edm.escalate(review_id, by=maker, concern_ids=["C1"], question="What should I do?")
        referral = review.referrals[0]
        team = RouteTeamMember("team-0001", referral.route_id)
        edm.acknowledge_referral(referral.referral_id, by=team)
        edm.give_advice(referral.referral_id, by=team, advice="The route's advice.")
        response = rng.choice(
            (*[AdviceResponse.FOLLOWED] * 4, AdviceResponse.FOLLOWED_IN_PART, AdviceResponse.NOT_FOLLOWED)
        )
        followed = response is not AdviceResponse.NOT_FOLLOWED
        edm.respond_to_advice(
            referral.referral_id,
            by=maker,
            concern_id="C1",
            response=response,
            reason="What I did with the advice, and why.",
            resolved=followed,
        )
        if not followed:
            edm.finalise(
                review_id,
                by=maker,
                decision=FinalDecision("refuse", "Refuse.", "The requirements are not met."),
                unresolved=UnresolvedAcknowledgement(["C1"], "Why it is right to proceed all the same."),
            )
            return
    edm.finalise(review_id, by=maker, decision=FinalDecision("grant", "Grant.", "After reflection, grant."))


def build(edm: EthicalDecisions, clock: FakeClock) -> None:
    """A quarter of reviews: cw-1042's, then their colleagues' across the four business areas."""
    rng = random.Random(17)
    caseworker = DecisionMaker(
        "cw-1042", StaffRole.CASEWORKER, "customer_services_group", "Settlement Casework"
    )
    colleagues = [
        DecisionMaker(f"{area[:2]}-{k:04d}", role, area, "Casework")
        for area in AREAS
        for k, role in enumerate(
            (StaffRole.CASEWORKER, StaffRole.FRONTLINE_OFFICER, StaffRole.SENIOR_CASEWORKER)
        )
    ]
    for n in range(96):
        maker = caseworker if n % 8 == 0 else rng.choice(colleagues)
        one_review(edm, maker, rng, n)
        clock.advance(dt.timedelta(hours=20))


def assess(edm: EthicalDecisions, store: Store, period: reports.Period) -> None:
    """cw-1042's line manager assesses the three records the PDR report will sample, on two elements each."""
    manager = DecisionMaker(
        "lm-0007", StaffRole.LINE_MANAGER, "customer_services_group", "Settlement Casework"
    )
    findings = iter(
        [Finding.EVIDENT, Finding.PARTLY_EVIDENT, Finding.EVIDENT, Finding.NOT_EVIDENT, Finding.EVIDENT]
    )
    for record in store.pdr_sample("cw-1042", period, size=3, seed=1):
        if record.staff_id != "cw-1042":
            continue
        edm.assess(
            record.review_id,
            by=manager,
            element=AssessedElement.RATIONALE_EXPLAINS,
            finding=next(findings, Finding.EVIDENT),
        )
        if record.concern_count:
            edm.assess(
                record.review_id,
                by=manager,
                element=AssessedElement.CONCERN_ARTICULATED,
                finding=next(findings, Finding.EVIDENT),
                note="For the conversation: never in a report.",
            )


def main() -> None:
    """Build the store, then print the reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--html", type=Path, metavar="DIR", help="also write both reports as HTML here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'reviews.db'}")
        try:
            clock = FakeClock(now=START, step=dt.timedelta(minutes=7))
            edm = EthicalDecisions(store, clock=clock)
            build(edm, clock)
            period = reports.Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
            assess(edm, store, period)
            made_at = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
            pdr = reports.pdr_report(store, "cw-1042", period, seed=1, made_at=made_at)
            names = {route.route_id: route.name for route in edm.routes()}
            department = reports.department_report(store, period, as_of=made_at, route_names=names)
        finally:
            store.close()
    print("=" * 80)
    print("THE PDR REPORT for cw-1042: evidence for their review conversation, never a ranking.")
    print("=" * 80)
    print(reports.render(pdr, "text"))
    print("=" * 80)
    print("THE DEPARTMENT REPORT (first sections): escalations per route, who referred, how reviews ended.")
    print("Counts under the threshold are suppressed so that no one can be identified.")
    print("=" * 80)
    text = reports.render(department, "text")
    print("\n".join(text.splitlines()[:90]))
    print("... (the rest: time to advice, overdue referrals, concern categories, appeals and tribunals)")
    if args.html:
        args.html.mkdir(parents=True, exist_ok=True)
        (args.html / "pdr-cw-1042.html").write_text(reports.render(pdr, "html"), encoding="utf-8")
        (args.html / "department.html").write_text(reports.render(department, "html"), encoding="utf-8")
        print(f"\nWrote {args.html / 'pdr-cw-1042.html'} and {args.html / 'department.html'}.")


if __name__ == "__main__":
    main()
