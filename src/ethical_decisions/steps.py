"""The rules of the model: which step a review allows now, and the event it records.

:func:`decide` checks a proposed payload against the review's current state and
returns the event to record, or raises :class:`~ethical_decisions.StepError`
naming the step tried, why it is refused, the stage and the steps allowed now.
It is pure: the time comes in as an argument, nothing is read or written.

The rules follow the guidance: reflection comes after a proposed decision and
before the final one; only an articulated concern can be escalated; discretion
inside the Immigration Rules is considered before discretion outside them;
escalation meets the route's requirements; every concern ends resolved or
acknowledged as unresolved with a rationale; advice pending blocks the final
decision unless the referral is withdrawn with a reason; after closing only
later facts are added, and nothing is ever edited.

Who may take a step (the review's owner, a member of the referral's route
team, a records officer) is not decided here but by the permission policy
(:mod:`ethical_decisions.policy`); these rules check only that an actor is of
the kind a step's event records (a decision-maker escalates, a route team
member advises).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import NoReturn

from .events import (
    Actor,
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
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
from .exceptions import NotPermittedError, StepError
from .model import (
    DecisionMaker,
    DiscretionScope,
    RecordsOfficer,
    RouteTeamMember,
    Stage,
    Step,
)
from .review import ConcernRecord, ConcernStatus, Referral, ReferralStatus, Review

__all__ = ["allowed_steps", "decide", "open_review"]


def open_review(review_id: str, opened: ReviewOpened, *, actor: DecisionMaker, now: dt.datetime) -> Event:
    """The event that opens review *review_id* with a proposed decision.

    :raises NotPermittedError: if *actor* is not a decision-maker.
    """
    if not isinstance(actor, DecisionMaker):
        raise NotPermittedError(
            Step.OPEN_REVIEW, Stage.NOT_OPENED, [Step.OPEN_REVIEW], "only a decision-maker can open a review"
        )
    return Event(review_id=review_id, sequence=1, occurred_at=now, actor=actor, payload=opened)


def decide(review: Review, payload: Payload, *, actor: Actor, now: dt.datetime) -> Event:
    """The event that records *payload* on *review*, if the model allows it now.

    :raises StepError: if the step is not allowed now; nothing changes.
    :raises NotPermittedError: if *actor* may not take the step.
    """
    check = _CHECKS.get(type(payload))
    if check is None:
        _refuse(review, payload.step, "the review is already open")
    check(review, payload, actor, now)
    return Event(
        review_id=review.review_id,
        sequence=review.version + 1,
        occurred_at=now,
        actor=actor,
        payload=payload,
    )


def allowed_steps(review: Review | None) -> tuple[Step, ...]:
    """The steps that some input could take now, in the model's order."""
    if review is None:
        return (Step.OPEN_REVIEW,)
    if review.is_closed:
        steps = [Step.RECORD_LATER_OUTCOME]
        if review.erased_at is None:
            steps.append(Step.ERASE_FREE_TEXT)
        return tuple(steps)
    if review.reflection is None:  # a decision-maker may go on leave before reflecting
        return (Step.RECORD_REFLECTION, Step.HAND_OVER)
    statuses = {r.status for r in review.referrals}
    awaiting = review.referrals_awaiting_advice
    advised = review.advised_concerns
    possible = {
        Step.RAISE_CONCERN: True,
        Step.CONSIDER_DISCRETION: bool(review.open_concerns),
        Step.RECORD_DISCUSSION: bool(review.open_concerns),
        Step.ESCALATE: bool(review.open_concerns or advised),
        Step.ACKNOWLEDGE_REFERRAL: ReferralStatus.SUBMITTED in statuses,
        Step.RETURN_REFERRAL: bool(statuses & {ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED}),
        Step.PROVIDE_INFORMATION: ReferralStatus.RETURNED in statuses,
        Step.GIVE_ADVICE: ReferralStatus.ACKNOWLEDGED in statuses,
        Step.RESPOND_TO_ADVICE: bool(advised),
        Step.WITHDRAW_REFERRAL: bool(awaiting),
        Step.HAND_OVER: True,
        Step.ASSIGN_REFERRAL: bool(awaiting),
        Step.RELEASE_REFERRAL: any(r.assignee is not None for r in awaiting),
        Step.FINALISE: not awaiting and not advised,
    }
    return tuple(step for step, ok in possible.items() if ok)


# -- refusing ----------------------------------------------------------------------------


def _others(review: Review, step: Step) -> tuple[Step, ...]:
    """The steps allowed now but *step*: a refusal does not offer the step it has just refused."""
    return tuple(allowed for allowed in allowed_steps(review) if allowed is not step)


def _refuse(review: Review, step: Step, problem: str) -> NoReturn:
    raise StepError(step, review.stage, _others(review, step), problem)


def _forbid(review: Review, step: Step, problem: str) -> NoReturn:
    raise NotPermittedError(step, review.stage, _others(review, step), problem)


def _require_open(review: Review, step: Step) -> None:
    if review.is_closed:
        _refuse(review, step, "the review is closed; only later outcomes can be added to it")


def _require_reflection(review: Review, step: Step) -> None:
    _require_open(review, step)
    if review.reflection is None:
        _refuse(
            review,
            step,
            "no reflection on the proposed decision has been recorded yet; record it first, "
            "with or without concerns",
        )


def _require_decision_maker(review: Review, step: Step, actor: Actor) -> DecisionMaker:
    if not isinstance(actor, DecisionMaker):
        _forbid(review, step, "only a decision-maker can take this step")
    return actor


def _require_route_team(review: Review, step: Step, actor: Actor, referral: Referral) -> None:
    if not isinstance(actor, RouteTeamMember):
        _forbid(review, step, f"only the team of route {referral.route_id!r} can take this step")


_CONCERN_ID = re.compile(r"C[1-9][0-9]{0,3}")


def _concern(review: Review, step: Step, concern_id: str) -> ConcernRecord:
    """The review's concern *concern_id*; refused without echoing an id that is not a concern id at all."""
    known = ", ".join(c.concern_id for c in review.concerns) or "none yet"
    if not _CONCERN_ID.fullmatch(concern_id):
        _refuse(review, step, f"a concern id is C and its number, e.g. C1 (the review's concerns: {known})")
    concern = review.concern(concern_id)
    if concern is None:
        _refuse(review, step, f"the review has no concern {concern_id} (its concerns: {known})")
    return concern


def _open_concern(review: Review, step: Step, concern_id: str, *, advised_too: bool = False) -> ConcernRecord:
    concern = _concern(review, step, concern_id)
    if concern.status is ConcernStatus.ADVISED and not advised_too:
        _refuse(
            review,
            step,
            f"concern {concern_id} has advice from referral {concern.referral_ids[-1]}: record what you did "
            "with the advice (followed, in part, or not), or escalate it again",
        )
    if concern.status is ConcernStatus.RESOLVED:
        _refuse(review, step, f"concern {concern_id!r} is already resolved by {concern.resolved_by}")
    if concern.status is ConcernStatus.ESCALATED:
        _refuse(
            review,
            step,
            f"concern {concern_id!r} is awaiting advice on referral {concern.referral_ids[-1]!r}; "
            "wait for the advice or withdraw the referral",
        )
    return concern


def _referral(review: Review, step: Step, referral_id: str) -> Referral:
    referral = review.referral(referral_id)
    if referral is None:
        _refuse(review, step, f"the review has no referral {referral_id!r}")
    return referral


def _require_status(review: Review, step: Step, referral: Referral, *allowed: ReferralStatus) -> None:
    if referral.status not in allowed:
        hint = {
            ReferralStatus.SUBMITTED: "acknowledge it first",
            ReferralStatus.RETURNED: "it is waiting for the decision-maker's answer",
            ReferralStatus.ADVICE_GIVEN: "advice has already been given",
            ReferralStatus.CLOSED: "its review has been finalised",
            ReferralStatus.WITHDRAWN: "the decision-maker took it back, with a reason",
            ReferralStatus.ACKNOWLEDGED: "it is with the route's team",
        }[referral.status]
        _refuse(review, step, f"referral {referral.referral_id!r} is {referral.status.label}: {hint}")


# -- one check per payload ---------------------------------------------------------------


def _check_reflection(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    step = Step.RECORD_REFLECTION
    _require_open(review, step)
    _require_decision_maker(review, step, actor)
    if review.reflection is not None:
        _refuse(review, step, "the reflection is already recorded; raise a further concern instead")


def _check_concern(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    step = Step.RAISE_CONCERN
    _require_reflection(review, step)
    _require_decision_maker(review, step, actor)


def _check_discretion(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, DiscretionConsidered)
    step = Step.CONSIDER_DISCRETION
    _require_reflection(review, step)
    _require_decision_maker(review, step, actor)
    concern = _open_concern(review, step, payload.concern_id)
    if payload.scope is DiscretionScope.OUTSIDE_RULES and not concern.considered(
        DiscretionScope.INSIDE_RULES
    ):
        _refuse(
            review,
            step,
            f"discretion inside the Immigration Rules must be considered for concern "
            f"{concern.concern_id!r} before discretion outside them",
        )


def _check_discussion(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, DiscussionHeld)
    step = Step.RECORD_DISCUSSION
    _require_reflection(review, step)
    _require_decision_maker(review, step, actor)
    _open_concern(review, step, payload.concern_id)


def _check_escalation(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReferralSubmitted)
    step = Step.ESCALATE
    _require_reflection(review, step)
    referrer = _require_decision_maker(review, step, actor)
    if not payload.concern_ids:
        _refuse(review, step, "a referral must name at least one articulated concern")
    if len(set(payload.concern_ids)) != len(payload.concern_ids):
        _refuse(review, step, "a referral names each concern once")
    route = payload.route
    frozen = review.routes.get(route.route_id)
    if frozen is not None and frozen != route:
        _refuse(
            review,
            step,
            f"this review is held to version {frozen.version!r} of route {route.route_id!r}'s "
            f"rules, in force when it first escalated there; escalate under those rules",
        )
    if route.business_area != review.business_area:
        _refuse(
            review,
            step,
            f"route {route.route_id!r} serves business area {route.business_area!r}, "
            f"but this review belongs to {review.business_area!r}",
        )
    if referrer.role not in route.eligible_roles:
        _forbid(review, step, f"route {route.route_id!r} does not take referrals from a {referrer.role}")
    needs = route.requirements_for(referrer.role)
    for concern_id in payload.concern_ids:
        concern = _open_concern(review, step, concern_id, advised_too=True)
        if route.reconsiders is not None and not _advised_by(review, concern, route.reconsiders):
            _refuse(
                review,
                step,
                f"route {route.route_id!r} reconsiders the advice of route {route.reconsiders!r}: escalate "
                f"concern {concern_id} there first, and here once it has advised",
            )
        if needs.discretion_considered and not concern.discretion:
            _refuse(
                review,
                step,
                f"route {route.route_id!r} needs discretion considered for concern "
                f"{concern_id!r} before it is escalated",
            )
        if needs.discussion_held and not concern.discussions:
            _refuse(
                review,
                step,
                f"route {route.route_id!r} needs concern {concern_id!r} discussed with a "
                "technical specialist, line manager, team leader or colleague before it is escalated",
            )


def _advised_by(review: Review, concern: ConcernRecord, route_id: str) -> bool:
    """Whether a referral of *concern* to *route_id* has been advised on."""
    return any(
        (referral := review.referral(referral_id)) is not None
        and referral.route_id == route_id
        and referral.advice_at is not None
        for referral_id in concern.referral_ids
    )


def _check_acknowledge(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReferralAcknowledged)
    step = Step.ACKNOWLEDGE_REFERRAL
    referral = _referral(review, step, payload.referral_id)
    _require_route_team(review, step, actor, referral)
    _require_status(review, step, referral, ReferralStatus.SUBMITTED)


def _check_return(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReferralReturned)
    step = Step.RETURN_REFERRAL
    referral = _referral(review, step, payload.referral_id)
    _require_route_team(review, step, actor, referral)
    _require_status(review, step, referral, ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED)


def _check_information(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, InformationProvided)
    step = Step.PROVIDE_INFORMATION
    referral = _referral(review, step, payload.referral_id)
    _require_decision_maker(review, step, actor)
    _require_status(review, step, referral, ReferralStatus.RETURNED)


def _check_advice(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, AdviceGiven)
    step = Step.GIVE_ADVICE
    referral = _referral(review, step, payload.referral_id)
    _require_route_team(review, step, actor, referral)
    _require_status(review, step, referral, ReferralStatus.ACKNOWLEDGED)


def _check_response(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, AdviceResponded)
    step = Step.RESPOND_TO_ADVICE
    _require_reflection(review, step)
    _require_decision_maker(review, step, actor)
    referral = _referral(review, step, payload.referral_id)
    _require_status(review, step, referral, ReferralStatus.ADVICE_GIVEN)
    concern = _concern(review, step, payload.concern_id)
    if concern.concern_id not in referral.concern_ids:
        _refuse(
            review,
            step,
            f"referral {referral.referral_id} asked about {', '.join(referral.concern_ids)}, "
            f"not {concern.concern_id}",
        )
    if concern.status is not ConcernStatus.ADVISED or concern.referral_ids[-1] != referral.referral_id:
        _refuse(
            review,
            step,
            f"concern {concern.concern_id} is not awaiting a response to referral {referral.referral_id}'s "
            "advice: a response is recorded once, for the latest advice on the concern",
        )


def _check_withdraw(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReferralWithdrawn)
    step = Step.WITHDRAW_REFERRAL
    referral = _referral(review, step, payload.referral_id)
    _require_decision_maker(review, step, actor)
    _require_status(
        review, step, referral, ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.RETURNED
    )


def _check_handover(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReviewHandedOver)
    step = Step.HAND_OVER
    _require_open(review, step)
    _require_decision_maker(review, step, actor)
    owner = review.owner.staff_id
    if payload.handed_from != owner:
        _refuse(
            review,
            step,
            f"the review is held by {owner!r}, not {payload.handed_from!r}: it was handed over "
            "meanwhile; reload it",
        )
    if payload.to.staff_id == owner:
        _refuse(review, step, f"{owner!r} already holds the review")
    if payload.to.business_area != review.business_area:
        _refuse(
            review,
            step,
            f"the review belongs to business area {review.business_area!r}; it can be handed over only "
            "to a decision-maker in that business area",
        )


def _awaiting_referral(review: Review, step: Step, referral_id: str) -> Referral:
    referral = _referral(review, step, referral_id)
    if not referral.status.awaiting_advice:
        _refuse(
            review,
            step,
            f"referral {referral_id!r} is {referral.status.label}: only a referral still with its route "
            "is assigned or released",
        )
    return referral


def _check_assign(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReferralAssigned)
    step = Step.ASSIGN_REFERRAL
    referral = _awaiting_referral(review, step, payload.referral_id)
    _require_route_team(review, step, actor, referral)
    if payload.assignee.route_id != referral.route_id:
        _refuse(
            review,
            step,
            f"referral {referral.referral_id!r} was made to route {referral.route_id!r}; it can be "
            "assigned only to a member of that route's team",
        )
    if referral.assignee is not None and referral.assignee.staff_id == payload.assignee.staff_id:
        _refuse(review, step, f"referral {referral.referral_id!r} is already assigned to them")


def _check_release(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReferralReleased)
    step = Step.RELEASE_REFERRAL
    referral = _awaiting_referral(review, step, payload.referral_id)
    _require_route_team(review, step, actor, referral)
    if referral.assignee is None:
        _refuse(review, step, f"referral {referral.referral_id!r} is not assigned to anyone")


def _check_finalise(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, ReviewFinalised)
    step = Step.FINALISE
    _require_reflection(review, step)
    _require_decision_maker(review, step, actor)
    waiting = review.referrals_awaiting_advice
    if waiting:
        _refuse(
            review,
            step,
            f"referral {waiting[0].referral_id!r} to route {waiting[0].route_id!r} is awaiting advice; "
            "wait for the advice, or withdraw the referral with a reason",
        )
    advised = review.advised_concerns
    if advised:
        _refuse(
            review,
            step,
            f"concerns {', '.join(c.concern_id for c in advised)} have advice awaiting your response: record "
            "what you did with it (followed, in part, or not) and whether the concern is resolved, or "
            "escalate again",
        )
    unresolved = {c.concern_id for c in review.open_concerns}
    acknowledged = set(payload.unresolved.concern_ids) if payload.unresolved else set()
    if unresolved and not acknowledged:
        _refuse(
            review,
            step,
            f"concerns {', '.join(sorted(unresolved))} are unresolved; resolve them, or acknowledge "
            "them as unresolved with a rationale for proceeding",
        )
    if acknowledged != unresolved:
        expected = ", ".join(sorted(unresolved)) or "none"
        _refuse(
            review,
            step,
            f"the acknowledgement must name exactly the unresolved concerns (unresolved: {expected})",
        )


def _check_later_outcome(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    assert isinstance(payload, LaterOutcomeRecorded)
    step = Step.RECORD_LATER_OUTCOME
    if not review.is_closed:
        _refuse(review, step, "later outcomes are added only after the review is closed")
    if not isinstance(actor, DecisionMaker | RecordsOfficer):
        _forbid(review, step, "only a decision-maker or records officer can record a later outcome")
    assert review.closed_at is not None
    if payload.decided_on > now.date():
        _refuse(review, step, "the outcome's date is in the future")
    if payload.decided_on < review.closed_at.date():
        _refuse(review, step, "the outcome's date is before the review closed")


def _check_erasure(review: Review, payload: Payload, actor: Actor, now: dt.datetime) -> None:
    step = Step.ERASE_FREE_TEXT
    if not review.is_closed:
        _refuse(review, step, "free text is erased only after the review is closed")
    if review.erased_at is not None:
        _refuse(review, step, "the review's free text is already erased")


_Check = Callable[[Review, Payload, Actor, dt.datetime], None]

_CHECKS: Mapping[type, _Check] = {
    ReflectionRecorded: _check_reflection,
    ConcernRaised: _check_concern,
    DiscretionConsidered: _check_discretion,
    DiscussionHeld: _check_discussion,
    ReferralSubmitted: _check_escalation,
    ReferralAcknowledged: _check_acknowledge,
    ReferralReturned: _check_return,
    InformationProvided: _check_information,
    AdviceGiven: _check_advice,
    AdviceResponded: _check_response,
    ReferralWithdrawn: _check_withdraw,
    ReviewHandedOver: _check_handover,
    ReferralAssigned: _check_assign,
    ReferralReleased: _check_release,
    ReviewFinalised: _check_finalise,
    LaterOutcomeRecorded: _check_later_outcome,
    FreeTextErased: _check_erasure,
}
