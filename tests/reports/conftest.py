"""A realistic quarter of casework driven through the whole model, for the report tests.

The quarter is January to March 2026. Every step happens at a time the test
sets (the clock does not move by itself), so the expected figures can be worked
out by hand; they are written out in ``test_figures.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

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
    EscalationRequirements,
    EthicalDecisions,
    FinalDecision,
    Finding,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    RoutePolicy,
    StaffRole,
    UnresolvedAcknowledgement,
    testing,
)
from ethical_decisions.figures import Period
from ethical_decisions.store import Store
from tests.conftest import RoutesPlugin
from tests.store.conftest import _postgres_url, _sql_backend

__all__ = ["_postgres_url", "_sql_backend"]  # the store suite's fixtures, used here as they are

CSG = "customer_services_group"
IE = "immigration_enforcement"
CCU = "ccu_test"
SVM = "svm_test"
QUARTER = Period.from_dates(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
AS_OF = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)

DM = testing.decision_maker("dm-0001")
DM2 = testing.decision_maker("dm-0002")
OFFICER = DecisionMaker("io-0042", StaffRole.FRONTLINE_OFFICER, IE, "Immigration Compliance North")
IE_CASEWORKER = DecisionMaker("cw-0100", StaffRole.CASEWORKER, IE, "Returns Casework")
RECORDS = RecordsOfficer("ro-0001")
MANAGER = DecisionMaker("lm-0007", StaffRole.LINE_MANAGER, CSG, "Settlement Casework")

Words = Callable[[str], str]
"""Gives the text to type into a free-text field, by the field's name."""


def plain_words(field: str) -> str:
    """Ordinary text for a free-text field."""
    return f"Some words for the {field.replace('_', ' ')}."


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    """A time in 2026 (or December 2025 for month 0)."""
    if month == 0:
        return dt.datetime(2025, 12, day, hour, tzinfo=dt.UTC)
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def routes() -> RoutesPlugin:
    """The two routes of the quarter: a casework route, and one frontline officers may use directly."""
    ccu = testing.route(CCU, policy=RoutePolicy(CCU, "1.0", CSG, response_target_days=10))
    svm_policy = RoutePolicy(
        SVM,
        "2.1",
        IE,
        response_target_days=5,
        requirements_by_role={StaffRole.FRONTLINE_OFFICER: EscalationRequirements(discussion_held=False)},
    )
    return RoutesPlugin(ccu, testing.route(SVM, business_area=IE, policy=svm_policy))


class Casework:
    """Takes reviews through the model at set times, typing *words* into every free-text field."""

    def __init__(self, edm: EthicalDecisions, clock: testing.FakeClock, words: Words) -> None:
        self.edm = edm
        self.clock = clock
        self.words = words

    def open(self, when: dt.datetime, by: DecisionMaker, *concerns: ConcernCategory) -> str:
        """Open a review and reflect on it, with *concerns* (``C1``, ``C2``…) or none."""
        self.clock.now = when
        w = self.words
        review = self.edm.open_review(
            by=by,
            case=CaseReference(w("reference"), {"full_name": w("full_name"), "date_of_birth": w("dob")}),
            proposed=ProposedDecision("refuse", w("proposed_summary")),
        )
        self.edm.record_reflection(
            review.review_id, by=by, concerns=[Concern(c, w("statement")) for c in concerns], note=w("note")
        )
        return review.review_id

    def discretion(
        self,
        rid: str,
        by: DecisionMaker,
        concern: str = "C1",
        *,
        resolved: bool = False,
        outside: bool = False,
    ) -> None:
        """Consider discretion inside (or outside) the Rules for *concern*."""
        self.edm.consider_discretion(
            rid,
            by=by,
            concern_id=concern,
            scope=DiscretionScope.OUTSIDE_RULES if outside else DiscretionScope.INSIDE_RULES,
            guidance=self.words("guidance"),
            reason=self.words("reason"),
            result=DiscretionResult.RESOLVED if resolved else DiscretionResult.NOT_RESOLVED,
        )

    def discuss(self, rid: str, by: DecisionMaker, concern: str = "C1", *, resolved: bool = False) -> None:
        """Discuss *concern* with a technical specialist."""
        self.edm.record_discussion(
            rid,
            by=by,
            concern_id=concern,
            consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
            consulted=self.words("consulted"),
            advice=self.words("discussion_advice"),
            result=DiscussionResult.RESOLVED if resolved else DiscussionResult.NOT_RESOLVED,
        )

    def escalate(self, when: dt.datetime, rid: str, by: DecisionMaker, route: str) -> str:
        """Escalate ``C1`` to *route*; the referral's id."""
        self.clock.now = when
        review = self.edm.escalate(
            rid, by=by, concern_ids=["C1"], question=self.words("question"), route_id=route
        )
        return review.referrals[-1].referral_id

    def advise(
        self,
        when: dt.datetime,
        referral_id: str,
        route: str,
        *,
        returned: dt.datetime | None = None,
        response: AdviceResponse = AdviceResponse.FOLLOWED,
    ) -> None:
        """The route's team acknowledges, perhaps asks for more first, then gives advice at *when*.

        The decision-maker then responds to the advice (followed, by default) and resolves ``C1``.
        """
        team = testing.route_team_member(route)
        self.edm.acknowledge_referral(referral_id, by=team)
        by = self.edm.referral(referral_id).referred_by
        if returned is not None:
            self.clock.now = returned
            self.edm.return_referral(referral_id, by=team, question=self.words("return_question"))
            self.edm.provide_information(referral_id, by=by, response=self.words("response"))
        self.clock.now = when
        self.edm.give_advice(referral_id, by=team, advice=self.words("route_advice"))
        self.edm.respond_to_advice(
            referral_id,
            by=by,
            concern_id="C1",
            response=response,
            reason=self.words("response_reason"),
            resolved=True,
        )

    def finalise(
        self,
        when: dt.datetime,
        rid: str,
        by: DecisionMaker,
        outcome: str = "refuse",
        *,
        unresolved: bool = False,
    ) -> None:
        """Take the final decision; with *unresolved*, acknowledging ``C1`` as unresolved."""
        self.clock.now = when
        w = self.words
        self.edm.finalise(
            rid,
            by=by,
            decision=FinalDecision(outcome, w("final_summary"), w("rationale")),
            unresolved=UnresolvedAcknowledgement(["C1"], w("unresolved_rationale")) if unresolved else None,
        )

    def assess(self, when: dt.datetime, rid: str, element: AssessedElement, finding: Finding) -> None:
        """dm-0001's line manager records a finding on *element* in review *rid*, with a note."""
        self.clock.now = when
        self.edm.assess(rid, by=MANAGER, element=element, finding=finding, note=self.words("assessment_note"))

    def later(self, rid: str, kind: LaterOutcomeKind, result: LaterOutcomeResult, on: dt.date) -> None:
        """Record an appeal, tribunal or administrative review outcome, on the day it was decided."""
        self.clock.now = dt.datetime.combine(on, dt.time(16), tzinfo=dt.UTC)
        self.edm.record_later_outcome(rid, by=RECORDS, challenge=kind, result=result, decided_on=on)

    def quick(self, when: dt.datetime, by: DecisionMaker, outcome: str = "refuse") -> str:
        """A review with no concerns, closed at once."""
        rid = self.open(when, by)
        self.finalise(when, rid, by, outcome)
        return rid


def quarter(store: Store | None = None, words: Words = plain_words) -> EthicalDecisions:
    """The quarter's casework in *store* (a new memory store by default)."""
    clock = testing.FakeClock(now=at(0, 1), step=dt.timedelta(0))
    edm = testing.service(routes(), store=store, clock=clock)
    cw = Casework(edm, clock, words)
    v, ev, err = (
        ConcernCategory.VULNERABILITY,
        ConcernCategory.EVIDENTIAL_BURDEN,
        ConcernCategory.ERROR_IN_RECORDS,
    )
    kind, result = LaterOutcomeKind, LaterOutcomeResult

    a = cw.quick(at(0, 15), DM)  # A: closed before the quarter
    cw.quick(at(1, 6), DM)  # B
    rid = c = cw.open(at(1, 12), DM, v)  # C: resolved by discretion; decision changed
    cw.discretion(rid, DM, resolved=True)
    cw.finalise(at(1, 12, 11), rid, DM, "grant")
    rid = cw.open(at(2, 2), DM, ev, err)  # D: discretion outside the Rules, then a discussion
    cw.discretion(rid, DM, "C1")
    cw.discretion(rid, DM, "C1", outside=True, resolved=True)
    cw.discretion(rid, DM, "C2")
    cw.discuss(rid, DM, "C2", resolved=True)
    cw.finalise(at(2, 2, 12), rid, DM)
    rid = e = cw.open(at(2, 9), DM, ConcernCategory.UNFAIR_OUTCOME)  # E: escalated, advice within target
    cw.discretion(rid, DM)
    cw.discuss(rid, DM)
    cw.advise(at(2, 12), cw.escalate(at(2, 9, 14), rid, DM, CCU), CCU)  # escalated four hours after opening
    cw.finalise(at(2, 13), rid, DM, "grant")
    cw.later(rid, kind.TRIBUNAL, result.UPHELD, dt.date(2026, 3, 20))
    rid = f = cw.open(at(3, 2), DM, ConcernCategory.OTHER)  # F: proceeded with the concern unresolved
    cw.discretion(rid, DM)
    cw.discuss(rid, DM)
    cw.finalise(at(3, 2, 15), rid, DM, unresolved=True)
    cw.later(rid, kind.APPEAL, result.OVERTURNED, dt.date(2026, 3, 25))
    rid = cw.open(at(3, 9), DM, v)  # G: returned for information; advice after the target, followed in part
    cw.discretion(rid, DM)
    cw.discuss(rid, DM)
    cw.advise(
        at(3, 23),
        cw.escalate(at(3, 9), rid, DM, CCU),
        CCU,
        returned=at(3, 10),
        response=AdviceResponse.FOLLOWED_IN_PART,
    )
    cw.finalise(at(3, 24), rid, DM)
    rid = cw.open(at(3, 16), DM, ConcernCategory.EQUALITY_OR_HUMAN_RIGHTS)  # H: referral withdrawn
    cw.discretion(rid, DM)
    cw.discuss(rid, DM)
    referral = cw.escalate(at(3, 16), rid, DM, CCU)
    cw.clock.now = at(3, 17)
    edm.withdraw_referral(referral, by=DM, reason=words("withdraw_reason"))
    cw.finalise(at(3, 17, 11), rid, DM, unresolved=True)
    cw.open(at(3, 30), DM)  # I: still open
    rid = cw.open(at(3, 25), DM)  # K: opened in the quarter, closed after it
    cw.finalise(at(4, 3), rid, DM)
    cw.quick(at(4, 2), DM)  # J: after the quarter

    for day in range(5, 11):  # six reviews with no concerns; one decision changed anyway
        rid = cw.quick(at(1, day), DM2, "grant" if day == 5 else "refuse")
        if day == 6:
            cw.later(rid, kind.TRIBUNAL, result.OVERTURNED, dt.date(2026, 3, 1))
        if day == 7:
            cw.later(rid, kind.ADMINISTRATIVE_REVIEW, result.OVERTURNED, dt.date(2026, 3, 2))
    rid = cw.open(at(2, 20), DM2, v, v)
    cw.discretion(rid, DM2, "C1", resolved=True)
    cw.discretion(rid, DM2, "C2", resolved=True)
    cw.finalise(at(2, 20, 12), rid, DM2)
    for month, day in ((3, 20), (4, 10)):  # awaiting advice: the first overdue by the report
        rid = cw.open(at(month, day), DM2, v)
        cw.discretion(rid, DM2)
        cw.discuss(rid, DM2)
        cw.escalate(at(month, day), rid, DM2, CCU)

    rid = cw.open(at(1, 20), OFFICER, v)  # L: a frontline officer refers straight after discretion
    cw.discretion(rid, OFFICER)
    cw.advise(at(1, 22), cw.escalate(at(1, 20), rid, OFFICER, SVM), SVM)
    cw.finalise(at(1, 22, 12), rid, OFFICER, "grant")
    rid = cw.open(
        at(2, 16), OFFICER, ConcernCategory.UNINTENDED_CONSEQUENCE
    )  # M: advice after target, not followed
    cw.discretion(rid, OFFICER)
    cw.advise(at(2, 25), cw.escalate(at(2, 16), rid, OFFICER, SVM), SVM, response=AdviceResponse.NOT_FOLLOWED)
    cw.finalise(at(2, 25, 12), rid, OFFICER)
    rid = cw.open(at(2, 3), IE_CASEWORKER, v)  # N: a caseworker's referral to the same route
    cw.discretion(rid, IE_CASEWORKER)
    cw.discuss(rid, IE_CASEWORKER)
    cw.advise(at(2, 5), cw.escalate(at(2, 3), rid, IE_CASEWORKER, SVM), SVM)
    cw.finalise(at(2, 5, 12), rid, IE_CASEWORKER, "grant")

    # dm-0001's line manager assesses a sample of their records: three in March, one in April.
    el, fi = AssessedElement, Finding
    cw.assess(at(3, 28), a, el.RATIONALE_EXPLAINS, fi.EVIDENT)  # closed in December, assessed in March
    cw.assess(at(3, 28), c, el.CONCERN_ARTICULATED, fi.EVIDENT)
    cw.assess(at(3, 28), c, el.DISCRETION_CONSIDERED, fi.EVIDENT)
    cw.assess(at(3, 28), c, el.RATIONALE_EXPLAINS, fi.PARTLY_EVIDENT)
    cw.assess(at(3, 29), e, el.ESCALATION_WHERE_UNRESOLVED, fi.EVIDENT)
    cw.assess(at(3, 29), e, el.USE_OF_ADVICE, fi.EVIDENT)
    cw.assess(at(3, 29), e, el.RATIONALE_EXPLAINS, fi.EVIDENT)
    cw.assess(at(4, 6), f, el.CONCERN_ARTICULATED, fi.EVIDENT)  # assessed after the quarter
    cw.assess(at(4, 6), f, el.RATIONALE_EXPLAINS, fi.NOT_EVIDENT)
    return edm


@pytest.fixture(name="memory_quarter", scope="session")
def _memory_quarter() -> Store:
    return quarter().store
