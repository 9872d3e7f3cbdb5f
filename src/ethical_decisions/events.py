"""The events of a review: what happened, in order, never edited.

A review is the fold of its events (:func:`ethical_decisions.review.replay`).
Each :class:`Event` is an envelope (review id, sequence number, UTC time,
actor, schema version) around one payload. A payload says what the actor
recorded, in the model's terms; its ``kind`` is the stable name used in JSON,
logs and the store, and its ``step`` is the step of the model it records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import ClassVar, TypeAlias

import attrs

from ._fields import (
    FREE_TEXT_FIELD,
    optional_free_text,
    str_tuple,
    validate_bool,
    validate_code,
    validate_concern_ids,
    validate_date,
    validate_free_text,
    validate_identifier,
    validate_label,
    validate_optional_date,
    validate_positive,
    validate_utc,
)
from .guidance import GUIDANCE
from .model import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    PolicyTeamMember,
    ProposedDecision,
    RecordsOfficer,
    RoutePolicy,
    RouteTeamMember,
    Step,
    SystemicIssueStatus,
    UnresolvedAcknowledgement,
)

__all__ = [
    "PAYLOAD_TYPES",
    "SCHEMA_VERSION",
    "Actor",
    "AdviceGiven",
    "AdviceResponded",
    "ConcernRaised",
    "DiscretionConsidered",
    "DiscussionHeld",
    "Event",
    "FreeTextErased",
    "InformationProvided",
    "LaterOutcomeRecorded",
    "Payload",
    "ReferralAcknowledged",
    "ReferralAssigned",
    "ReferralReleased",
    "ReferralReturned",
    "ReferralSubmitted",
    "ReferralWithdrawn",
    "ReflectionRecorded",
    "ReviewFinalised",
    "ReviewHandedOver",
    "ReviewOpened",
    "SystemicIssueLinked",
    "SystemicIssueOpened",
    "SystemicIssueUpdated",
    "is_issue_id",
]

SCHEMA_VERSION = 1
"""Version of the event JSON this library writes. Readers refuse newer versions."""

Actor: TypeAlias = DecisionMaker | RouteTeamMember | RecordsOfficer | PolicyTeamMember
"""Who recorded an event: a decision-maker, a member of a route's team, a records officer, or a member
of a policy team (on the register of systemic issues)."""

ISSUE_PREFIX = "si-"
"""How the id of a systemic issue's stream begins: ``si-…``; a review's id never does."""


def is_issue_id(stream_id: str) -> bool:
    """Whether *stream_id* names a systemic issue's stream in the chain rather than a review."""
    return stream_id.startswith(ISSUE_PREFIX)


@attrs.frozen
class ReviewOpened:
    """A decision-maker has a proposed decision and opens a review of it.

    The decision-maker is the event's actor. The review's business area is theirs.
    """

    kind: ClassVar[str] = "review_opened"
    step: ClassVar[Step] = Step.OPEN_REVIEW

    case: CaseReference
    proposed: ProposedDecision
    guidance_version: str = GUIDANCE.version


def _concerns(value: Iterable[Concern]) -> tuple[Concern, ...]:
    return tuple(value)


# Converters to the model's codes: functions rather than the enum classes, which attrs would take
# several times longer to inspect when it makes each class (see ethical_decisions.model).


def _discretion_scope(value: str) -> DiscretionScope:
    return DiscretionScope(value)


def _discretion_result(value: str) -> DiscretionResult:
    return DiscretionResult(value)


def _consulted_role(value: str) -> ConsultedRole:
    return ConsultedRole(value)


def _discussion_result(value: str) -> DiscussionResult:
    return DiscussionResult(value)


def _advice_response(value: str) -> AdviceResponse:
    return AdviceResponse(value)


def _later_outcome_kind(value: str) -> LaterOutcomeKind:
    return LaterOutcomeKind(value)


def _later_outcome_result(value: str) -> LaterOutcomeResult:
    return LaterOutcomeResult(value)


@attrs.frozen
class ReflectionRecorded:
    """The decision-maker reflected on the impact of the proposed decision.

    No concerns means they may proceed; otherwise each concern is articulated
    (step 1 of the model) and tracked until it is resolved or acknowledged.
    """

    kind: ClassVar[str] = "reflection_recorded"
    step: ClassVar[Step] = Step.RECORD_REFLECTION

    concerns: tuple[Concern, ...] = attrs.field(default=(), converter=_concerns)
    note: str | None = optional_free_text()

    @property
    def has_concerns(self) -> bool:
        """Whether anything about the proposed decision concerned the decision-maker."""
        return bool(self.concerns)


@attrs.frozen
class ConcernRaised:
    """A further concern, articulated after the reflection was recorded."""

    kind: ClassVar[str] = "concern_raised"
    step: ClassVar[Step] = Step.RAISE_CONCERN

    concern: Concern


@attrs.frozen
class DiscretionConsidered:
    """The decision-maker considered discretion for a concern (step 2).

    Discretion inside the Immigration Rules comes first; outside them, where
    applicable, only after.
    """

    kind: ClassVar[str] = "discretion_considered"
    step: ClassVar[Step] = Step.CONSIDER_DISCRETION

    concern_id: str = attrs.field(validator=validate_identifier)
    scope: DiscretionScope = attrs.field(converter=_discretion_scope)
    guidance: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """The rules and guidance considered."""
    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """Why the result is what it is."""
    result: DiscretionResult = attrs.field(converter=_discretion_result)


@attrs.frozen
class DiscussionHeld:
    """The decision-maker discussed the case with someone (step 3)."""

    kind: ClassVar[str] = "discussion_held"
    step: ClassVar[Step] = Step.RECORD_DISCUSSION

    concern_id: str = attrs.field(validator=validate_identifier)
    consulted_role: ConsultedRole = attrs.field(converter=_consulted_role)
    consulted: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """Who was consulted (a name or staff id)."""
    advice: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """The advice they gave. Required: the Windrush review found advice was often not recorded."""
    result: DiscussionResult = attrs.field(converter=_discussion_result)


@attrs.frozen
class ReferralSubmitted:
    """The decision-maker escalated concerns to their business area's route (step 4).

    The referral's id is ``"<review id>-R<sequence>"``. The route's policy is
    copied onto the referral and holds for the rest of the review.
    """

    kind: ClassVar[str] = "referral_submitted"
    step: ClassVar[Step] = Step.ESCALATE

    route: RoutePolicy
    concern_ids: tuple[str, ...] = attrs.field(converter=str_tuple, validator=validate_concern_ids)
    question: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """What the decision-maker asks the route to advise on."""


@attrs.frozen
class ReferralAcknowledged:
    """The route's team acknowledged a referral."""

    kind: ClassVar[str] = "referral_acknowledged"
    step: ClassVar[Step] = Step.ACKNOWLEDGE_REFERRAL

    referral_id: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class ReferralReturned:
    """The route's team returned a referral, asking for more information."""

    kind: ClassVar[str] = "referral_returned"
    step: ClassVar[Step] = Step.RETURN_REFERRAL

    referral_id: str = attrs.field(validator=validate_identifier)
    question: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class InformationProvided:
    """The decision-maker answered a route's request for more information."""

    kind: ClassVar[str] = "information_provided"
    step: ClassVar[Step] = Step.PROVIDE_INFORMATION

    referral_id: str = attrs.field(validator=validate_identifier)
    response: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class AdviceGiven:
    """The route's team advised on a referral; the advice flows back into the review."""

    kind: ClassVar[str] = "advice_given"
    step: ClassVar[Step] = Step.GIVE_ADVICE

    referral_id: str = attrs.field(validator=validate_identifier)
    advice: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class AdviceResponded:
    """The decision-maker recorded what they did with a route's advice on one of the concerns referred.

    Advice informs; the decision-maker decides. They followed it, followed it
    in part, or did not follow it, and say why; and say whether the concern is
    now resolved. A concern still unresolved can be escalated again (to the
    same route for reconsideration, or to a second tier the route declares),
    taken further in other ways, or acknowledged as unresolved when finalising.
    """

    kind: ClassVar[str] = "advice_responded"
    step: ClassVar[Step] = Step.RESPOND_TO_ADVICE

    referral_id: str = attrs.field(validator=validate_identifier)
    concern_id: str = attrs.field(validator=validate_identifier)
    response: AdviceResponse = attrs.field(converter=_advice_response)
    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """Why they followed the advice, in part, or not."""
    resolved: bool = attrs.field(validator=validate_bool)
    """Whether the concern is now resolved."""


@attrs.frozen
class ReferralWithdrawn:
    """The decision-maker withdrew a referral that was awaiting advice, with a reason."""

    kind: ClassVar[str] = "referral_withdrawn"
    step: ClassVar[Step] = Step.WITHDRAW_REFERRAL

    referral_id: str = attrs.field(validator=validate_identifier)
    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class ReviewHandedOver:
    """The review passed from its owner to another decision-maker (leave, a change of caseload).

    From then on the new owner takes the decision-maker's steps. The event's
    actor is whoever handed it over: the owner, or someone the deployment's
    permission policy allows (a line manager, say).
    """

    kind: ClassVar[str] = "review_handed_over"
    step: ClassVar[Step] = Step.HAND_OVER

    handed_from: str = attrs.field(validator=validate_identifier)
    """The staff id of the owner it was handed over from."""
    to: DecisionMaker
    """The decision-maker who owns the review from now on."""
    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    """Why it was handed over."""


@attrs.frozen
class ReferralAssigned:
    """A member of the route's team was assigned a referral (or it was reassigned to them)."""

    kind: ClassVar[str] = "referral_assigned"
    step: ClassVar[Step] = Step.ASSIGN_REFERRAL

    referral_id: str = attrs.field(validator=validate_identifier)
    assignee: RouteTeamMember
    """Who works the referral from now on."""


@attrs.frozen
class ReferralReleased:
    """A referral went back to its route's unassigned queue."""

    kind: ClassVar[str] = "referral_released"
    step: ClassVar[Step] = Step.RELEASE_REFERRAL

    referral_id: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class ReviewFinalised:
    """The decision-maker took the final decision and closed the review."""

    kind: ClassVar[str] = "review_finalised"
    step: ClassVar[Step] = Step.FINALISE

    decision: FinalDecision
    unresolved: UnresolvedAcknowledgement | None = None
    """Required, and naming exactly the unresolved concerns, when any remain."""


@attrs.frozen
class LaterOutcomeRecorded:
    """A later fact about a closed review: the outcome of a challenge to the decision."""

    kind: ClassVar[str] = "later_outcome_recorded"
    step: ClassVar[Step] = Step.RECORD_LATER_OUTCOME

    challenge: LaterOutcomeKind = attrs.field(converter=_later_outcome_kind)
    result: LaterOutcomeResult = attrs.field(converter=_later_outcome_result)
    decided_on: dt.date = attrs.field(validator=validate_date)


@attrs.frozen
class FreeTextErased:
    """The free text of a closed review was erased at the end of its retention period.

    The trail keeps every event and still verifies; only the words are gone.
    """

    kind: ClassVar[str] = "free_text_erased"
    step: ClassVar[Step] = Step.ERASE_FREE_TEXT

    reason: str = attrs.field(validator=validate_code)
    """Why, as a code, e.g. ``"retention_period_ended"``."""


def _categories(value: Iterable[str]) -> tuple[ConcernCategory, ...]:
    return tuple(ConcernCategory(v) for v in value)


def _issue_status(value: str) -> SystemicIssueStatus:
    return SystemicIssueStatus(value)


@attrs.frozen
class SystemicIssueOpened:
    """A route team member opened a systemic issue: a rule or guidance that keeps causing concern.

    The first event of an issue's own stream (``si-…``) in the chain. Its title
    and description are free text, erasable like all free text; the rule or
    guidance it concerns is a reference (``"Appendix FM 1.0 GEN.3.2"``), never
    applicant data.
    """

    kind: ClassVar[str] = "systemic_issue_opened"
    step: ClassVar[Step] = Step.OPEN_SYSTEMIC_ISSUE

    title: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    description: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    rule: str = attrs.field(validator=validate_label)
    """The rule or guidance it concerns, as a reference."""
    owner: str = attrs.field(validator=validate_identifier)
    """The policy team that owns the issue."""
    due_on: dt.date = attrs.field(validator=validate_date)
    """When the owner is to have answered it."""
    route_id: str = attrs.field(validator=validate_identifier)
    """The route whose team raised it."""


@attrs.frozen
class SystemicIssueLinked:
    """A referral was linked to a systemic issue, as one more case that raises it."""

    kind: ClassVar[str] = "systemic_issue_linked"
    step: ClassVar[Step] = Step.LINK_SYSTEMIC_ISSUE

    referral_id: str = attrs.field(validator=validate_identifier)
    concern_categories: tuple[ConcernCategory, ...] = attrs.field(default=(), converter=_categories)
    """The categories of the concerns the referral carried (copied from the review when linked)."""


@attrs.frozen
class SystemicIssueUpdated:
    """The owning policy team moved a systemic issue on: a new status, a new due date, or both.

    Declining needs a reason (free text, erasable).
    """

    kind: ClassVar[str] = "systemic_issue_updated"
    step: ClassVar[Step] = Step.UPDATE_SYSTEMIC_ISSUE

    status: SystemicIssueStatus = attrs.field(converter=_issue_status)
    reason: str | None = optional_free_text()
    due_on: dt.date | None = attrs.field(default=None, validator=validate_optional_date)


Payload: TypeAlias = (
    ReviewOpened
    | ReflectionRecorded
    | ConcernRaised
    | DiscretionConsidered
    | DiscussionHeld
    | ReferralSubmitted
    | ReferralAcknowledged
    | ReferralReturned
    | InformationProvided
    | AdviceGiven
    | AdviceResponded
    | ReferralWithdrawn
    | ReviewHandedOver
    | ReferralAssigned
    | ReferralReleased
    | ReviewFinalised
    | LaterOutcomeRecorded
    | FreeTextErased
    | SystemicIssueOpened
    | SystemicIssueLinked
    | SystemicIssueUpdated
)
"""Any event payload."""

PAYLOAD_TYPES: tuple[type[Payload], ...] = (
    ReviewOpened,
    ReflectionRecorded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    ReferralSubmitted,
    ReferralAcknowledged,
    ReferralReturned,
    InformationProvided,
    AdviceGiven,
    AdviceResponded,
    ReferralWithdrawn,
    ReviewHandedOver,
    ReferralAssigned,
    ReferralReleased,
    ReviewFinalised,
    LaterOutcomeRecorded,
    FreeTextErased,
    SystemicIssueOpened,
    SystemicIssueLinked,
    SystemicIssueUpdated,
)
"""Every payload class, in the order a review usually meets them, then those of a systemic issue's stream."""


@attrs.frozen
class Event:
    """One recorded fact in a review's trail.

    :param review_id: the review it belongs to.
    :param sequence: its position in the review, from 1, without gaps.
    :param occurred_at: when it was recorded (UTC, from the injected clock).
    :param actor: who recorded it.
    :param payload: what was recorded.
    :param schema_version: the version of the event format.
    """

    review_id: str = attrs.field(validator=validate_identifier)
    sequence: int = attrs.field(validator=validate_positive)
    occurred_at: dt.datetime = attrs.field(validator=validate_utc)
    actor: Actor
    payload: Payload
    schema_version: int = SCHEMA_VERSION

    @property
    def kind(self) -> str:
        """The payload's stable name, e.g. ``"referral_submitted"``."""
        return self.payload.kind
