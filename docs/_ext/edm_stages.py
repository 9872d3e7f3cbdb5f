"""The review's stages and the steps between them, found by walking reviews through the library's rules.

Nothing here is drawn by hand. :func:`stage_graph` opens a review with the pure
rules (:func:`ethical_decisions.steps.open_review`), then, breadth first, tries
every step that :func:`ethical_decisions.steps.allowed_steps` offers, with
each kind of actor, through :func:`ethical_decisions.steps.decide`, and folds
each accepted event in with :func:`ethical_decisions.review.evolve`. Every
accepted step is one transition from the review's stage before it to its stage
after it. The diagram and table on the model page are drawn from that, each
time the documentation is built, so they show what the code does now.

A step is taken only if the library's default permission policy
(:func:`ethical_decisions.policy.default_policy`) lets that actor take it, so
the diagram shows who takes each step.

The only hand-written knowledge is :func:`_candidates`: for each step, the
example payloads worth trying (a discretion that resolves the concern and one
that does not, and so on). A step that the rules offer and it cannot build
stops the build, naming the step, so a new step cannot be left out quietly.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import deque
from collections.abc import Iterator, Sequence
from html import escape

import attrs

from ethical_decisions import GUIDANCE
from ethical_decisions.events import (
    Actor,
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    FreeTextErased,
    InformationProvided,
    LaterOutcomeRecorded,
    Payload,
    ReferralAcknowledged,
    ReferralAssigned,
    ReferralReleased,
    ReferralReturned,
    ReferralSubmitted,
    ReferralWithdrawn,
    ReflectionRecorded,
    ReviewFinalised,
    ReviewHandedOver,
    ReviewOpened,
)
from ethical_decisions.exceptions import StepError
from ethical_decisions.model import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EscalationRequirements,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    ProposedDecision,
    RecordsOfficer,
    RoutePolicy,
    RouteTeamMember,
    StaffRole,
    Stage,
    Step,
    UnresolvedAcknowledgement,
)
from ethical_decisions.policy import default_policy, request_for
from ethical_decisions.review import ReferralStatus, Review, evolve
from ethical_decisions.steps import allowed_steps, decide, open_review

__all__ = ["ACTOR_NAMES", "StageGraph", "Transition", "UnknownStepError", "render_svg", "stage_graph"]

_AREA = "customer_services_group"
_ROUTE = RoutePolicy(route_id="example_route", version="1", business_area=_AREA)
_SECOND_TIER = RoutePolicy(
    route_id="example_panel",
    version="1",
    business_area=_AREA,
    requirements=EscalationRequirements(discretion_considered=False, discussion_held=False),
    reconsiders=_ROUTE.route_id,
)
"""A second tier: it takes a concern again after the first route's advice (a route plugin may declare one)."""
_DECISION_MAKER = DecisionMaker("dm-1", StaffRole.CASEWORKER, _AREA, "Example team")
_COLLEAGUE = DecisionMaker("dm-2", StaffRole.CASEWORKER, _AREA, "Example team")
_TEAM_MEMBER = RouteTeamMember("rt-1", _ROUTE.route_id)
_ACTORS: Sequence[Actor] = (
    _DECISION_MAKER,
    _COLLEAGUE,
    _TEAM_MEMBER,
    RouteTeamMember("rt-2", _SECOND_TIER.route_id),
    RecordsOfficer("ro-1"),
)
ACTOR_NAMES = {
    DecisionMaker: "decision-maker",
    RouteTeamMember: "route team",
    RecordsOfficer: "records officer",
}
"""Who takes a step, by the actor class the rules accepted for it."""

_MAX_CONCERNS = 2
_MAX_REFERRALS = 2
_MAX_STATES = 20_000


class UnknownStepError(Exception):
    """The rules offer a step that :func:`_candidates` cannot build a payload for."""


@attrs.frozen(order=True)
class Transition:
    """A step that took a review from one stage to another (or kept it where it was)."""

    source: Stage
    step: Step
    actor: str
    target: Stage


@attrs.frozen
class StageGraph:
    """Every stage reached and every transition taken while walking reviews."""

    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...]
    steps_taken: frozenset[Step]

    def from_stage(self, stage: Stage) -> tuple[Transition, ...]:
        """The transitions out of *stage*, in the model's order of steps."""
        order = list(Step)
        return tuple(
            sorted(
                (t for t in self.transitions if t.source is stage),
                key=lambda t: (order.index(t.step), list(Stage).index(t.target), t.actor),
            )
        )


def _text(label: str) -> str:
    return f"Example {label}."


def _candidates(review: Review, step: Step) -> Iterator[Payload]:  # noqa: PLR0912, PLR0915 - a branch per step
    """Example payloads for *step* on *review*: the variations that can lead to different stages."""
    open_ids = [c.concern_id for c in review.open_concerns]
    advised = review.advised_concerns[:1]
    concern = Concern(ConcernCategory.UNFAIR_OUTCOME, _text("concern"))
    referrals = {
        status: [r.referral_id for r in review.referrals if r.status is status] for status in ReferralStatus
    }
    if step is Step.RECORD_REFLECTION:
        yield ReflectionRecorded()
        yield ReflectionRecorded(concerns=[concern])
    elif step is Step.RAISE_CONCERN:
        if len(review.concerns) < _MAX_CONCERNS:
            yield ConcernRaised(concern)
    elif step is Step.CONSIDER_DISCRETION:
        for concern_id, scope, result in itertools.product(open_ids[:1], DiscretionScope, DiscretionResult):
            yield DiscretionConsidered(concern_id, scope, _text("guidance"), _text("reason"), result)
    elif step is Step.RECORD_DISCUSSION:
        for concern_id, result in itertools.product(open_ids[:1], DiscussionResult):
            yield DiscussionHeld(concern_id, ConsultedRole.COLLEAGUE, "A colleague", _text("advice"), result)
    elif step is Step.ESCALATE:
        if len(review.referrals) < _MAX_REFERRALS:
            if open_ids:
                yield ReferralSubmitted(_ROUTE, open_ids[:1], _text("question"))
            for concern in advised:  # again after its advice: to the second tier (or the same route)
                yield ReferralSubmitted(_SECOND_TIER, [concern.concern_id], _text("question"))
    elif step is Step.ACKNOWLEDGE_REFERRAL:
        yield from (ReferralAcknowledged(r) for r in referrals[ReferralStatus.SUBMITTED][:1])
    elif step is Step.RETURN_REFERRAL:
        waiting = referrals[ReferralStatus.SUBMITTED] + referrals[ReferralStatus.ACKNOWLEDGED]
        yield from (ReferralReturned(r, _text("question")) for r in waiting[:1])
    elif step is Step.PROVIDE_INFORMATION:
        yield from (InformationProvided(r, _text("response")) for r in referrals[ReferralStatus.RETURNED][:1])
    elif step is Step.GIVE_ADVICE:
        yield from (AdviceGiven(r, _text("advice")) for r in referrals[ReferralStatus.ACKNOWLEDGED][:1])
    elif step is Step.RESPOND_TO_ADVICE:
        for concern, (response, resolved) in itertools.product(
            advised, ((AdviceResponse.FOLLOWED, True), (AdviceResponse.NOT_FOLLOWED, False))
        ):
            yield AdviceResponded(
                concern.referral_ids[-1], concern.concern_id, response, _text("reason"), resolved
            )
    elif step is Step.WITHDRAW_REFERRAL:
        yield from (
            ReferralWithdrawn(r.referral_id, _text("reason")) for r in review.referrals_awaiting_advice[:1]
        )
    elif step is Step.HAND_OVER:
        yield ReviewHandedOver(review.owner.staff_id, _COLLEAGUE, _text("reason"))
    elif step is Step.ASSIGN_REFERRAL:
        waiting = [r.referral_id for r in review.referrals_awaiting_advice if r.assignee is None]
        yield from (ReferralAssigned(r, _TEAM_MEMBER) for r in waiting[:1])
    elif step is Step.RELEASE_REFERRAL:
        assigned = [r.referral_id for r in review.referrals_awaiting_advice if r.assignee is not None]
        yield from (ReferralReleased(r) for r in assigned[:1])
    elif step is Step.FINALISE:
        decision = FinalDecision("grant", _text("decision"), _text("rationale"))
        unresolved = UnresolvedAcknowledgement(open_ids, _text("rationale")) if open_ids else None
        yield ReviewFinalised(decision, unresolved)
    elif step is Step.RECORD_LATER_OUTCOME:
        assert review.closed_at is not None
        yield LaterOutcomeRecorded(
            LaterOutcomeKind.APPEAL, LaterOutcomeResult.UPHELD, review.closed_at.date()
        )
    elif step is Step.ERASE_FREE_TEXT:
        yield FreeTextErased("retention_period_ended")
    else:
        raise UnknownStepError(
            f"the rules offer the step {step.name} ({step.value!r}), which docs/_ext/edm_stages.py "
            "cannot try yet: add example payloads for it to _candidates()"
        )


def _key(review: Review) -> tuple[object, ...]:
    """What tells two reviews apart for the walk: stage, concerns' progress, referrals' statuses."""
    return (
        review.stage,
        tuple(
            (
                c.status,
                tuple(sorted({d.scope for d in c.discretion})),
                bool(c.discussions),
                len(c.referral_ids),
                len(c.responses),
            )
            for c in review.concerns
        ),
        tuple((r.status, r.assignee is not None) for r in review.referrals),
        bool(review.later_outcomes),
        review.erased_at is not None,
    )


def stage_graph() -> StageGraph:
    """Walk reviews through every step the rules allow and collect the stage transitions.

    :raises UnknownStepError: if the rules offer a step this module cannot try.
    """
    clock = itertools.count()
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

    def now() -> dt.datetime:
        return start + dt.timedelta(minutes=next(clock))

    opened = ReviewOpened(CaseReference("EXAMPLE-1"), ProposedDecision("refuse", _text("proposed decision")))
    first = evolve(None, open_review("rv-diagram", opened, actor=_DECISION_MAKER, now=now()))
    transitions = {Transition(Stage.NOT_OPENED, Step.OPEN_REVIEW, ACTOR_NAMES[DecisionMaker], first.stage)}
    steps_taken = {Step.OPEN_REVIEW}
    seen = {_key(first)}
    queue = deque([first])
    while queue:
        review = queue.popleft()
        for step in allowed_steps(review):
            for payload, actor in itertools.product(list(_candidates(review, step)), _ACTORS):
                request = request_for(review, payload, actor)
                if request is None or not default_policy(request).allowed:
                    continue
                try:
                    event = decide(review, payload, actor=actor, now=now())
                except StepError:
                    continue
                after = evolve(review, event)
                steps_taken.add(step)
                transitions.add(Transition(review.stage, step, ACTOR_NAMES[type(actor)], after.stage))
                key = _key(after)
                if key not in seen:
                    if len(seen) >= _MAX_STATES:
                        raise RuntimeError("the walk over reviews found far more states than expected")
                    seen.add(key)
                    queue.append(after)
    reached = {t.source for t in transitions} | {t.target for t in transitions}
    return StageGraph(
        stages=tuple(s for s in Stage if s in reached),
        transitions=tuple(sorted(transitions)),
        steps_taken=frozenset(steps_taken),
    )


# -- drawing -----------------------------------------------------------------------------

_GUIDANCE_STEP = {s.library_step: s.number for s in GUIDANCE.steps}
_COLOURS = {"decision-maker": "#1d4e89", "route team": "#8a3b12", "records officer": "#3d6b35"}
_BOX_X, _BOX_WIDTH = 150, 600
_LINE, _PAD, _GAP, _TITLE = 19, 12, 34, 24
_WIDTH = _BOX_X * 2 + _BOX_WIDTH


def step_label(step: Step) -> str:
    """The step's words, with the number of the model's step it answers, if any."""
    number = _GUIDANCE_STEP.get(step)
    return f"{step} (model step {number})" if number else str(step)


def _lines(graph: StageGraph, stage: Stage) -> list[tuple[str, str]]:
    """One line per step out of *stage*: (actor, "step → stage, stage")."""
    grouped: dict[tuple[Step, str], list[Stage]] = {}
    for t in graph.from_stage(stage):
        grouped.setdefault((t.step, t.actor), []).append(t.target)
    lines = []
    for (step, actor), targets in grouped.items():
        where = ", ".join("stays here" if s is stage else str(s) for s in targets)
        lines.append((actor, f"{step_label(step)} ({actor}) \u2192 {where}"))
    return lines


def render_svg(graph: StageGraph) -> str:
    """The stages as a column of boxes, each listing its steps, with arrows for every change of stage."""
    boxes: dict[Stage, tuple[float, float]] = {}
    parts: list[str] = []
    y = 16.0
    for stage in graph.stages:
        lines = _lines(graph, stage)
        height = _TITLE + _PAD * 2 + _LINE * max(len(lines), 1)
        boxes[stage] = (y, height)
        closed = stage is Stage.CLOSED
        parts.append(
            f'<rect x="{_BOX_X}" y="{y}" width="{_BOX_WIDTH}" height="{height}" rx="8" '
            f'fill="{"#eef3ea" if closed else "#f4f6fa"}" stroke="#4a5568" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text x="{_BOX_X + _PAD}" y="{y + _PAD + 15}" font-weight="bold" font-size="16">'
            f"{escape(str(stage).capitalize())}</text>"
        )
        if not lines:
            lines = [("", "nothing more to do: a finished review")]
        for n, (actor, text) in enumerate(lines):
            colour = _COLOURS.get(actor, "#4a5568")
            parts.append(
                f'<text x="{_BOX_X + _PAD + 8}" y="{y + _PAD + _TITLE + 14 + n * _LINE}" font-size="13" '
                f'fill="{colour}">{escape(text)}</text>'
            )
        y += height + _GAP
    arrows: list[str] = []
    pairs = sorted({(t.source, t.target) for t in graph.transitions if t.source is not t.target})
    order = list(graph.stages)
    for n, (source, target) in enumerate(pairs):
        (sy, sh), (ty, _) = boxes[source], boxes[target]
        forward = order.index(target) > order.index(source)
        spread = 14 + 9 * (n % 10)
        if forward:
            x0, x1 = _BOX_X + _BOX_WIDTH, _BOX_X + _BOX_WIDTH + spread
        else:
            x0, x1 = _BOX_X, _BOX_X - spread
        y0, y1 = sy + sh * 0.55 + (n % 4) * 4, ty + 18 + (n % 4) * 4
        arrows.append(
            f'<path d="M {x0} {y0} C {x1} {y0}, {x1} {y1}, {x0} {y1}" fill="none" stroke="#718096" '
            f'stroke-width="1.4" marker-end="url(#edm-arrow)"/>'
        )
    legend_y = y + 4
    legend = [
        f'<text x="{_BOX_X + 20 + 190 * n}" y="{legend_y}" font-size="13" fill="{colour}">'
        f"\u25a0 taken by the {escape(actor)}</text>"
        for n, (actor, colour) in enumerate(_COLOURS.items())
    ]
    height = legend_y + 12
    title = "The stages of a review and the steps between them, drawn from the library's rules"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="edm-stages-title" class="edm-stage-diagram" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif" '
        'style="max-width: 100%; height: auto;">'
        f'<title id="edm-stages-title">{escape(title)}</title>'
        '<defs><marker id="edm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#718096"/>'
        "</marker></defs>" + "".join(arrows) + "".join(parts) + "".join(legend) + "</svg>"
    )
