"""Every rule of the model, one test at a time, through the public API."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from ethical_decisions import (
    GUIDANCE,
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConcernStatus,
    ConflictError,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    EthicalDecisions,
    FinalDecision,
    IntegrityError,
    LaterOutcomeKind,
    LaterOutcomeResult,
    NoRouteError,
    NotFoundError,
    NotPermittedError,
    OutcomeClass,
    ProposedDecision,
    RecordsOfficer,
    ReferralStatus,
    Resolution,
    Review,
    Route,
    RoutePolicy,
    StaffRole,
    Stage,
    Step,
    StepError,
    UnresolvedAcknowledgement,
    ValidationError,
    testing,
)
from ethical_decisions.audit import ERASED
from ethical_decisions.events import ReferralAcknowledged, ReferralSubmitted, ReflectionRecorded
from ethical_decisions.review import evolve
from ethical_decisions.steps import allowed_steps, decide

from .conftest import RoutesPlugin

FINAL = FinalDecision(outcome="refuse", summary="Refuse.", rationale="The evidence does not meet the Rules.")
GRANT = FinalDecision(outcome="grant", summary="Grant.", rationale="Advice: the exception applies.")
TEAM = testing.route_team_member("ccu_test")


def reflect(edm: EthicalDecisions, review: Review, *categories: ConcernCategory) -> Review:
    """Record a reflection with one concern per category."""
    concerns = [Concern(category=c, statement=f"Concern about {c}.") for c in categories]
    return edm.record_reflection(review.review_id, by=review.decision_maker, concerns=concerns)


def discretion(
    edm: EthicalDecisions,
    review: Review,
    concern_id: str = "C1",
    scope: DiscretionScope = DiscretionScope.INSIDE_RULES,
    result: DiscretionResult = DiscretionResult.NOT_RESOLVED,
) -> Review:
    """Record discretion considered for a concern."""
    return edm.consider_discretion(
        review.review_id,
        by=review.decision_maker,
        concern_id=concern_id,
        scope=scope,
        guidance="Appendix Settlement; long residence guidance.",
        reason="No provision covers residence evidenced only by school records.",
        result=result,
    )


def discuss(
    edm: EthicalDecisions,
    review: Review,
    concern_id: str = "C1",
    result: DiscussionResult = DiscussionResult.NOT_RESOLVED,
) -> Review:
    """Record a discussion of a concern."""
    return edm.record_discussion(
        review.review_id,
        by=review.decision_maker,
        concern_id=concern_id,
        consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
        consulted="Senior caseworker, settlement",
        advice="Escalate to the Chief Caseworker Unit.",
        result=result,
    )


def escalate(edm: EthicalDecisions, review: Review, *concern_ids: str) -> Review:
    """Escalate concerns to the business area's route."""
    return edm.escalate(
        review.review_id,
        by=review.decision_maker,
        concern_ids=concern_ids or ("C1",),
        question="Can we grant?",
    )


@pytest.fixture(name="opened")
def _opened(
    edm: EthicalDecisions, dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> Review:
    return edm.open_review(by=dm, case=case, proposed=proposed)


@pytest.fixture(name="escalated")
def _escalated(edm: EthicalDecisions, opened: Review) -> Review:
    review = reflect(edm, opened, ConcernCategory.ERROR_IN_RECORDS)
    review = discretion(edm, review)
    review = discuss(edm, review)
    return escalate(edm, review)


class TestOpening:
    """A review opens with a proposed decision."""

    def test_review_opens_awaiting_reflection(self, opened: Review, dm: DecisionMaker) -> None:
        """A new review holds the proposed decision and waits for the reflection (or a handover) only."""
        assert opened.stage == Stage.AWAITING_REFLECTION
        assert dm == opened.decision_maker
        assert GUIDANCE.version == opened.guidance_version
        assert allowed_steps(opened) == (Step.RECORD_REFLECTION, Step.HAND_OVER)

    def test_no_reflection_before_a_proposed_decision(self, edm: EthicalDecisions, dm: DecisionMaker) -> None:
        """There is nothing to reflect on until a review is opened with a proposed decision."""
        with pytest.raises(NotFoundError, match="No review with id 'rv-none'"):
            edm.record_reflection("rv-none", by=dm)

    def test_a_trail_must_start_with_the_opening(self, edm: EthicalDecisions, opened: Review) -> None:
        """Folding a trail that does not start with the proposed decision is refused."""
        reflected = reflect(edm, opened)
        with pytest.raises(IntegrityError, match="the review does not start with it"):
            evolve(None, edm.trail(reflected.review_id)[1])

    def test_an_existing_review_id_cannot_be_opened_again(
        self, edm: EthicalDecisions, opened: Review, case: CaseReference, proposed: ProposedDecision
    ) -> None:
        """Opening a review under an id in use is refused and the existing review is untouched."""
        with pytest.raises(StepError, match="already exists; choose another id"):
            edm.open_review(
                by=opened.decision_maker, case=case, proposed=proposed, review_id=opened.review_id
            )
        assert opened == edm.review(opened.review_id)


class TestReflection:
    """Reflection comes after the proposed decision and before the final one."""

    def test_final_decision_needs_a_reflection(self, edm: EthicalDecisions, opened: Review) -> None:
        """Finalising before reflecting is refused with the stage and the step allowed now."""
        with pytest.raises(StepError) as caught:
            edm.finalise(opened.review_id, by=opened.decision_maker, decision=FINAL)
        error = caught.value
        assert error.step == Step.FINALISE
        assert error.stage == Stage.AWAITING_REFLECTION
        assert error.allowed == (Step.RECORD_REFLECTION, Step.HAND_OVER)
        assert str(error) == (
            "Cannot finalise the decision: no reflection on the proposed decision has been recorded yet; "
            "record it first, with or without concerns. The review is at stage 'awaiting reflection'; "
            "steps allowed now: record the reflection, hand the review over."
        )

    def test_no_concerns_lets_the_decision_proceed(self, edm: EthicalDecisions, opened: Review) -> None:
        """With no concerns the decision-maker may finalise at once, and the class is 'no concerns'."""
        review = edm.record_reflection(opened.review_id, by=opened.decision_maker, note="Checked impact.")
        assert review.stage == Stage.READY_TO_PROCEED
        closed = edm.finalise(review.review_id, by=review.decision_maker, decision=FINAL)
        assert closed.outcome_class == OutcomeClass.NO_CONCERNS
        assert closed.decision_changed is False

    def test_reflection_is_recorded_once(self, edm: EthicalDecisions, opened: Review) -> None:
        """A second reflection is refused: further concerns are raised, never edited in."""
        review = reflect(edm, opened)
        with pytest.raises(StepError, match="raise a further concern instead"):
            reflect(edm, review, ConcernCategory.OTHER)

    def test_concerns_are_numbered_in_order(self, edm: EthicalDecisions, opened: Review) -> None:
        """Concerns get ids C1, C2… in the order raised, across the reflection and later."""
        review = reflect(edm, opened, ConcernCategory.VULNERABILITY, ConcernCategory.UNFAIR_OUTCOME)
        review = edm.raise_concern(
            review.review_id, by=review.decision_maker, category=ConcernCategory.OTHER, statement="Also this."
        )
        assert [c.concern_id for c in review.concerns] == ["C1", "C2", "C3"]
        assert review.stage == Stage.RESOLVING_CONCERNS

    def test_a_concern_cannot_be_raised_before_the_reflection(
        self, edm: EthicalDecisions, opened: Review
    ) -> None:
        """Raising a concern comes after reflecting, which is where concerns are first articulated."""
        with pytest.raises(StepError, match="no reflection"):
            edm.raise_concern(
                opened.review_id, by=opened.decision_maker, category=ConcernCategory.OTHER, statement="x"
            )

    def test_a_decision_maker_of_another_business_area_cannot_act(
        self, edm: EthicalDecisions, opened: Review
    ) -> None:
        """Only the review's owner takes its decision-maker's steps; one of another business area cannot."""
        outsider = testing.decision_maker("bf-1", business_area="border_force")
        with pytest.raises(NotPermittedError, match="the review is held by dm-0001"):
            edm.record_reflection(opened.review_id, by=outsider)

    def test_a_route_team_cannot_record_the_reflection(self, edm: EthicalDecisions, opened: Review) -> None:
        """Route teams advise; only a decision-maker reflects."""
        with pytest.raises(NotPermittedError, match="only a decision-maker who holds it"):
            edm.record(opened.review_id, ReflectionRecorded(), by=TEAM)


class TestDiscretion:
    """Step 2: discretion inside the Rules, then outside."""

    def test_inside_the_rules_comes_before_outside(self, edm: EthicalDecisions, opened: Review) -> None:
        """Discretion outside the Immigration Rules is refused until discretion inside them is considered."""
        review = reflect(edm, opened, ConcernCategory.UNFAIR_OUTCOME)
        with pytest.raises(
            StepError, match="inside the Immigration Rules must be considered for concern 'C1'"
        ):
            discretion(edm, review, scope=DiscretionScope.OUTSIDE_RULES)
        review = discretion(edm, review, result=DiscretionResult.BEYOND_AUTHORITY)
        review = discretion(edm, review, scope=DiscretionScope.OUTSIDE_RULES)
        assert [d.scope for d in review.concerns[0].discretion] == [
            DiscretionScope.INSIDE_RULES,
            DiscretionScope.OUTSIDE_RULES,
        ]

    def test_resolving_by_discretion_settles_the_concern(self, edm: EthicalDecisions, opened: Review) -> None:
        """A concern resolved by discretion is settled; no further step may be taken on it."""
        review = reflect(edm, opened, ConcernCategory.EVIDENTIAL_BURDEN)
        review = discretion(edm, review, result=DiscretionResult.RESOLVED)
        concern = review.concerns[0]
        assert (concern.status, concern.resolved_by) == (ConcernStatus.RESOLVED, Resolution.DISCRETION)
        assert review.stage == Stage.READY_TO_FINALISE
        with pytest.raises(StepError, match="already resolved by discretion"):
            discuss(edm, review)
        closed = edm.finalise(review.review_id, by=review.decision_maker, decision=GRANT)
        assert closed.outcome_class == OutcomeClass.RESOLVED_BY_DISCRETION
        assert closed.decision_changed is True

    def test_unknown_concern_is_refused(self, edm: EthicalDecisions, opened: Review) -> None:
        """Steps on a concern the review does not have are refused, naming the concerns it has."""
        review = reflect(edm, opened, ConcernCategory.OTHER)
        with pytest.raises(StepError, match=r"has no concern C7 \(its concerns: C1\)"):
            discretion(edm, review, concern_id="C7")


class TestDiscussion:
    """Step 3: discussing the case."""

    def test_resolving_by_discussion(self, edm: EthicalDecisions, opened: Review) -> None:
        """A discussion that resolves the concern settles it; the class is 'resolved by discussion'."""
        review = reflect(edm, opened, ConcernCategory.VULNERABILITY)
        review = discretion(edm, review)
        review = discuss(edm, review, result=DiscussionResult.RESOLVED)
        assert review.concerns[0].resolved_by == Resolution.DISCUSSION
        closed = edm.finalise(review.review_id, by=review.decision_maker, decision=FINAL)
        assert closed.outcome_class == OutcomeClass.RESOLVED_BY_DISCUSSION

    def test_advice_is_kept_with_the_discussion(self, edm: EthicalDecisions, opened: Review) -> None:
        """The advice given in a discussion is recorded, with who gave it and their role."""
        review = discuss(edm, reflect(edm, opened, ConcernCategory.OTHER))
        held = review.concerns[0].discussions[0]
        expected = (
            ConsultedRole.TECHNICAL_SPECIALIST,
            "Senior caseworker, settlement",
            "Escalate to the Chief Caseworker Unit.",
        )
        assert expected == (held.consulted_role, held.consulted, held.advice)


class TestEscalation:
    """Step 4: escalating through the business area's route."""

    def test_no_escalation_without_an_articulated_concern(
        self, edm: EthicalDecisions, opened: Review
    ) -> None:
        """A referral must name concerns the review has articulated."""
        review = edm.record_reflection(opened.review_id, by=opened.decision_maker)
        with pytest.raises(StepError, match=r"has no concern C1 \(its concerns: none yet\)"):
            escalate(edm, review)
        with pytest.raises(StepError, match="at least one articulated concern"):
            edm.escalate(review.review_id, by=review.decision_maker, concern_ids=[], question="?")

    def test_default_route_needs_discretion_then_discussion(
        self, edm: EthicalDecisions, opened: Review
    ) -> None:
        """By default a concern is escalated only after discretion is considered and the case discussed."""
        review = reflect(edm, opened, ConcernCategory.ERROR_IN_RECORDS)
        with pytest.raises(StepError, match="needs discretion considered for concern 'C1'"):
            escalate(edm, review)
        review = discretion(edm, review)
        with pytest.raises(StepError, match="needs concern 'C1' discussed"):
            escalate(edm, review)
        review = escalate(edm, discuss(edm, review))
        referral = review.referrals[0]
        assert (f"{review.review_id}-R5", ReferralStatus.SUBMITTED) == (referral.referral_id, referral.status)
        assert review.concerns[0].status == ConcernStatus.ESCALATED
        assert review.stage == Stage.AWAITING_ADVICE

    def test_route_may_relax_requirements_for_a_role(
        self, frontline: DecisionMaker, case: CaseReference
    ) -> None:
        """A route may accept a frontline officer's referral without a prior discussion."""
        svm = testing.route(
            "svm",
            business_area="immigration_enforcement",
            policy=RoutePolicy(
                route_id="svm",
                version="2.1",
                business_area="immigration_enforcement",
                requirements_by_role={
                    StaffRole.FRONTLINE_OFFICER: EscalationRequirements(discussion_held=False)
                },
            ),
        )
        edm = testing.service(RoutesPlugin(svm))
        review = edm.open_review(
            by=frontline, case=case, proposed=ProposedDecision("detain", "Detain pending removal.")
        )
        review = discretion(
            edm, reflect(edm, review, ConcernCategory.VULNERABILITY), result=DiscretionResult.BEYOND_AUTHORITY
        )
        review = escalate(edm, review)
        assert (review.referrals[0].route_id, review.referrals[0].route.version) == ("svm", "2.1")
        caseworker = testing.decision_maker("cw-9", business_area="immigration_enforcement")
        other = edm.open_review(by=caseworker, case=case, proposed=ProposedDecision("remove", "Remove."))
        other = discretion(edm, reflect(edm, other, ConcernCategory.VULNERABILITY))
        with pytest.raises(StepError, match="needs concern 'C1' discussed"):
            escalate(edm, other)

    def test_route_may_restrict_who_refers(self, case: CaseReference, dm: DecisionMaker) -> None:
        """A role the route does not take referrals from is refused."""
        policy = RoutePolicy(
            route_id="seniors_only",
            version="1",
            business_area=dm.business_area,
            eligible_roles=frozenset({StaffRole.SENIOR_CASEWORKER}),
        )
        edm = testing.service(RoutesPlugin(testing.route("seniors_only", policy=policy)))
        review = edm.open_review(by=dm, case=case, proposed=ProposedDecision("refuse", "Refuse."))
        review = discuss(edm, discretion(edm, reflect(edm, review, ConcernCategory.OTHER)))
        with pytest.raises(NotPermittedError, match="does not take referrals from a caseworker"):
            escalate(edm, review)

    def test_a_business_area_without_a_route_gets_a_clear_error(
        self, edm: EthicalDecisions, case: CaseReference, proposed: ProposedDecision
    ) -> None:
        """With no route for the business area, escalating names the installed routes and records nothing."""
        dm = testing.decision_maker("bf-1", business_area="border_force")
        review = edm.open_review(by=dm, case=case, proposed=proposed)
        review = discuss(edm, discretion(edm, reflect(edm, review, ConcernCategory.OTHER)))
        with pytest.raises(NoRouteError) as caught:
            escalate(edm, review)
        assert caught.value.installed == ("ccu_test",)
        assert "Installed routes: ccu_test" in str(caught.value)
        assert review == edm.review(review.review_id)
        assert review.version == len(edm.trail(review.review_id))

    def test_a_route_of_another_business_area_is_refused(self, edm: EthicalDecisions, opened: Review) -> None:
        """A review escalates only through its own business area's route."""
        review = discuss(edm, discretion(edm, reflect(edm, opened, ConcernCategory.OTHER)))
        elsewhere = RoutePolicy(route_id="nicot", version="1", business_area="border_force")
        with pytest.raises(StepError, match="serves business area 'border_force'"):
            decide(
                review,
                ReferralSubmitted(route=elsewhere, concern_ids=("C1",), question="?"),
                actor=review.decision_maker,
                now=review.updated_at,
            )

    def test_route_rules_are_frozen_for_the_review(self, edm: EthicalDecisions, escalated: Review) -> None:
        """An upgraded route plugin does not change the rules a review escalated under."""
        upgraded_plugin = testing.route("ccu_test", version="2.0")
        upgraded_edm = testing.service(RoutesPlugin(upgraded_plugin), store=edm.store)
        review = upgraded_edm.withdraw_referral(
            escalated.referrals[0].referral_id, by=escalated.decision_maker, reason="Re-escalating with more."
        )
        review = escalate(upgraded_edm, review)
        assert [r.route.version for r in review.referrals] == ["1.0", "1.0"]
        frozen = escalated.routes["ccu_test"]
        assert frozen.version == "1.0"
        upgraded = attrs.evolve(frozen, version="2.0", requirements=EscalationRequirements(False, False))
        with pytest.raises(StepError, match=r"held to version '1\.0'"):
            decide(
                escalated,
                ReferralSubmitted(route=upgraded, concern_ids=("C1",), question="?"),
                actor=escalated.decision_maker,
                now=escalated.updated_at,
            )

    def test_an_escalated_concern_waits_for_advice(self, edm: EthicalDecisions, escalated: Review) -> None:
        """No further step is taken on a concern while its referral awaits advice."""
        with pytest.raises(StepError, match="awaiting advice on referral"):
            discretion(edm, escalated)


class TestReferralLifecycle:
    """A referral from submission to advice, return or withdrawal."""

    def test_advice_flows_back_and_the_decision_maker_resolves(
        self, edm: EthicalDecisions, escalated: Review
    ) -> None:
        """Advice comes back; the concern awaits the decision-maker's response, which resolves it."""
        referral_id = escalated.referrals[0].referral_id
        review = edm.acknowledge_referral(referral_id, by=TEAM)
        assert review.referrals[0].status == ReferralStatus.ACKNOWLEDGED
        review = edm.give_advice(referral_id, by=TEAM, advice="Grant outside the Rules.")
        assert (
            review.referrals[0].advice,
            review.referrals[0].status,
        ) == ("Grant outside the Rules.", ReferralStatus.ADVICE_GIVEN)
        assert (review.concerns[0].status, review.concerns[0].resolved_by) == (ConcernStatus.ADVISED, None)
        assert review.stage == Stage.ADVICE_RECEIVED
        review = edm.respond_to_advice(
            referral_id,
            by=review.decision_maker,
            concern_id="C1",
            response=AdviceResponse.FOLLOWED,
            reason="The exception applies, as the route advised.",
            resolved=True,
        )
        assert review.concerns[0].resolved_by == Resolution.ESCALATION
        closed = edm.finalise(review.review_id, by=review.decision_maker, decision=GRANT)
        assert closed.referrals[0].status == ReferralStatus.CLOSED
        assert closed.outcome_class == OutcomeClass.RESOLVED_AFTER_ESCALATION
        assert closed.decision_changed is True

    def test_returned_for_more_information(self, edm: EthicalDecisions, escalated: Review) -> None:
        """The route may ask for more; the decision-maker answers; then advice follows."""
        referral_id = escalated.referrals[0].referral_id
        review = edm.return_referral(referral_id, by=TEAM, question="Which records did you search?")
        assert review.stage == Stage.INFORMATION_REQUESTED
        with pytest.raises(StepError, match="waiting for the decision-maker's answer"):
            edm.give_advice(referral_id, by=TEAM, advice="x")
        review = edm.provide_information(
            referral_id, by=review.decision_maker, response="HMRC and school records."
        )
        review = edm.give_advice(referral_id, by=TEAM, advice="Grant.")
        assert [e.kind for e in review.referrals[0].history] == [
            "referral_returned",
            "information_provided",
            "advice_given",
        ]

    def test_advice_comes_after_acknowledgement(self, edm: EthicalDecisions, escalated: Review) -> None:
        """Advice on a referral nobody has acknowledged is refused with what to do."""
        with pytest.raises(StepError, match="is submitted: acknowledge it first"):
            edm.give_advice(escalated.referrals[0].referral_id, by=TEAM, advice="x")

    def test_only_the_routes_team_acts_on_its_referrals(
        self, edm: EthicalDecisions, escalated: Review
    ) -> None:
        """A member of another route's team, or the decision-maker, cannot act for the route."""
        referral_id = escalated.referrals[0].referral_id
        with pytest.raises(
            NotPermittedError, match="was made to route ccu_test, and rt-0001 is on route svm's"
        ):
            edm.acknowledge_referral(referral_id, by=testing.route_team_member("svm"))
        with pytest.raises(NotPermittedError, match="only route ccu_test's team takes this step"):
            edm.record(escalated.review_id, ReferralAcknowledged(referral_id), by=escalated.decision_maker)
        assert escalated == edm.review(escalated.review_id)

    def test_pending_advice_blocks_finalising(self, edm: EthicalDecisions, escalated: Review) -> None:
        """A referral awaiting advice blocks the final decision until withdrawn with a reason."""
        with pytest.raises(StepError, match="is awaiting advice; wait for the advice, or withdraw"):
            edm.finalise(escalated.review_id, by=escalated.decision_maker, decision=FINAL)
        referral_id = escalated.referrals[0].referral_id
        review = edm.withdraw_referral(
            referral_id, by=escalated.decision_maker, reason="New evidence resolved it."
        )
        assert (
            review.referrals[0].status,
            review.concerns[0].status,
        ) == (ReferralStatus.WITHDRAWN, ConcernStatus.OPEN)
        closed = edm.finalise(
            review.review_id,
            by=review.decision_maker,
            decision=FINAL,
            unresolved=UnresolvedAcknowledgement(("C1",), "Proceeding on the evidence now held."),
        )
        assert closed.outcome_class == OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS


class TestFinalising:
    """The final decision and its rationale."""

    def test_unresolved_concerns_need_an_explicit_acknowledgement(
        self, edm: EthicalDecisions, opened: Review
    ) -> None:
        """Finalising with open concerns needs an acknowledgement naming exactly them, with a rationale."""
        review = reflect(edm, opened, ConcernCategory.OTHER, ConcernCategory.VULNERABILITY)
        review = discretion(edm, review, concern_id="C2", result=DiscretionResult.RESOLVED)
        with pytest.raises(StepError, match="concerns C1 are unresolved"):
            edm.finalise(review.review_id, by=review.decision_maker, decision=FINAL)
        wrong = UnresolvedAcknowledgement(("C1", "C2"), "Both.")
        with pytest.raises(StepError, match=r"exactly the unresolved concerns \(unresolved: C1\)"):
            edm.finalise(review.review_id, by=review.decision_maker, decision=FINAL, unresolved=wrong)
        closed = edm.finalise(
            review.review_id,
            by=review.decision_maker,
            decision=FINAL,
            unresolved=UnresolvedAcknowledgement(("C1",), "The Rules leave no discretion here."),
        )
        assert [c.status for c in closed.concerns] == [
            ConcernStatus.ACKNOWLEDGED_UNRESOLVED,
            ConcernStatus.RESOLVED,
        ]

    def test_an_acknowledgement_with_nothing_unresolved_is_refused(
        self, edm: EthicalDecisions, opened: Review
    ) -> None:
        """Acknowledging concerns that are not unresolved is a mistake the rules catch."""
        review = edm.record_reflection(opened.review_id, by=opened.decision_maker)
        with pytest.raises(StepError, match=r"unresolved: none"):
            edm.finalise(
                review.review_id,
                by=review.decision_maker,
                decision=FINAL,
                unresolved=UnresolvedAcknowledgement(("C1",), "x"),
            )

    @pytest.mark.parametrize("field", ["summary", "rationale"])
    @pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
    def test_rationale_and_summary_are_required(self, field: str, blank: str) -> None:
        """A final decision without a rationale or summary cannot even be built."""
        values = {"outcome": "refuse", "summary": "Refuse.", "rationale": "Because.", field: blank}
        with pytest.raises(ValidationError, match=f"{field}: must not be empty or only whitespace"):
            FinalDecision(**values)


class TestAfterClosing:
    """Only later facts after closing; nothing is edited."""

    @pytest.fixture(name="closed")
    def _closed(self, edm: EthicalDecisions, opened: Review) -> Review:
        review = edm.record_reflection(opened.review_id, by=opened.decision_maker)
        return edm.finalise(review.review_id, by=review.decision_maker, decision=FINAL)

    def test_only_later_facts_are_added(self, edm: EthicalDecisions, closed: Review) -> None:
        """Once closed, the model's steps are refused; later outcomes may be added."""
        with pytest.raises(StepError, match="the review is closed; only later outcomes"):
            edm.raise_concern(
                closed.review_id, by=closed.decision_maker, category=ConcernCategory.OTHER, statement="x"
            )
        with pytest.raises(StepError, match="the review is closed"):
            edm.finalise(closed.review_id, by=closed.decision_maker, decision=GRANT)
        assert allowed_steps(closed) == (Step.RECORD_LATER_OUTCOME, Step.ERASE_FREE_TEXT)
        later = edm.record_later_outcome(
            closed.review_id,
            by=RecordsOfficer("ro-1"),
            challenge=LaterOutcomeKind.TRIBUNAL,
            result=LaterOutcomeResult.OVERTURNED,
            decided_on=closed.closed_at.date(),
        )
        assert len(later.later_outcomes) == 1
        assert later.final_decision == FINAL

    def test_later_outcome_needs_a_closed_review(self, edm: EthicalDecisions, opened: Review) -> None:
        """An appeal outcome cannot be recorded on a decision not yet taken."""
        with pytest.raises(StepError, match="only after the review is closed"):
            edm.record_later_outcome(
                opened.review_id,
                by=opened.decision_maker,
                challenge=LaterOutcomeKind.APPEAL,
                result=LaterOutcomeResult.UPHELD,
                decided_on=opened.opened_at.date(),
            )

    @pytest.mark.parametrize(
        ("days", "problem"), [(400, "in the future"), (-400, "before the review closed")]
    )
    def test_later_outcome_dates_are_checked(
        self, edm: EthicalDecisions, closed: Review, days: int, problem: str
    ) -> None:
        """A challenge decided in the future, or before the decision, is refused."""
        assert closed.closed_at is not None
        with pytest.raises(StepError, match=problem):
            edm.record_later_outcome(
                closed.review_id,
                by=closed.decision_maker,
                challenge=LaterOutcomeKind.APPEAL,
                result=LaterOutcomeResult.UPHELD,
                decided_on=closed.closed_at.date() + dt.timedelta(days=days),
            )

    def test_erasure_keeps_the_trail_verifiable(self, edm: EthicalDecisions, closed: Review) -> None:
        """A records officer erases the words; every event stays, the chain verifies, the erasure shows."""
        with pytest.raises(NotPermittedError, match="only a records officer"):
            edm.erase_free_text(closed.review_id, by=closed.decision_maker)  # type: ignore[arg-type]
        erased = edm.erase_free_text(closed.review_id, by=RecordsOfficer("ro-7"))
        assert erased.erased_at is not None
        assert (erased.case.reference, erased.final_decision.rationale) == (ERASED, ERASED)
        assert [e.sequence for e in edm.trail(closed.review_id)] == [1, 2, 3, 4]
        assert edm.trail(closed.review_id)[-1].kind == "free_text_erased"
        assert edm.verify().ok
        with pytest.raises(StepError, match="already erased"):
            edm.erase_free_text(closed.review_id, by=RecordsOfficer("ro-7"))

    def test_an_erasure_by_another_server_reaches_this_ones_cache(
        self, edm: EthicalDecisions, closed: Review, route: Route
    ) -> None:
        """A server that read a review before another erased it shows the erasure, not the old words."""
        other = testing.service(RoutesPlugin(route), store=edm.store)
        assert other.review(closed.review_id).case.reference != ERASED
        edm.erase_free_text(closed.review_id, by=RecordsOfficer("ro-7"))
        assert other.review(closed.review_id).case.reference == ERASED

    def test_nothing_is_ever_edited(self, edm: EthicalDecisions, closed: Review) -> None:
        """Events are frozen: an attempt to change one in memory fails, and the store offers no update."""
        event = edm.trail(closed.review_id)[0]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.sequence = 9  # type: ignore[misc]
        assert not any(name.startswith(("update", "delete", "edit")) for name in dir(edm.store))


class TestConcurrency:
    """Two writers to one review."""

    def test_a_stale_version_is_refused(self, edm: EthicalDecisions, opened: Review) -> None:
        """Acting on a review as shown at an older version gets a conflict; nothing is written."""
        reflect(edm, opened)
        with pytest.raises(ConflictError, match="you had version 1, the store has version 2"):
            edm.record_reflection(opened.review_id, by=opened.decision_maker, expected_version=1)

    def test_a_second_server_sees_the_first_servers_step(
        self, edm: EthicalDecisions, opened: Review, route: Route
    ) -> None:
        """Two casework servers share a store: each step sees the other's, whatever either has cached."""
        other = testing.service(RoutesPlugin(route), store=edm.store)
        assert opened == other.review(opened.review_id)
        reflect(edm, opened, ConcernCategory.OTHER)
        with pytest.raises(StepError, match="the reflection is already recorded"):
            other.record_reflection(opened.review_id, by=opened.decision_maker)
        with pytest.raises(ConflictError):
            other.record_reflection(opened.review_id, by=opened.decision_maker, expected_version=1)
        assert edm.review(opened.review_id) == other.review(opened.review_id)
