"""A Hypothesis state machine that drives reviews through legal and illegal steps.

Legal steps are built from the current state and must succeed: the rules never
refuse what the model allows. Random steps (any payload, any actor) may succeed
or be refused; either way the invariants below must hold after every step.
"""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from ethical_decisions import (
    AdviceResponse,
    ConcernStatus,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    EthicalDecisionsError,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    RecordsOfficer,
    Referral,
    ReferralStatus,
    Review,
    RoutePolicy,
    RouteTeamMember,
    StaffRole,
    Stage,
    UnresolvedAcknowledgement,
    testing,
    verify,
)
from ethical_decisions.events import (
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    FreeTextErased,
    LaterOutcomeRecorded,
    ReferralSubmitted,
    ReviewFinalised,
    ReviewHandedOver,
)
from ethical_decisions.policy import default_policy, request_for
from ethical_decisions.review import ConcernRecord, evolve, replay

from . import strategies as s
from .conftest import RoutesPlugin

CSG = "customer_services_group"
IE = "immigration_enforcement"
PANEL = "ccu_panel"
"""A second tier: it reconsiders the Chief Caseworker Unit's advice, and asks for nothing first."""

ROUTES = (
    testing.route("ccu", business_area=CSG),
    testing.route(
        PANEL,
        business_area=CSG,
        policy=RoutePolicy(
            route_id=PANEL,
            version="1.0",
            business_area=CSG,
            requirements=EscalationRequirements(discretion_considered=False, discussion_held=False),
            reconsiders="ccu",
        ),
    ),
    testing.route(
        "svm",
        business_area=IE,
        policy=RoutePolicy(
            route_id="svm",
            version="1.0",
            business_area=IE,
            requirements_by_role={StaffRole.FRONTLINE_OFFICER: EscalationRequirements(discussion_held=False)},
        ),
    ),
)
DECISION_MAKERS = (
    testing.decision_maker("cw-1", business_area=CSG),
    testing.decision_maker("cw-2", business_area=IE),
    testing.decision_maker("io-3", role=StaffRole.FRONTLINE_OFFICER, business_area=IE),
    testing.decision_maker("bf-4", business_area="border_force"),
    testing.decision_maker("cw-5", business_area=CSG),
)
MANAGERS = (
    testing.decision_maker("lm-6", role=StaffRole.LINE_MANAGER, business_area=CSG),
    testing.decision_maker("lm-7", role=StaffRole.LINE_MANAGER, business_area=IE),
)
OFFICER = RecordsOfficer("ro-1")
TEAM = {route.route_id: testing.route_team_member(route.route_id, f"rt-{route.route_id}") for route in ROUTES}
COLLEAGUES = {
    route.route_id: testing.route_team_member(route.route_id, f"rt2-{route.route_id}") for route in ROUTES
}
ACTORS = (*DECISION_MAKERS, *MANAGERS, OFFICER, *TEAM.values(), *COLLEAGUES.values())

# Resolving early ends a concern's path; weight the results so that escalation is reached often.
UNLIKELY_TO_RESOLVE_BY_DISCRETION = st.sampled_from(
    [DiscretionResult.RESOLVED] + [DiscretionResult.NOT_RESOLVED, DiscretionResult.BEYOND_AUTHORITY] * 3
)
UNLIKELY_TO_RESOLVE_BY_DISCUSSION = st.sampled_from(
    [DiscussionResult.RESOLVED] + [DiscussionResult.NOT_RESOLVED] * 5
)
# A response that leaves the concern unresolved opens the way to escalating again.
RESOLVED_BY_RESPONSE = st.sampled_from([True, True, False])


def _first_tier(business_area: str) -> str | None:
    """The business area's own route (never the second tier), if the machine has one."""
    return next(
        (r.route_id for r in ROUTES if r.business_area == business_area and r.policy.reconsiders is None),
        None,
    )


def _advised_by(review: Review, concern: ConcernRecord, route_id: str) -> bool:
    """Whether a referral of *concern* to *route_id* has had advice."""
    return any(
        (referral := review.referral(referral_id)) is not None
        and referral.route_id == route_id
        and referral.advice_at is not None
        for referral_id in concern.referral_ids
    )


def _resolves(event: Event, concern_id: str) -> bool:
    """Whether *event* is a decision-maker's step that says it resolved *concern_id*."""
    payload = event.payload
    if getattr(payload, "concern_id", None) != concern_id or not isinstance(event.actor, DecisionMaker):
        return False
    if isinstance(payload, DiscretionConsidered):
        return payload.result is DiscretionResult.RESOLVED
    if isinstance(payload, DiscussionHeld):
        return payload.result is DiscussionResult.RESOLVED
    return isinstance(payload, AdviceResponded) and payload.resolved


class ReviewMachine(RuleBasedStateMachine):
    """Random walks through many reviews, checking the model's guarantees after every step."""

    reviews = Bundle("reviews")

    def __init__(self) -> None:
        super().__init__()
        self.clock = testing.FakeClock()
        self.edm = testing.service(RoutesPlugin(*ROUTES), clock=self.clock)
        self.ids: list[str] = []

    # -- helpers -----------------------------------------------------------------------------

    def review(self, review_id: str) -> Review:
        """The review as the service sees it now."""
        return self.edm.review(review_id)

    def dm(self, review: Review) -> DecisionMaker:
        """The review's own decision-maker."""
        return review.decision_maker

    # -- legal steps: must succeed --------------------------------------------------------------

    @precondition(lambda self: len(self.ids) < 3)
    @rule(target=reviews, dm=st.sampled_from(DECISION_MAKERS), case=s.cases, proposed=s.proposed_decisions)
    def open_review(self, dm, case, proposed):
        """Open a review: always allowed."""
        review = self.edm.open_review(by=dm, case=case, proposed=proposed)
        self.ids.append(review.review_id)
        return review.review_id

    @rule(review_id=reviews, concerns=st.lists(s.concerns, max_size=2), note=s.optional_texts)
    def reflect(self, review_id, concerns, note):
        """Record the reflection of a review awaiting one."""
        review = self.review(review_id)
        if review.stage is Stage.AWAITING_REFLECTION:
            self.edm.record_reflection(review_id, by=self.dm(review), concerns=concerns, note=note)

    @rule(review_id=reviews, concern=s.concerns)
    def raise_concern(self, review_id, concern):
        """Raise a further concern on a reflected, open review."""
        review = self.review(review_id)
        if review.reflection is not None and not review.is_closed:
            self.edm.record(review_id, ConcernRaised(concern), by=self.dm(review))

    @rule(review_id=reviews, data=st.data(), result=UNLIKELY_TO_RESOLVE_BY_DISCRETION, outside=st.booleans())
    def consider_discretion(self, review_id, data, result, outside):
        """Consider discretion for an open concern: outside the Rules only after inside."""
        review = self.review(review_id)
        if review.is_closed or not review.open_concerns:
            return
        concern = data.draw(st.sampled_from(review.open_concerns))
        scope = (
            DiscretionScope.OUTSIDE_RULES
            if outside and concern.considered(DiscretionScope.INSIDE_RULES)
            else DiscretionScope.INSIDE_RULES
        )
        self.edm.consider_discretion(
            review_id,
            by=self.dm(review),
            concern_id=concern.concern_id,
            scope=scope,
            guidance="Immigration Rules and discretion guidance",
            reason="Considered in full context",
            result=result,
        )

    @rule(
        review_id=reviews,
        data=st.data(),
        role=st.sampled_from(ConsultedRole),
        consulted=s.texts,
        advice=s.texts,
        result=UNLIKELY_TO_RESOLVE_BY_DISCUSSION,
    )
    def discuss(self, review_id, data, role, consulted, advice, result):
        """Discuss an open concern."""
        review = self.review(review_id)
        if review.is_closed or not review.open_concerns:
            return
        concern = data.draw(st.sampled_from(review.open_concerns))
        self.edm.record_discussion(
            review_id,
            by=self.dm(review),
            concern_id=concern.concern_id,
            consulted_role=role,
            consulted=consulted,
            advice=advice,
            result=result,
        )

    @rule(review_id=reviews, data=st.data(), question=s.texts, second_tier=st.booleans())
    def escalate(self, review_id, data, question, second_tier):
        """Escalate concerns that meet the route's requirements: open ones, or again after advice.

        To the business area's own route (again, to reconsider its advice), or to the second tier,
        which takes only concerns the first tier has advised on.
        """
        review = self.review(review_id)
        first = _first_tier(review.business_area)
        if review.is_closed or first is None:
            return
        route_id = PANEL if second_tier and review.business_area == CSG else first
        route = next(r for r in ROUTES if r.route_id == route_id)
        needs = review.routes.get(route_id, route.policy).requirements_for(review.decision_maker.role)
        ready = [
            c
            for c in (*review.open_concerns, *review.advised_concerns)
            if (c.discretion or not needs.discretion_considered)
            and (c.discussions or not needs.discussion_held)
            and (route.policy.reconsiders is None or _advised_by(review, c, route.policy.reconsiders))
        ]
        if not ready:
            return
        chosen = data.draw(st.lists(st.sampled_from(ready), min_size=1, unique_by=lambda c: c.concern_id))
        self.edm.escalate(
            review_id,
            by=self.dm(review),
            concern_ids=[c.concern_id for c in chosen],
            question=question,
            route_id=route_id,
        )

    @rule(
        review_id=reviews,
        data=st.data(),
        response=st.sampled_from(AdviceResponse),
        reason=s.texts,
        resolved=RESOLVED_BY_RESPONSE,
    )
    def respond_to_advice(self, review_id, data, response, reason, resolved):
        """Say what was done with the latest advice on a concern, and whether it is now resolved."""
        review = self.review(review_id)
        if review.is_closed or not review.advised_concerns:
            return
        concern = data.draw(st.sampled_from(review.advised_concerns))
        self.edm.respond_to_advice(
            concern.referral_ids[-1],
            by=self.dm(review),
            concern_id=concern.concern_id,
            response=response,
            reason=reason,
            resolved=resolved,
        )

    def _referrals(self, review_id: str, *statuses: ReferralStatus) -> list[Referral]:
        return [r for r in self.review(review_id).referrals if r.status in statuses]

    @rule(
        review_id=reviews, data=st.data(), text=s.texts, action=st.sampled_from(["ack", "return", "advise"])
    )
    def route_team_acts(self, review_id, data, text, action):
        """The route's own team acknowledges, returns or advises on a referral."""
        wanted = {
            "ack": (ReferralStatus.SUBMITTED,),
            "return": (ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED),
            "advise": (ReferralStatus.ACKNOWLEDGED,),
        }[action]
        candidates = self._referrals(review_id, *wanted)
        if not candidates:
            return
        referral = data.draw(st.sampled_from(candidates))
        member = referral.assignee or TEAM[referral.route_id]
        if action == "ack":
            self.edm.acknowledge_referral(referral.referral_id, by=member)
        elif action == "return":
            self.edm.return_referral(referral.referral_id, by=member, question=text)
        else:
            self.edm.give_advice(referral.referral_id, by=member, advice=text)

    @rule(review_id=reviews, data=st.data(), reason=s.texts, by_manager=st.booleans())
    def hand_over(self, review_id, data, reason, by_manager):
        """The owner, or a line manager of the area, hands an open review to a colleague in its area."""
        review = self.review(review_id)
        colleagues = [
            dm
            for dm in DECISION_MAKERS
            if dm.business_area == review.business_area and dm.staff_id != review.owner.staff_id
        ]
        managers = [m for m in MANAGERS if m.business_area == review.business_area]
        if review.is_closed or not colleagues:
            return
        by = managers[0] if by_manager and managers else review.owner
        to = data.draw(st.sampled_from(colleagues))
        self.edm.hand_over(review_id, by=by, to=to, reason=reason)

    @rule(review_id=reviews, data=st.data(), release=st.booleans())
    def assign(self, review_id, data, release):
        """A route team member takes a referral awaiting advice, passes it to a colleague, or releases it."""
        candidates = list(self.review(review_id).referrals_awaiting_advice)
        if not candidates:
            return
        referral = data.draw(st.sampled_from(candidates))
        member = TEAM[referral.route_id]
        if release and referral.assignee is not None:
            self.edm.release_referral(referral.referral_id, by=member)
            return
        pair = (member, COLLEAGUES[referral.route_id])
        to = pair[1] if referral.assignee == pair[0] else pair[0]
        self.edm.assign_referral(referral.referral_id, by=member, to=to)

    @rule(review_id=reviews, data=st.data(), text=s.texts, withdraw=st.booleans())
    def decision_maker_answers(self, review_id, data, text, withdraw):
        """Answer a returned referral, or withdraw one awaiting advice."""
        review = self.review(review_id)
        if withdraw:
            candidates = list(review.referrals_awaiting_advice)
        else:
            candidates = [r for r in review.referrals if r.status is ReferralStatus.RETURNED]
        if not candidates:
            return
        referral = data.draw(st.sampled_from(candidates))
        if withdraw:
            self.edm.withdraw_referral(referral.referral_id, by=self.dm(review), reason=text)
        else:
            self.edm.provide_information(referral.referral_id, by=self.dm(review), response=text)

    @rule(
        review_id=reviews, decision=s.final_decisions, rationale=s.texts, proceed_regardless=st.integers(0, 3)
    )
    def finalise(self, review_id, decision, rationale, proceed_regardless):
        """Finalise when nothing awaits advice; acknowledge open concerns only now and then."""
        review = self.review(review_id)
        if (
            review.is_closed
            or review.reflection is None
            or review.referrals_awaiting_advice
            or review.advised_concerns
        ):
            return
        open_ids = tuple(c.concern_id for c in review.open_concerns)
        if open_ids and proceed_regardless:
            return
        unresolved = UnresolvedAcknowledgement(open_ids, rationale) if open_ids else None
        self.edm.finalise(review_id, by=self.dm(review), decision=decision, unresolved=unresolved)

    @rule(review_id=reviews, steps=st.integers(1, 6), data=st.data())
    def progress(self, review_id, steps, data):
        """Take the model's next natural steps, so that deep states (advice, returns) are reached."""
        for _ in range(steps):
            self._next_step(self.review(review_id), data)

    def _answer_referrals(self, review: Review, data: st.DataObject) -> bool:
        """Take the next step a referral needs, or answer the latest advice; whether there was one."""
        review_id, dm = review.review_id, review.decision_maker
        for referral in review.referrals:
            member = referral.assignee or TEAM[referral.route_id]
            if referral.status is ReferralStatus.SUBMITTED:
                self.edm.acknowledge_referral(referral.referral_id, by=member)
                return True
            if referral.status is ReferralStatus.ACKNOWLEDGED:
                if data.draw(st.integers(0, 3)) == 0:
                    self.edm.return_referral(
                        referral.referral_id, by=member, question="Which records were checked?"
                    )
                else:
                    self.edm.give_advice(referral.referral_id, by=member, advice="Consider the exception.")
                return True
            if referral.status is ReferralStatus.RETURNED:
                self.edm.provide_information(referral.referral_id, by=dm, response="HMRC and NHS records.")
                return True
        for concern in review.advised_concerns:
            choice = data.draw(st.integers(0, 3))
            if choice == 0 and review.business_area == CSG:  # not settled by the advice: to the second tier
                self.edm.escalate(
                    review_id, by=dm, concern_ids=[concern.concern_id], question="?", route_id=PANEL
                )
            else:
                self.edm.respond_to_advice(
                    concern.referral_ids[-1],
                    by=dm,
                    concern_id=concern.concern_id,
                    response=data.draw(st.sampled_from(AdviceResponse)),
                    reason="Considered the advice.",
                    resolved=choice < 3,
                )
            return True
        return False

    def _next_step(self, review: Review, data: st.DataObject) -> None:
        review_id, dm = review.review_id, review.decision_maker
        if review.stage is Stage.AWAITING_REFLECTION:
            concerns = data.draw(st.lists(s.concerns, min_size=1, max_size=2))
            self.edm.record_reflection(review_id, by=dm, concerns=concerns)
            return
        if review.is_closed:
            return
        if self._answer_referrals(review, data):
            return
        for concern in review.open_concerns:
            if not concern.discretion:
                self.edm.consider_discretion(
                    review_id,
                    by=dm,
                    concern_id=concern.concern_id,
                    scope=DiscretionScope.INSIDE_RULES,
                    guidance="Rules",
                    reason="No provision fits",
                    result=DiscretionResult.NOT_RESOLVED,
                )
                return
            if not concern.discussions:
                self.edm.record_discussion(
                    review_id,
                    by=dm,
                    concern_id=concern.concern_id,
                    consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
                    consulted="Senior caseworker",
                    advice="Escalate",
                    result=DiscussionResult.NOT_RESOLVED,
                )
                return
        if review.open_concerns and _first_tier(review.business_area) is not None:
            self.edm.escalate(
                review_id, by=dm, concern_ids=[c.concern_id for c in review.open_concerns], question="?"
            )
            return
        if not review.referrals_awaiting_advice:
            open_ids = tuple(c.concern_id for c in review.open_concerns)
            self.edm.finalise(
                review_id,
                by=dm,
                decision=FinalDecision("grant", "Grant", "On advice"),
                unresolved=UnresolvedAcknowledgement(open_ids, "No route") if open_ids else None,
            )

    @rule(
        review_id=reviews,
        challenge=st.sampled_from(LaterOutcomeKind),
        result=st.sampled_from(LaterOutcomeResult),
    )
    def later_outcome(self, review_id, challenge, result):
        """Record an appeal or tribunal outcome on a closed review."""
        review = self.review(review_id)
        if review.is_closed:
            self.edm.record_later_outcome(
                review_id, by=OFFICER, challenge=challenge, result=result, decided_on=self.clock.now.date()
            )

    @rule(review_id=reviews)
    def erase(self, review_id):
        """Erase a closed review's free text."""
        review = self.review(review_id)
        if review.is_closed and review.erased_at is None:
            self.edm.erase_free_text(review_id, by=OFFICER)

    # -- random steps: may be refused, must never break an invariant --------------------------

    @rule(review_id=reviews, payload=s.payloads, actor=st.sampled_from(ACTORS), data=st.data())
    def anything(self, review_id, payload, actor, data):
        """Try any payload as any actor: if refused, nothing changes."""
        before = self.review(review_id)
        chain_before = list(self.edm.store.chain())
        if hasattr(payload, "referral_id") and before.referrals and data.draw(st.booleans()):
            referral = data.draw(st.sampled_from(before.referrals))
            payload = attrs.evolve(payload, referral_id=referral.referral_id)
        try:
            self.edm.record(review_id, payload, by=actor)
        except EthicalDecisionsError:
            assert self.review(review_id) == before
            assert list(self.edm.store.chain()) == chain_before

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def trail_replays_to_the_same_review(self):
        """Replaying the stored trail gives the review the service holds, and a fresh service agrees."""
        fresh = testing.service(RoutesPlugin(*ROUTES), store=self.edm.store)
        for review_id in self.ids:
            trail = self.edm.trail(review_id)
            assert replay(trail) == self.edm.review(review_id) == fresh.review(review_id)

    @invariant()
    def chain_verifies(self):
        """The audit chain over every review verifies."""
        report = verify(self.edm.store.chain())
        assert report.ok, str(report)

    @invariant()
    def closed_reviews_account_for_everything(self):
        """A closed review was reflected on, every concern settled, no referral pending."""
        for review_id in self.ids:
            review = self.review(review_id)
            if not review.is_closed:
                continue
            assert review.reflection is not None
            assert all(
                c.status in (ConcernStatus.RESOLVED, ConcernStatus.ACKNOWLEDGED_UNRESOLVED)
                for c in review.concerns
            )
            assert not review.referrals_awaiting_advice
            assert not review.advised_concerns
            assert review.outcome_class is not None

    @invariant()
    def no_concern_is_resolved_without_the_decision_makers_step(self):
        """A concern is resolved only by its decision-maker's discretion, discussion or response to advice.

        Advice never resolves a concern: it leaves it advised, for the decision-maker to respond to.
        """
        for review_id in self.ids:
            state = None
            for event in self.edm.trail(review_id):
                after = evolve(state, event)
                if state is not None:
                    for concern in after.concerns:
                        was = state.concern(concern.concern_id)
                        newly_resolved = concern.status is ConcernStatus.RESOLVED and (
                            was is None or was.status is not ConcernStatus.RESOLVED
                        )
                        if newly_resolved:
                            assert _resolves(event, concern.concern_id), (event.kind, concern.concern_id)
                            assert event.actor == state.owner
                        if concern.status is ConcernStatus.ADVISED and (
                            was is None or was.status is not ConcernStatus.ADVISED
                        ):
                            assert isinstance(event.payload, AdviceGiven)
                state = after

    @invariant()
    def every_event_was_permitted_when_recorded(self):
        """The default policy let each stored event's actor take its step, in the state before it."""
        for review_id in self.ids:
            state = None
            for event in self.edm.trail(review_id):
                if state is not None:
                    request = request_for(state, event.payload, event.actor)
                    assert request is not None
                    assert default_policy(request).allowed, (event.kind, event.actor)
                state = evolve(state, event)

    @invariant()
    def credits_follow_the_trail(self):
        """The review names its owner and everyone who held it, and credits each step to who took it."""
        for review_id in self.ids:
            review = self.review(review_id)
            trail = self.edm.trail(review_id)
            assert [t.by for t in review.steps_taken] == [e.actor.staff_id for e in trail[1:]]
            handovers = [e.payload for e in trail if isinstance(e.payload, ReviewHandedOver)]
            assert review.holders == (trail[0].actor.staff_id, *(h.to.staff_id for h in handovers))
            assert review.owner.staff_id == review.holders[-1]

    @invariant()
    def every_event_followed_the_rules_when_recorded(self):
        """Each stored event was allowed by the state before it."""
        for review_id in self.ids:
            trail = self.edm.trail(review_id)
            state = None
            for event in trail:
                payload = event.payload
                if state is not None:
                    if state.is_closed:
                        assert isinstance(payload, LaterOutcomeRecorded | FreeTextErased)
                    if (
                        isinstance(payload, DiscretionConsidered)
                        and payload.scope is DiscretionScope.OUTSIDE_RULES
                    ):
                        concern = state.concern(payload.concern_id)
                        assert concern is not None
                        assert concern.considered(DiscretionScope.INSIDE_RULES)
                    if isinstance(payload, ReferralSubmitted):
                        assert payload.route.business_area == state.business_area
                        needs = payload.route.requirements_for(event.actor.role)
                        for concern_id in payload.concern_ids:
                            concern = state.concern(concern_id)
                            assert concern is not None
                            assert concern.status in (ConcernStatus.OPEN, ConcernStatus.ADVISED)
                            assert concern.discretion or not needs.discretion_considered
                            assert concern.discussions or not needs.discussion_held
                            if payload.route.reconsiders is not None:
                                assert _advised_by(state, concern, payload.route.reconsiders)
                    if isinstance(payload, AdviceResponded):
                        concern = state.concern(payload.concern_id)
                        assert concern is not None
                        assert concern.status is ConcernStatus.ADVISED
                        assert concern.referral_ids[-1] == payload.referral_id
                        assert event.actor == state.owner
                    if isinstance(payload, ReviewFinalised):
                        assert state.reflection is not None
                        assert not state.referrals_awaiting_advice
                        assert not state.advised_concerns
                    if isinstance(payload, AdviceGiven):
                        referral = state.referral(payload.referral_id)
                        assert referral is not None
                        assert isinstance(event.actor, RouteTeamMember)
                        assert event.actor.route_id == referral.route_id
                state = evolve(state, event)


ReviewMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestReviewMachine = ReviewMachine.TestCase
TestReviewMachine.__doc__ = (
    "Random sequences of legal and illegal steps over several reviews keep every guarantee: "
    "replay gives the same state, the chain verifies, refused steps change nothing, "
    "no review closes without reflection or with a concern unaccounted for, and no concern is "
    "resolved except by the decision-maker's own step (advice, from either tier, never resolves one)."
)
