"""A review's state: the pure fold of its events.

:func:`replay` turns a trail of events into a :class:`Review`; :func:`evolve`
applies one more. Nothing here does I/O, reads a clock or keeps globals, so the
same events always give the same review. Which steps a review allows is decided
in :mod:`ethical_decisions.steps`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from ._fields import FrozenDict, check_id, field_values, frozen_dict
from .events import (
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    FreeTextErased,
    InformationProvided,
    LaterOutcomeRecorded,
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
from .exceptions import IntegrityError
from .model import (
    CaseReference,
    Concern,
    ConcernCategory,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    OutcomeClass,
    ProposedDecision,
    RoutePolicy,
    RouteTeamMember,
    Stage,
    Step,
)

__all__ = [
    "ConcernRecord",
    "ConcernStatus",
    "Referral",
    "ReferralStatus",
    "Resolution",
    "Review",
    "StepTaken",
    "evolve",
    "referral_id_for",
    "replay",
    "review_id_of_referral",
]


class ConcernStatus(enum.StrEnum):
    """Where a concern stands."""

    OPEN = "open"
    ESCALATED = "escalated"
    """A referral about it is awaiting advice."""
    ADVISED = "advised"
    """A route advised on it: the decision-maker says what they did with the advice, or escalates again."""
    RESOLVED = "resolved"
    ACKNOWLEDGED_UNRESOLVED = "acknowledged_unresolved"
    """The decision-maker finalised with it unresolved, and said why."""


class Resolution(enum.StrEnum):
    """The step that resolved a concern."""

    DISCRETION = "discretion"
    DISCUSSION = "discussion"
    ESCALATION = "escalation"
    """The decision-maker resolved it after a route's advice (which they followed, in part, or not)."""


class ReferralStatus(enum.StrEnum):
    """Where a referral stands in its lifecycle."""

    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    RETURNED = "returned"
    """Returned to the decision-maker for more information."""
    ADVICE_GIVEN = "advice_given"
    CLOSED = "closed"
    """The review it belongs to was finalised after the advice."""
    WITHDRAWN = "withdrawn"

    @property
    def awaiting_advice(self) -> bool:
        """Whether the referral is still open at the route (it blocks finalising)."""
        return self in _AWAITING

    @property
    def label(self) -> str:
        """The status in words, e.g. ``"advice given"``."""
        return _REFERRAL_LABELS[self]


_REFERRAL_LABELS = {
    ReferralStatus.SUBMITTED: "submitted",
    ReferralStatus.ACKNOWLEDGED: "acknowledged",
    ReferralStatus.RETURNED: "returned for more information",
    ReferralStatus.ADVICE_GIVEN: "advice given",
    ReferralStatus.CLOSED: "closed",
    ReferralStatus.WITHDRAWN: "withdrawn",
}
_AWAITING = frozenset({ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.RETURNED})


def referral_id_for(review_id: str, sequence: int) -> str:
    """The id of the referral submitted by event *sequence* of review *review_id*."""
    return f"{review_id}-R{sequence}"


def review_id_of_referral(referral_id: str) -> str:
    """The review a referral id belongs to (the inverse of :func:`referral_id_for`).

    :raises ValidationError: if *referral_id* is not in a referral id's form (naming the form, not the value).
    """
    review_id, _, _ = check_id(referral_id, "referral", "referral_id").rpartition("-R")
    return review_id


@attrs.frozen
class ConcernRecord:
    """A concern and everything done about it.

    :param concern_id: ``"C1"``, ``"C2"``… in the order the concerns were raised.
    """

    concern_id: str
    concern: Concern
    raised_at: dt.datetime
    status: ConcernStatus = ConcernStatus.OPEN
    resolved_by: Resolution | None = None
    resolved_at: dt.datetime | None = None
    discretion: tuple[DiscretionConsidered, ...] = ()
    discussions: tuple[DiscussionHeld, ...] = ()
    referral_ids: tuple[str, ...] = ()
    responses: tuple[AdviceResponded, ...] = ()
    """What the decision-maker did with each piece of advice on it, in order."""

    @property
    def category(self) -> ConcernCategory:
        """The concern's category."""
        return self.concern.category

    @property
    def is_settled(self) -> bool:
        """Resolved, or acknowledged as unresolved: accounted for."""
        return self.status in (ConcernStatus.RESOLVED, ConcernStatus.ACKNOWLEDGED_UNRESOLVED)

    def considered(self, scope: DiscretionScope) -> bool:
        """Whether discretion in *scope* has been considered for this concern."""
        return any(d.scope is scope for d in self.discretion)


@attrs.frozen
class Referral:
    """An escalation to a route and what has happened to it.

    :param history: the referral's events after submission, in order.
    """

    referral_id: str
    review_id: str
    route: RoutePolicy
    concern_ids: tuple[str, ...]
    question: str = attrs.field(repr=False)
    referred_by: DecisionMaker
    submitted_at: dt.datetime
    status: ReferralStatus = ReferralStatus.SUBMITTED
    acknowledged_at: dt.datetime | None = None
    advice: str | None = attrs.field(default=None, repr=False)
    advice_at: dt.datetime | None = None
    advised_by: str | None = None
    closed_at: dt.datetime | None = None
    assignee: RouteTeamMember | None = None
    """The member of the route's team working the referral, or ``None`` while it is unassigned."""
    history: tuple[Event, ...] = attrs.field(default=(), repr=False)

    @property
    def route_id(self) -> str:
        """The route referred to."""
        return self.route.route_id

    @property
    def updated_at(self) -> dt.datetime:
        """When the referral last changed: its last event, or when it was closed or submitted."""
        times = [self.submitted_at, *(event.occurred_at for event in self.history[-1:])]
        if self.closed_at is not None:
            times.append(self.closed_at)
        return max(times)

    @property
    def due_by(self) -> dt.datetime:
        """When advice is due under the route's response target."""
        return self.submitted_at + dt.timedelta(days=self.route.response_target_days)


@attrs.frozen
class StepTaken:
    """Who took one step of a review, and who held the review when they took it.

    :param by: the staff id of whoever took the step (the event's actor).
    :param holder: the staff id of the review's owner just before the step
        (for a handover, the owner who handed it over).
    """

    sequence: int
    step: Step
    by: str
    holder: str
    at: dt.datetime


def _routes(value: Mapping[str, RoutePolicy]) -> FrozenDict[str, RoutePolicy]:
    return frozen_dict(value)


@attrs.frozen
class Review:
    """The state of one review, folded from its events. Never built by hand: use :func:`replay`."""

    review_id: str
    version: int
    """The sequence number of the last event."""
    opened_at: dt.datetime
    updated_at: dt.datetime
    case: CaseReference = attrs.field(repr=False)
    opened_by: DecisionMaker
    """The decision-maker who opened the review (its business area is the review's)."""
    owner: DecisionMaker
    """The decision-maker who holds the review now and takes its decision-maker's steps."""
    proposed: ProposedDecision = attrs.field(repr=False)
    guidance_version: str
    reflection: ReflectionRecorded | None = attrs.field(default=None, repr=False)
    reflected_at: dt.datetime | None = None
    concerns: tuple[ConcernRecord, ...] = attrs.field(default=(), repr=False)
    referrals: tuple[Referral, ...] = attrs.field(default=(), repr=False)
    routes: Mapping[str, RoutePolicy] = attrs.field(factory=FrozenDict, converter=_routes, repr=False)
    """The route policies frozen for this review, by route id."""
    finalised: ReviewFinalised | None = attrs.field(default=None, repr=False)
    finalised_by: DecisionMaker | None = None
    """The decision-maker who took the final decision, once taken."""
    closed_at: dt.datetime | None = None
    later_outcomes: tuple[Event, ...] = attrs.field(default=(), repr=False)
    erased_at: dt.datetime | None = None
    steps_taken: tuple[StepTaken, ...] = attrs.field(default=(), repr=False)
    """Every step after the opening, in order: who took it and who held the review."""
    holders: tuple[str, ...] = ()
    """The staff ids of everyone who has owned the review, in order, from the one who opened it."""

    @property
    def business_area(self) -> str:
        """The business area the review belongs to (that of the decision-maker who opened it)."""
        return self.opened_by.business_area

    @property
    def decision_maker(self) -> DecisionMaker:
        """The decision-maker who takes the review's decision-maker's steps now: its owner."""
        return self.owner

    @property
    def reflected_by(self) -> str | None:
        """The staff id of whoever recorded the reflection, once recorded."""
        return next((s.by for s in self.steps_taken if s.step is Step.RECORD_REFLECTION), None)

    @property
    def escalated_by(self) -> tuple[str, ...]:
        """The staff ids of everyone who escalated a concern, in the order they first did."""
        return tuple(dict.fromkeys(s.by for s in self.steps_taken if s.step is Step.ESCALATE))

    @property
    def decided_by(self) -> str | None:
        """The staff id of whoever took the final decision, once taken."""
        return self.finalised_by.staff_id if self.finalised_by is not None else None

    @property
    def handed_over_by(self) -> tuple[str, ...]:
        """The staff ids of everyone who handed the review over, in order (owners, or their managers)."""
        return tuple(dict.fromkeys(s.by for s in self.steps_taken if s.step is Step.HAND_OVER))

    @property
    def is_closed(self) -> bool:
        """Whether the final decision has been taken."""
        return self.finalised is not None

    @property
    def final_decision(self) -> FinalDecision | None:
        """The final decision, once taken."""
        return self.finalised.decision if self.finalised else None

    @property
    def decision_changed(self) -> bool | None:
        """Whether the final decision differs from the proposed one (``None`` while open)."""
        if self.finalised is None:
            return None
        return self.finalised.decision.outcome != self.proposed.outcome

    @property
    def stage(self) -> Stage:
        """Where the review is now."""
        if self.is_closed:
            return Stage.CLOSED
        if self.reflection is None:
            return Stage.AWAITING_REFLECTION
        if not self.concerns:
            return Stage.READY_TO_PROCEED
        if any(r.status is ReferralStatus.RETURNED for r in self.referrals):
            return Stage.INFORMATION_REQUESTED
        if any(r.status.awaiting_advice for r in self.referrals):
            return Stage.AWAITING_ADVICE
        if any(c.status is ConcernStatus.ADVISED for c in self.concerns):
            return Stage.ADVICE_RECEIVED
        if any(c.status is ConcernStatus.OPEN for c in self.concerns):
            return Stage.RESOLVING_CONCERNS
        return Stage.READY_TO_FINALISE

    @property
    def open_concerns(self) -> tuple[ConcernRecord, ...]:
        """Concerns not yet resolved and not awaiting advice."""
        return tuple(c for c in self.concerns if c.status is ConcernStatus.OPEN)

    @property
    def advised_concerns(self) -> tuple[ConcernRecord, ...]:
        """Concerns a route advised on, awaiting the decision-maker's response (or a further escalation)."""
        return tuple(c for c in self.concerns if c.status is ConcernStatus.ADVISED)

    @property
    def referrals_awaiting_advice(self) -> tuple[Referral, ...]:
        """Referrals still open at their route."""
        return tuple(r for r in self.referrals if r.status.awaiting_advice)

    @property
    def outcome_class(self) -> OutcomeClass | None:
        """How the review ended (``None`` while open).

        A review with any concern acknowledged as unresolved proceeded with
        unresolved concerns; otherwise the furthest step any concern needed
        names the class.
        """
        if not self.is_closed:
            return None
        if not self.concerns:
            return OutcomeClass.NO_CONCERNS
        if any(c.status is ConcernStatus.ACKNOWLEDGED_UNRESOLVED for c in self.concerns):
            return OutcomeClass.PROCEEDED_WITH_UNRESOLVED_CONCERNS
        used = {c.resolved_by for c in self.concerns}
        if Resolution.ESCALATION in used:
            return OutcomeClass.RESOLVED_AFTER_ESCALATION
        if Resolution.DISCUSSION in used:
            return OutcomeClass.RESOLVED_BY_DISCUSSION
        return OutcomeClass.RESOLVED_BY_DISCRETION

    def concern(self, concern_id: str) -> ConcernRecord | None:
        """The concern with this id, or ``None``."""
        return next((c for c in self.concerns if c.concern_id == concern_id), None)

    def referral(self, referral_id: str) -> Referral | None:
        """The referral with this id, or ``None``."""
        return next((r for r in self.referrals if r.referral_id == referral_id), None)


def replay(events: Iterable[Event]) -> Review:
    """Fold a review's trail, from its first event, into its state.

    :raises IntegrityError: if the trail is not one review's, in order, or an
        event refers to something the review does not have.
    :raises ValueError: if *events* is empty.
    """
    review: Review | None = None
    for event in events:
        review = evolve(review, event)
    if review is None:
        raise ValueError("a review needs at least one event to replay")
    return review


def _broken(event: Event, problem: str) -> IntegrityError:
    """The error for a stored event that does not follow from the review's trail.

    It names the event by its sequence number only: ids and texts read from a
    trail that was changed outside the library may be anything, personal data included.
    """
    return IntegrityError(
        f"The review's trail is not whole: event {event.sequence} {problem}. It was changed outside "
        "the library; keep the store as it is and run verify to find where the chain breaks."
    )


def evolve(review: Review | None, event: Event) -> Review:
    """The review after *event*. ``review`` is ``None`` only for the opening event.

    :raises IntegrityError: if the event does not follow from the review.
    """
    if review is None:
        if not isinstance(event.payload, ReviewOpened) or event.sequence != 1:
            raise _broken(event, "is not the opening event at sequence 1: the review does not start with it")
        if not isinstance(event.actor, DecisionMaker):
            raise _broken(event, "opens the review, but not by a decision-maker")
        return Review(
            review_id=event.review_id,
            version=1,
            opened_at=event.occurred_at,
            updated_at=event.occurred_at,
            case=event.payload.case,
            opened_by=event.actor,
            owner=event.actor,
            proposed=event.payload.proposed,
            guidance_version=event.payload.guidance_version,
            holders=(event.actor.staff_id,),
        )
    if event.review_id != review.review_id or event.sequence != review.version + 1:
        raise _broken(event, f"does not follow event {review.version} of the same review")
    apply = _APPLY.get(type(event.payload))
    if apply is None:
        raise _broken(event, "opens a review that is already open")
    changes = apply(review, event)
    taken = StepTaken(
        sequence=event.sequence,
        step=event.payload.step,
        by=event.actor.staff_id,
        holder=review.owner.staff_id,
        at=event.occurred_at,
    )
    return _evolve(
        review,
        **changes,
        version=event.sequence,
        updated_at=event.occurred_at,
        steps_taken=(*review.steps_taken, taken),
    )


_Record = TypeVar("_Record", "Review", "ConcernRecord", "Referral")


def _evolve(record: _Record, **changes: Any) -> _Record:
    """*record* with *changes*: what ``attrs.evolve`` makes, with the field values read in one go.

    The review's records (:class:`Review`, :class:`ConcernRecord`, :class:`Referral`) have no
    validators, converters or private fields, so this is the same ``cls(**values)`` call.
    """
    return type(record)(**{**field_values(record), **changes})


# -- one function per payload ------------------------------------------------------------

_Item = TypeVar("_Item", ConcernRecord, Referral)
_Changes = dict[str, Any]
"""What an event changes in a review, by field (the version and time are added by :func:`evolve`)."""


def _replace(items: tuple[_Item, ...], match: Callable[[_Item], bool], **changes: Any) -> tuple[_Item, ...]:
    return tuple(_evolve(i, **changes) if match(i) else i for i in items)


def _concern_ids(review: Review, event: Event, ids: Iterable[str]) -> None:
    for concern_id in ids:
        if review.concern(concern_id) is None:
            raise _broken(event, "refers to a concern the review does not have")


def _referral(review: Review, event: Event, referral_id: str) -> Referral:
    referral = review.referral(referral_id)
    if referral is None:
        raise _broken(event, "refers to a referral the review does not have")
    return referral


def _new_concerns(review: Review, concerns: Iterable[Concern], at: dt.datetime) -> tuple[ConcernRecord, ...]:
    start = len(review.concerns)
    return review.concerns + tuple(
        ConcernRecord(concern_id=f"C{start + n}", concern=c, raised_at=at)
        for n, c in enumerate(concerns, start=1)
    )


def _reflection(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReflectionRecorded)
    return {
        "reflection": payload,
        "reflected_at": event.occurred_at,
        "concerns": _new_concerns(review, payload.concerns, event.occurred_at),
    }


def _concern_raised(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ConcernRaised)
    return {"concerns": _new_concerns(review, [payload.concern], event.occurred_at)}


def _resolved(
    concerns: tuple[ConcernRecord, ...], concern_id: str, by: Resolution, at: dt.datetime, **changes: Any
) -> tuple[ConcernRecord, ...]:
    return _replace(
        concerns,
        lambda c: c.concern_id == concern_id,
        status=ConcernStatus.RESOLVED,
        resolved_by=by,
        resolved_at=at,
        **changes,
    )


def _discretion(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, DiscretionConsidered)
    _concern_ids(review, event, [payload.concern_id])
    concern = review.concern(payload.concern_id)
    assert concern is not None
    considered = (*concern.discretion, payload)
    if payload.result is DiscretionResult.RESOLVED:
        return {
            "concerns": _resolved(
                review.concerns,
                concern.concern_id,
                Resolution.DISCRETION,
                event.occurred_at,
                discretion=considered,
            )
        }
    return {
        "concerns": _replace(
            review.concerns, lambda c: c.concern_id == concern.concern_id, discretion=considered
        )
    }


def _discussion(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, DiscussionHeld)
    _concern_ids(review, event, [payload.concern_id])
    concern = review.concern(payload.concern_id)
    assert concern is not None
    held = (*concern.discussions, payload)
    if payload.result is DiscussionResult.RESOLVED:
        return {
            "concerns": _resolved(
                review.concerns,
                concern.concern_id,
                Resolution.DISCUSSION,
                event.occurred_at,
                discussions=held,
            )
        }
    return {
        "concerns": _replace(review.concerns, lambda c: c.concern_id == concern.concern_id, discussions=held)
    }


def _referral_submitted(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReferralSubmitted)
    _concern_ids(review, event, payload.concern_ids)
    if not isinstance(event.actor, DecisionMaker):
        raise _broken(event, "escalates, but not by a decision-maker")
    referral_id = referral_id_for(review.review_id, event.sequence)
    referral = Referral(
        referral_id=referral_id,
        review_id=review.review_id,
        route=payload.route,
        concern_ids=payload.concern_ids,
        question=payload.question,
        referred_by=event.actor,
        submitted_at=event.occurred_at,
    )
    ids = set(payload.concern_ids)
    concerns = tuple(
        _evolve(c, status=ConcernStatus.ESCALATED, referral_ids=(*c.referral_ids, referral_id))
        if c.concern_id in ids
        else c
        for c in review.concerns
    )
    routes = review.routes
    if payload.route.route_id not in routes:  # the rules first escalated to stay in force
        routes = FrozenDict({**routes, payload.route.route_id: payload.route})
    return {"referrals": (*review.referrals, referral), "concerns": concerns, "routes": routes}


def _updated_referrals(
    review: Review, event: Event, referral_id: str, **changes: Any
) -> tuple[Referral, ...]:
    referral = _referral(review, event, referral_id)
    return _replace(
        review.referrals,
        lambda r: r.referral_id == referral_id,
        history=(*referral.history, event),
        **changes,
    )


def _acknowledged(review: Review, event: Event) -> _Changes:
    assert isinstance(event.payload, ReferralAcknowledged)
    referrals = _updated_referrals(
        review,
        event,
        event.payload.referral_id,
        status=ReferralStatus.ACKNOWLEDGED,
        acknowledged_at=event.occurred_at,
    )
    return {"referrals": referrals}


def _returned(review: Review, event: Event) -> _Changes:
    assert isinstance(event.payload, ReferralReturned)
    referral_id = event.payload.referral_id
    return {"referrals": _updated_referrals(review, event, referral_id, status=ReferralStatus.RETURNED)}


def _information(review: Review, event: Event) -> _Changes:
    assert isinstance(event.payload, InformationProvided)
    referral_id = event.payload.referral_id
    return {"referrals": _updated_referrals(review, event, referral_id, status=ReferralStatus.ACKNOWLEDGED)}


def _advice(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, AdviceGiven)
    referral = _referral(review, event, payload.referral_id)
    referrals = _updated_referrals(
        review,
        event,
        payload.referral_id,
        status=ReferralStatus.ADVICE_GIVEN,
        advice=payload.advice,
        advice_at=event.occurred_at,
        advised_by=event.actor.staff_id,
    )
    ids = set(referral.concern_ids)
    concerns = _replace(  # advice informs: the decision-maker responds to it, and only they resolve
        review.concerns,
        lambda c: c.concern_id in ids and c.status is ConcernStatus.ESCALATED,
        status=ConcernStatus.ADVISED,
    )
    return {"referrals": referrals, "concerns": concerns}


def _responded(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, AdviceResponded)
    referral = _referral(review, event, payload.referral_id)
    concern = review.concern(payload.concern_id)
    if concern is None or concern.concern_id not in referral.concern_ids:
        raise _broken(event, "responds to advice on a concern the referral does not name")
    responses = (*concern.responses, payload)
    if payload.resolved:
        concerns = _resolved(
            review.concerns, concern.concern_id, Resolution.ESCALATION, event.occurred_at, responses=responses
        )
    else:
        concerns = _replace(
            review.concerns,
            lambda c: c.concern_id == concern.concern_id,
            status=ConcernStatus.OPEN,
            responses=responses,
        )
    referrals = _updated_referrals(review, event, referral.referral_id)
    return {"concerns": concerns, "referrals": referrals}


def _withdrawn(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReferralWithdrawn)
    referral = _referral(review, event, payload.referral_id)
    referrals = _updated_referrals(
        review, event, payload.referral_id, status=ReferralStatus.WITHDRAWN, closed_at=event.occurred_at
    )
    ids = set(referral.concern_ids)
    concerns = _replace(
        review.concerns,
        lambda c: c.concern_id in ids and c.status is ConcernStatus.ESCALATED,
        status=ConcernStatus.OPEN,
    )
    return {"referrals": referrals, "concerns": concerns}


def _finalised(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReviewFinalised)
    acknowledged = set(payload.unresolved.concern_ids) if payload.unresolved else set()
    _concern_ids(review, event, acknowledged)
    concerns = _replace(
        review.concerns,
        lambda c: c.concern_id in acknowledged,
        status=ConcernStatus.ACKNOWLEDGED_UNRESOLVED,
    )
    # The rules refuse a final decision while advice awaits a response, so a concern still advised here
    # comes from a trail recorded before responses existed, when a route's advice resolved the concern.
    # Read it as it was recorded: resolved after escalation, at the advice.
    concerns = tuple(
        _evolve(
            c,
            status=ConcernStatus.RESOLVED,
            resolved_by=Resolution.ESCALATION,
            resolved_at=_advised_at(review, c) or event.occurred_at,
        )
        if c.status is ConcernStatus.ADVISED
        else c
        for c in concerns
    )
    referrals = _replace(
        review.referrals,
        lambda r: r.status is ReferralStatus.ADVICE_GIVEN,
        status=ReferralStatus.CLOSED,
        closed_at=event.occurred_at,
    )
    if not isinstance(event.actor, DecisionMaker):
        raise _broken(event, "takes the final decision, but not by a decision-maker")
    return {
        "finalised": payload,
        "finalised_by": event.actor,
        "closed_at": event.occurred_at,
        "concerns": concerns,
        "referrals": referrals,
    }


def _advised_at(review: Review, concern: ConcernRecord) -> dt.datetime | None:
    """When the latest referral about *concern* was advised on, if it was."""
    referral = review.referral(concern.referral_ids[-1]) if concern.referral_ids else None
    return referral.advice_at if referral is not None else None


def _handed_over(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReviewHandedOver)
    if payload.handed_from != review.owner.staff_id:
        raise _broken(event, "hands the review over from someone who did not hold it")
    if payload.to.business_area != review.business_area:
        raise _broken(event, "hands the review over to another business area")
    return {"owner": payload.to, "holders": (*review.holders, payload.to.staff_id)}


def _assigned(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReferralAssigned)
    referral = _referral(review, event, payload.referral_id)
    if payload.assignee.route_id != referral.route_id:
        raise _broken(event, "assigns a referral to a member of another route's team")
    return {"referrals": _updated_referrals(review, event, referral.referral_id, assignee=payload.assignee)}


def _released(review: Review, event: Event) -> _Changes:
    payload = event.payload
    assert isinstance(payload, ReferralReleased)
    return {"referrals": _updated_referrals(review, event, payload.referral_id, assignee=None)}


def _later_outcome(review: Review, event: Event) -> _Changes:
    return {"later_outcomes": (*review.later_outcomes, event)}


def _erased(review: Review, event: Event) -> _Changes:
    return {"erased_at": event.occurred_at}


_APPLY: Mapping[type, Callable[[Review, Event], _Changes]] = {
    ReflectionRecorded: _reflection,
    ConcernRaised: _concern_raised,
    DiscretionConsidered: _discretion,
    DiscussionHeld: _discussion,
    ReferralSubmitted: _referral_submitted,
    ReferralAcknowledged: _acknowledged,
    ReferralReturned: _returned,
    InformationProvided: _information,
    AdviceGiven: _advice,
    AdviceResponded: _responded,
    ReferralWithdrawn: _withdrawn,
    ReviewHandedOver: _handed_over,
    ReferralAssigned: _assigned,
    ReferralReleased: _released,
    ReviewFinalised: _finalised,
    LaterOutcomeRecorded: _later_outcome,
    FreeTextErased: _erased,
}
