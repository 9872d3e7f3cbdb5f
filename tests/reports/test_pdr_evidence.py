"""PDR evidence that can differ: two decision-makers with different records get different evidence.

The figures the rules force (a reflection and a rationale on every closed review) would be the same for
everyone; what a PDR report shows instead differs with what each person did and how their line manager
assessed it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ethical_decisions import (
    AdviceResponse,
    AssessedElement,
    CaseReference,
    DecisionMaker,
    EthicalDecisions,
    FinalDecision,
    Finding,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    StaffRole,
    testing,
)
from ethical_decisions.reports import FORMATS, PdrReport, Period, pdr_report, render
from ethical_decisions.store import MemoryStore, Store
from tests import scenarios
from tests.conftest import RoutesPlugin

if TYPE_CHECKING:
    from tests.store.conftest import Backend

CSG = "customer_services_group"
STEADY = testing.decision_maker("cw-steady")
OTHER = testing.decision_maker("cw-other")
MANAGER = DecisionMaker("lm-1", StaffRole.LINE_MANAGER, CSG, "Settlement Casework")
TEAM = testing.route_team_member("ccu_test")
YEAR = Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
MADE = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)
EL, FI, AR = AssessedElement, Finding, AdviceResponse
EVIDENCE = ("use", "assessed", "assessed_records", "after_advice", "later_outcomes")
"""The sections whose figures can differ between people."""


def _advised(edm: EthicalDecisions, by: DecisionMaker, *, returned: bool = False) -> tuple[str, str]:
    """A review of *by* escalated and advised on (returned for more information first, if *returned*)."""
    review = scenarios.escalated(edm, by)
    referral_id = review.referrals[-1].referral_id
    edm.acknowledge_referral(referral_id, by=TEAM)
    if returned:
        edm.return_referral(referral_id, by=TEAM, question="Which records did you search?")
        edm.provide_information(referral_id, by=by, response="HMRC's.")
    edm.give_advice(referral_id, by=TEAM, advice="Check our own records.")
    return review.review_id, referral_id


def _decide(edm: EthicalDecisions, rid: str, by: DecisionMaker, **unresolved: object) -> None:
    edm.finalise(rid, by=by, decision=FinalDecision("grant", "Grant.", "As the records show."), **unresolved)  # type: ignore[arg-type]


def _records(store: Store) -> EthicalDecisions:
    """Two caseworkers' year in one store, assessed by their line manager."""
    clock = testing.FakeClock(now=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    edm = testing.service(
        RoutesPlugin(testing.route("ccu_test", business_area=CSG)), store=store, clock=clock
    )
    officer = RecordsOfficer("ro-1")

    # cw-steady: follows the advice and resolves the concern; a second review with no concerns.
    rid, referral = _advised(edm, STEADY)
    scenarios.respond(edm, referral, STEADY, response=AR.FOLLOWED)
    _decide(edm, rid, STEADY)
    steady_first = rid
    quiet = edm.open_review(by=STEADY, case=CaseReference("C-2"), proposed=ProposedDecision("grant", "G."))
    edm.record_reflection(quiet.review_id, by=STEADY)
    _decide(edm, quiet.review_id, STEADY)
    edm.record_later_outcome(
        steady_first,
        by=officer,
        challenge=LaterOutcomeKind.TRIBUNAL,
        result=LaterOutcomeResult.UPHELD,
        decided_on=dt.date(2026, 3, 2),
    )

    # cw-other: the route asks for more; the advice is not followed and the concern goes back to the route,
    # whose second advice is followed in part; a second review proceeds with its concern unresolved.
    rid, referral = _advised(edm, OTHER, returned=True)
    scenarios.respond(edm, referral, OTHER, response=AR.NOT_FOLLOWED, resolved=False)
    again = (
        edm.escalate(rid, by=OTHER, concern_ids=["C1"], question="Please look again.")
        .referrals[-1]
        .referral_id
    )
    edm.acknowledge_referral(again, by=TEAM)
    edm.give_advice(again, by=TEAM, advice="Then the exception applies.")
    scenarios.respond(edm, again, OTHER, response=AR.FOLLOWED_IN_PART)
    _decide(edm, rid, OTHER)
    other_first = rid
    unresolved = scenarios.open_with_concern(edm, OTHER)
    scenarios.prepare(edm, unresolved.review_id, OTHER)
    scenarios.close_unresolved(edm, unresolved.review_id, OTHER)
    edm.record_later_outcome(
        other_first,
        by=officer,
        challenge=LaterOutcomeKind.APPEAL,
        result=LaterOutcomeResult.OVERTURNED,
        decided_on=dt.date(2026, 3, 2),
    )

    # Their line manager assesses one record of each.
    edm.assess(
        steady_first, by=MANAGER, element=EL.CONCERN_ARTICULATED, finding=FI.EVIDENT, note="MARKER clear."
    )
    edm.assess(steady_first, by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.EVIDENT)
    edm.assess(
        other_first, by=MANAGER, element=EL.RATIONALE_EXPLAINS, finding=FI.NOT_EVIDENT, note="MARKER thin."
    )
    edm.assess(other_first, by=MANAGER, element=EL.USE_OF_ADVICE, finding=FI.PARTLY_EVIDENT)
    return edm


def _evidence(report: PdrReport) -> dict[str, list[tuple[str, object]]]:
    """The figures of the sections that can differ, by section, without the review ids (each person's own)."""
    return {
        t.key: [(c.measure, c.value) for c in t.cells() if c.measure != "assessed_on"]
        for t in report.tables
        if t.key in EVIDENCE
    }


def test_two_decision_makers_with_different_records_get_different_evidence() -> None:
    """Every evidence section differs between the two; the guarantees (forced for both) are never figures."""
    edm = _records(MemoryStore())
    steady = pdr_report(edm.store, "cw-steady", YEAR, seed=1, made_at=MADE)
    other = pdr_report(edm.store, "cw-other", YEAR, seed=1, made_at=MADE)

    mine, theirs = _evidence(steady), _evidence(other)

    assert sorted(EVIDENCE) == sorted(mine) == sorted(theirs)
    assert {key: mine[key] != theirs[key] for key in EVIDENCE} == dict.fromkeys(EVIDENCE, True)
    f, g = edm.store.pdr_figures("cw-steady", YEAR), edm.store.pdr_figures("cw-other", YEAR)
    assert ({AR.FOLLOWED: 1}, {AR.NOT_FOLLOWED: 1, AR.FOLLOWED_IN_PART: 1}) == (
        f.advice_responses,
        g.advice_responses,
    )
    assert (0, 1) == (f.re_escalations, g.re_escalations)
    assert (0, 1) == (f.returned, g.returned)
    assert (0, 1) == (f.unresolved_acknowledged, g.unresolved_acknowledged)
    assert ({LaterOutcomeResult.UPHELD: 1}, {LaterOutcomeResult.OVERTURNED: 1}) == (
        f.later_outcomes,
        g.later_outcomes,
    )
    assert {(EL.CONCERN_ARTICULATED, FI.EVIDENT): 1, (EL.RATIONALE_EXPLAINS, FI.EVIDENT): 1} == f.assessed
    assert {
        (EL.RATIONALE_EXPLAINS, FI.NOT_EVIDENT): 1,
        (EL.USE_OF_ADVICE, FI.PARTLY_EVIDENT): 1,
    } == g.assessed


def test_each_report_is_about_its_person_alone_and_holds_no_note() -> None:
    """Neither report names the other person, shows a share, or holds a manager's note, in any format."""
    edm = _records(MemoryStore())
    for staff_id, stranger in (("cw-steady", "cw-other"), ("cw-other", "cw-steady")):
        report = pdr_report(edm.store, staff_id, YEAR, seed=1, made_at=MADE)
        for fmt in FORMATS:
            page = render(report, fmt)
            assert stranger not in page
            assert "MARKER" not in page
            assert "_share" not in page


def test_the_sql_stores_give_the_same_evidence(sql_backend: Backend) -> None:
    """SQLite and PostgreSQL count the same evidence for both people as the memory store."""
    store = _records(sql_backend.open()).store
    reference = _records(MemoryStore()).store
    for staff_id in ("cw-steady", "cw-other"):
        assert reference.pdr_figures(staff_id, YEAR) == store.pdr_figures(staff_id, YEAR)
        assert _evidence(pdr_report(reference, staff_id, YEAR, seed=1, made_at=MADE)) == _evidence(
            pdr_report(store, staff_id, YEAR, seed=1, made_at=MADE)
        )
