"""The value types of the Ethical Decision-Making Model.

Who takes part (:class:`DecisionMaker`, :class:`RouteTeamMember`), what is
decided (:class:`CaseReference`, :class:`ProposedDecision`,
:class:`FinalDecision`), what concerns a decision-maker (:class:`Concern`) and
how a route handles escalations (:class:`RoutePolicy`). All are frozen
``attrs`` classes: a record, once made, never changes.

Free-text fields are validated as non-blank, kept out of ``repr`` and marked
for digesting and erasure (see :mod:`ethical_decisions.audit`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import attrs

from ._fields import (
    FREE_TEXT_FIELD,
    FrozenDict,
    str_tuple,
    text_mapping,
    validate_code,
    validate_concern_ids,
    validate_free_text,
    validate_identifier,
    validate_label,
    validate_optional_identifier,
    validate_positive,
)
from .exceptions import ValidationError

__all__ = [
    "KNOWN_BUSINESS_AREAS",
    "AdviceResponse",
    "CaseReference",
    "Concern",
    "ConcernCategory",
    "ConsultedRole",
    "DecisionMaker",
    "DiscretionResult",
    "DiscretionScope",
    "DiscussionResult",
    "EscalationRequirements",
    "FinalDecision",
    "LaterOutcomeKind",
    "LaterOutcomeResult",
    "OutcomeClass",
    "PolicyTeamMember",
    "ProposedDecision",
    "RecordsOfficer",
    "RoutePolicy",
    "RouteTeamMember",
    "StaffRole",
    "Stage",
    "Step",
    "SystemicIssueStatus",
    "UnresolvedAcknowledgement",
]

KNOWN_BUSINESS_AREAS: Mapping[str, str] = {
    "customer_services_group": "Customer Services Group",
    "immigration_enforcement": "Immigration Enforcement",
    "hm_passport_office": "HM Passport Office",
    "border_force": "Border Force",
}
"""The business areas named in the guidance, by id. Plugins may serve others."""


def _unknown_code(cls: type[enum.StrEnum], value: object) -> enum.StrEnum:
    """Refuse a value that is not one of the enum's codes, naming the codes but never echoing the value.

    The ``_missing_`` of the enums that take values from outside, so that ``ConcernCategory("nonsense")``
    (and an attrs converter calling it) raises the library's :class:`~ethical_decisions.ValidationError`
    (still a :class:`ValueError`) rather than a bare ``ValueError`` quoting the input.
    """
    codes = ", ".join(member.value for member in cls)
    raise ValidationError(cls.__name__, [f"$: must be one of {codes}"])


class _Code(enum.StrEnum):
    """A code that outside data names (a role, a category, a result): an unknown one is refused readably."""

    _missing_ = classmethod(_unknown_code)


class StaffRole(_Code):
    """The job of a member of staff who takes part in a review."""

    CASEWORKER = "caseworker"
    SENIOR_CASEWORKER = "senior_caseworker"
    FRONTLINE_OFFICER = "frontline_officer"
    """Staff who meet people in their work, e.g. Immigration Enforcement officers."""
    TECHNICAL_SPECIALIST = "technical_specialist"
    TEAM_LEADER = "team_leader"
    LINE_MANAGER = "line_manager"

    @property
    def is_frontline(self) -> bool:
        """Whether the role is frontline rather than casework (for department reports)."""
        return self is StaffRole.FRONTLINE_OFFICER


class Step(enum.StrEnum):
    """A step a review can take. The value reads as a verb phrase in error messages."""

    OPEN_REVIEW = "open the review"
    RECORD_REFLECTION = "record the reflection"
    RAISE_CONCERN = "raise a concern"
    CONSIDER_DISCRETION = "consider discretion"
    RECORD_DISCUSSION = "record a discussion"
    ESCALATE = "escalate"
    ACKNOWLEDGE_REFERRAL = "acknowledge the referral"
    RETURN_REFERRAL = "return the referral for more information"
    PROVIDE_INFORMATION = "provide information"
    GIVE_ADVICE = "give advice"
    RESPOND_TO_ADVICE = "respond to the advice"
    WITHDRAW_REFERRAL = "withdraw the referral"
    FINALISE = "finalise the decision"
    HAND_OVER = "hand the review over"
    ASSIGN_REFERRAL = "assign the referral"
    RELEASE_REFERRAL = "release the referral"
    RECORD_LATER_OUTCOME = "record a later outcome"
    ERASE_FREE_TEXT = "erase free text"
    OPEN_SYSTEMIC_ISSUE = "open a systemic issue"
    LINK_SYSTEMIC_ISSUE = "link a referral to a systemic issue"
    UPDATE_SYSTEMIC_ISSUE = "update a systemic issue"

    @property
    def on_register(self) -> bool:
        """Whether the step is taken on the register of systemic issues rather than on a review."""
        return self in _REGISTER_STEPS

    @property
    def by_route_team(self) -> bool:
        """Whether the step is a route team's: acknowledging, returning, advising on, assigning a referral."""
        return self in _ROUTE_TEAM_STEPS

    @property
    def by_decision_maker(self) -> bool:
        """Whether the step is the review's decision-maker's (the owner's) to take."""
        return self in _DECISION_MAKER_STEPS


_REGISTER_STEPS = frozenset({Step.OPEN_SYSTEMIC_ISSUE, Step.LINK_SYSTEMIC_ISSUE, Step.UPDATE_SYSTEMIC_ISSUE})
_ROUTE_TEAM_STEPS = frozenset(
    {
        Step.ACKNOWLEDGE_REFERRAL,
        Step.RETURN_REFERRAL,
        Step.GIVE_ADVICE,
        Step.ASSIGN_REFERRAL,
        Step.RELEASE_REFERRAL,
    }
)
_DECISION_MAKER_STEPS = frozenset(
    {
        Step.RECORD_REFLECTION,
        Step.RAISE_CONCERN,
        Step.CONSIDER_DISCRETION,
        Step.RECORD_DISCUSSION,
        Step.ESCALATE,
        Step.PROVIDE_INFORMATION,
        Step.RESPOND_TO_ADVICE,
        Step.WITHDRAW_REFERRAL,
        Step.FINALISE,
    }
)


class Stage(enum.StrEnum):
    """Where a review is, derived from its events."""

    NOT_OPENED = "not opened"
    AWAITING_REFLECTION = "awaiting reflection"
    READY_TO_PROCEED = "ready to proceed: no concerns"
    RESOLVING_CONCERNS = "resolving concerns"
    AWAITING_ADVICE = "awaiting advice"
    ADVICE_RECEIVED = "advice received: respond to it"
    INFORMATION_REQUESTED = "information requested by the route"
    READY_TO_FINALISE = "ready to finalise: concerns resolved"
    CLOSED = "closed"


class ConcernCategory(_Code):
    """What kind of concern a decision-maker has about a proposed decision."""

    UNFAIR_OUTCOME = "unfair_outcome"
    UNINTENDED_CONSEQUENCE = "unintended_consequence"
    VULNERABILITY = "vulnerability"
    EVIDENTIAL_BURDEN = "evidential_burden"
    """The burden or standard of proof asked of the person (Windrush Recommendation 18)."""
    EQUALITY_OR_HUMAN_RIGHTS = "equality_or_human_rights"
    ERROR_IN_RECORDS = "error_in_records"
    OTHER = "other"


class DiscretionScope(_Code):
    """Where the discretion considered sits: inside the Immigration Rules, or outside them."""

    INSIDE_RULES = "inside_rules"
    OUTSIDE_RULES = "outside_rules"


class DiscretionResult(_Code):
    """What considering discretion did for the concern."""

    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"
    BEYOND_AUTHORITY = "beyond_authority"
    """A different decision may be possible, but not on the decision-maker's own authority."""


class ConsultedRole(_Code):
    """Whom a decision-maker discussed the case with (step 3 of the model)."""

    TECHNICAL_SPECIALIST = "technical_specialist"
    LINE_MANAGER = "line_manager"
    TEAM_LEADER = "team_leader"
    COLLEAGUE = "colleague"


class AdviceResponse(_Code):
    """What the decision-maker did with a route's advice on a concern. Advice informs; they decide."""

    FOLLOWED = "followed"
    FOLLOWED_IN_PART = "followed_in_part"
    NOT_FOLLOWED = "not_followed"


class DiscussionResult(_Code):
    """Whether a discussion resolved the concern."""

    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"


class OutcomeClass(enum.StrEnum):
    """How a closed review ended, for reporting. Decided by the furthest step a concern needed."""

    NO_CONCERNS = "no_concerns"
    RESOLVED_BY_DISCRETION = "resolved_by_discretion"
    RESOLVED_BY_DISCUSSION = "resolved_by_discussion"
    RESOLVED_AFTER_ESCALATION = "resolved_after_escalation"
    PROCEEDED_WITH_UNRESOLVED_CONCERNS = "proceeded_with_unresolved_concerns"


class LaterOutcomeKind(_Code):
    """Where a decision was challenged, or questioned, after the review closed."""

    ADMINISTRATIVE_REVIEW = "administrative_review"
    APPEAL = "appeal"
    TRIBUNAL = "tribunal"
    COMPLAINT = "complaint"
    """A complaint about the decision through the department's complaints process."""
    JUDICIAL_REVIEW = "judicial_review"
    MP_LETTER = "mp_letter"
    """A Member of Parliament wrote about the decision on the applicant's behalf."""
    OMBUDSMAN = "ombudsman"
    """A finding of the Parliamentary and Health Service Ombudsman."""


class LaterOutcomeResult(_Code):
    """What the challenge decided about the decision."""

    UPHELD = "upheld"
    """The decision stands (for a complaint, MP letter or ombudsman: the decision was found sound)."""
    OVERTURNED = "overturned"
    """The decision was changed or found wrong."""
    WITHDRAWN = "withdrawn"
    PENDING = "pending"
    """Lodged and not yet decided: the review's free text is held from a retention sweep until a
    later record of the same kind says how it ended (see :mod:`ethical_decisions.retention`)."""


class SystemicIssueStatus(_Code):
    """Where a systemic issue stands on the register."""

    OPEN = "open"
    ACCEPTED = "accepted"
    """The owning policy team accepts that the rule or guidance needs looking at."""
    CHANGE_MADE = "change_made"
    DECLINED = "declined"
    """The policy team declines to change anything, and says why."""
    CLOSED = "closed"

    @property
    def next_statuses(self) -> frozenset[SystemicIssueStatus]:
        """The statuses an issue in this status may move to."""
        return _ISSUE_TRANSITIONS[self]


_ISSUE_TRANSITIONS: Mapping[SystemicIssueStatus, frozenset[SystemicIssueStatus]] = {
    SystemicIssueStatus.OPEN: frozenset(
        {SystemicIssueStatus.ACCEPTED, SystemicIssueStatus.DECLINED, SystemicIssueStatus.CLOSED}
    ),
    SystemicIssueStatus.ACCEPTED: frozenset(
        {SystemicIssueStatus.CHANGE_MADE, SystemicIssueStatus.DECLINED, SystemicIssueStatus.CLOSED}
    ),
    SystemicIssueStatus.CHANGE_MADE: frozenset({SystemicIssueStatus.CLOSED}),
    SystemicIssueStatus.DECLINED: frozenset({SystemicIssueStatus.CLOSED}),
    SystemicIssueStatus.CLOSED: frozenset(),
}


# The enum converters below are plain functions rather than the enum classes themselves: attrs reads
# each converter's signature when it makes the class, and an enum class's takes it several times
# longer to read than a function's. They also give the generated __init__ the annotation ``str``,
# the type mypy's attrs plugin already read from the enum.


def _staff_role(value: str) -> StaffRole:
    """``StaffRole(value)``: an attrs converter that is cheap for attrs to inspect."""
    return StaffRole(value)


def _concern_category(value: str) -> ConcernCategory:
    """``ConcernCategory(value)``: an attrs converter that is cheap for attrs to inspect."""
    return ConcernCategory(value)


@attrs.frozen
class DecisionMaker:
    """A member of staff making a decision, as they were when they acted.

    :param staff_id: the organisation's staff id (not a name).
    :param role: their job.
    :param business_area: id of their business area, e.g. ``"immigration_enforcement"``.
    :param team: their team's name.
    """

    staff_id: str = attrs.field(validator=validate_identifier)
    role: StaffRole = attrs.field(converter=_staff_role)
    business_area: str = attrs.field(validator=validate_code)
    team: str = attrs.field(validator=validate_label)


@attrs.frozen
class RouteTeamMember:
    """A member of an escalation route's team, who answers referrals to that route.

    :param staff_id: the organisation's staff id.
    :param route_id: the route whose team they are on.
    """

    staff_id: str = attrs.field(validator=validate_identifier)
    route_id: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class PolicyTeamMember:
    """A member of a policy team, which owns systemic issues about its rules and guidance.

    :param staff_id: the organisation's staff id.
    :param team: the policy team's id, e.g. ``"family_policy"``.
    """

    staff_id: str = attrs.field(validator=validate_identifier)
    team: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class RecordsOfficer:
    """A member of staff who manages records: records later outcomes and erases at end of retention.

    :param staff_id: the organisation's staff id.
    """

    staff_id: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class CaseReference:
    """The casework system's case, as much as it chooses to pass.

    :param reference: the case reference in the casework system. It links the
        review to a person, so it is treated as personal data: kept out of logs,
        errors and compliance records, and erased at the end of retention.
    :param personal_details: anything else about the applicant the casework
        system wants shown with the review, by field name.
    """

    reference: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    personal_details: Mapping[str, str] = text_mapping()


@attrs.frozen
class ProposedDecision:
    """The decision the existing process has reached, before reflection.

    :param outcome: a code for the decision, e.g. ``"refuse"``, ``"grant"``,
        ``"curtail_leave"``. The final decision's code is compared with it to
        tell whether reflection changed the decision.
    :param summary: the decision in the decision-maker's words.
    """

    outcome: str = attrs.field(validator=validate_code)
    summary: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class FinalDecision:
    """The decision taken, with the reasons for it.

    :param outcome: a code for the decision, as for :class:`ProposedDecision`.
    :param summary: the decision in the decision-maker's words.
    :param rationale: why this decision was taken. Required: the Windrush review
        found rationale was often not recorded.
    """

    outcome: str = attrs.field(validator=validate_code)
    summary: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    rationale: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class Concern:
    """What makes the decision-maker uncomfortable about the proposed decision (step 1).

    :param category: the kind of concern.
    :param statement: the concern in the decision-maker's words. Required: a
        concern that is not articulated cannot be resolved or escalated.
    """

    category: ConcernCategory = attrs.field(converter=_concern_category)
    statement: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class UnresolvedAcknowledgement:
    """The decision-maker's explicit acknowledgement that they proceed with concerns unresolved.

    :param concern_ids: exactly the concerns still unresolved when finalising.
    :param rationale: why it is right to proceed regardless.
    """

    concern_ids: tuple[str, ...] = attrs.field(converter=str_tuple, validator=validate_concern_ids)
    rationale: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class EscalationRequirements:
    """What must be recorded for a concern before it may be escalated.

    The default, from the model's order of steps: discretion has been
    considered, and the case discussed with someone.
    """

    discretion_considered: bool = True
    discussion_held: bool = True


def _roles(value: Iterable[StaffRole]) -> frozenset[StaffRole]:
    return frozenset(StaffRole(r) for r in value)


def _requirements(
    value: Mapping[StaffRole, EscalationRequirements],
) -> FrozenDict[StaffRole, EscalationRequirements]:
    if type(value) is FrozenDict:  # another policy's, already converted
        return value
    return FrozenDict({StaffRole(k): v for k, v in value.items()})


@attrs.frozen
class RoutePolicy:
    """The rules of an escalation route that a review is held to.

    A copy is recorded on every referral, and the copy in force when a review
    first escalated to a route stays in force for that review, even if the
    route's plugin is upgraded meanwhile.

    :param route_id: the route's id, e.g. ``"safety_valve_mechanism"``.
    :param version: the route plugin's version of these rules.
    :param business_area: id of the business area the route serves.
    :param eligible_roles: who may refer to the route.
    :param requirements: what must precede escalation, by default.
    :param requirements_by_role: exceptions for particular roles (the Safety
        Valve Mechanism accepts a frontline officer's referral without a prior
        discussion).
    :param response_target_days: the route's target for giving advice, in
        calendar days from submission.
    :param reconsiders: for a second tier (a senior panel, say), the id of the
        route whose advice it reconsiders: a concern comes here only after that
        route has advised on it and the decision-maker escalates it again. A
        business area's own route is never a second tier.
    """

    route_id: str = attrs.field(validator=validate_identifier)
    version: str = attrs.field(validator=validate_label)
    business_area: str = attrs.field(validator=validate_code)
    eligible_roles: frozenset[StaffRole] = attrs.field(factory=lambda: frozenset(StaffRole), converter=_roles)
    requirements: EscalationRequirements = EscalationRequirements()
    requirements_by_role: Mapping[StaffRole, EscalationRequirements] = attrs.field(
        factory=FrozenDict, converter=_requirements
    )
    response_target_days: int = attrs.field(default=10, validator=validate_positive)
    reconsiders: str | None = attrs.field(default=None, validator=validate_optional_identifier)

    def requirements_for(self, role: StaffRole) -> EscalationRequirements:
        """The requirements a referral from someone in *role* must meet."""
        return self.requirements_by_role.get(role, self.requirements)
