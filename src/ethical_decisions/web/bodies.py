"""The bodies of the HTTP API's requests, where no library type already says it.

A step whose payload the client gives whole takes the library's own type as
its body (:class:`~ethical_decisions.events.ReflectionRecorded`,
:class:`~ethical_decisions.Concern`, :class:`~ethical_decisions.events.DiscretionConsidered`,
:class:`~ethical_decisions.events.DiscussionHeld`, :class:`~ethical_decisions.events.ReviewFinalised`,
:class:`~ethical_decisions.events.LaterOutcomeRecorded`). The classes here are the
rest: what the client says when the server supplies part of the step (the
route, the referral named in the address). All are parsed by the library's
converter and validated by the same field validators as the library's types.
"""

from __future__ import annotations

import datetime as dt

import attrs

from ethical_decisions._fields import (
    FREE_TEXT_FIELD,
    str_tuple,
    validate_bool,
    validate_code,
    validate_date,
    validate_free_text,
    validate_identifier,
    validate_label,
    validate_optional_date,
    validate_optional_free_text,
)
from ethical_decisions.assessments import AssessedElement, Finding
from ethical_decisions.learning import Answer, GuidanceFeedbackKind
from ethical_decisions.model import (
    AdviceResponse,
    CaseReference,
    ProposedDecision,
    StaffRole,
    SystemicIssueStatus,
)

__all__ = [
    "AdviceBody",
    "AdviceResponseBody",
    "AssessmentBody",
    "AssignmentBody",
    "DevSignIn",
    "ErasureBody",
    "EscalationBody",
    "GuidanceFeedbackBody",
    "HandoverBody",
    "InformationBody",
    "IssueLinkBody",
    "IssueStatusBody",
    "OpenReviewBody",
    "ReturnBody",
    "SpeakUpBody",
    "SystemicIssueBody",
    "WithdrawalBody",
]


def _staff_role(value: str) -> StaffRole:
    return StaffRole(value)


def _advice_response(value: str) -> AdviceResponse:
    return AdviceResponse(value)


def _element(value: str) -> AssessedElement:
    return AssessedElement(value)


def _finding(value: str) -> Finding:
    return Finding(value)


def _optional_identifier(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        validate_identifier(instance, attribute, value)


def _optional_code(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        validate_code(instance, attribute, value)


def _optional_label(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        validate_label(instance, attribute, value)


@attrs.frozen
class OpenReviewBody:
    """A proposed decision to review: the model starts here.

    :param case: the casework system's case (its reference is personal data).
    :param proposed: the decision the existing process has reached.
    """

    case: CaseReference
    proposed: ProposedDecision


@attrs.frozen
class EscalationBody:
    """Concerns to escalate through the business area's route.

    :param concern_ids: the concerns to refer, e.g. ``["C1"]``.
    :param question: what the decision-maker asks the route.
    :param route_id: a route other than the business area's own (e.g. a second tier).
    """

    concern_ids: tuple[str, ...] = attrs.field(converter=str_tuple)
    question: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    route_id: str | None = attrs.field(default=None, validator=_optional_identifier)
    policy_team: str | None = attrs.field(default=None, validator=_optional_identifier)


@attrs.frozen
class InformationBody:
    """The decision-maker's answer to a route's request for more information.

    :param response: the information the route asked for.
    """

    response: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class WithdrawalBody:
    """Why a referral awaiting advice is withdrawn.

    :param reason: the reason, recorded with the referral.
    """

    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class ReturnBody:
    """A route team's request to the decision-maker for more information.

    :param question: what the route needs to know.
    """

    question: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class AdviceBody:
    """The route's advice on a referral. It informs the decision; it does not decide.

    :param advice: the advice, in the route team's words.
    """

    advice: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class AdviceResponseBody:
    """What the decision-maker did with a route's advice on one of the referral's concerns, and why.

    Advice informs; the decision-maker decides. A concern left unresolved can be
    escalated again, or acknowledged as unresolved when the decision is taken.

    :param concern_id: the concern the advice was about, e.g. ``C1``.
    :param response: ``followed``, ``followed_in_part`` or ``not_followed``.
    :param reason: why they followed the advice, in part, or not.
    :param resolved: whether the concern is now resolved.
    """

    concern_id: str = attrs.field(validator=validate_identifier)
    response: AdviceResponse = attrs.field(converter=_advice_response)
    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    resolved: bool = attrs.field(validator=validate_bool)


@attrs.frozen
class AssessmentBody:
    """A line manager's finding on one of the model's elements in a closed review's record.

    Recording the same element again replaces the finding. The note is for the
    PDR conversation: it is never in an answer, a report, a log or an error.

    :param element: the model's element assessed, e.g. ``concern_articulated``.
    :param finding: ``evident``, ``partly_evident`` or ``not_evident``.
    :param note: what the manager noticed (optional).
    :param staff_id: whose part in the review is assessed (default: who took the final decision).
    """

    element: AssessedElement = attrs.field(converter=_element)
    finding: Finding = attrs.field(converter=_finding)
    note: str | None = attrs.field(
        default=None, validator=validate_optional_free_text, repr=False, metadata=FREE_TEXT_FIELD
    )
    staff_id: str | None = attrs.field(default=None, validator=_optional_identifier)


@attrs.frozen
class HandoverBody:
    """Hand an open review over to another decision-maker in its business area, saying why.

    Who *to* is comes from the deployment's register of staff (the people file)
    when it lists them; otherwise from *role*, the review's business area, and
    *team* (by default the team of the decision-maker who holds the review).

    :param to: the staff id of the decision-maker who will hold the review.
    :param reason: why it is handed over (leave, a change of caseload); kept in the trail, erasable.
    :param role: their role, when the register of staff does not list them.
    :param team: their team, when the register does not list them (default: the holder's team).
    """

    to: str = attrs.field(validator=validate_identifier)
    reason: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    role: StaffRole | None = attrs.field(default=None, converter=attrs.converters.optional(_staff_role))
    team: str | None = attrs.field(default=None, validator=_optional_label)


@attrs.frozen
class AssignmentBody:
    """Assign a referral to a member of its route's team: yourself, or a colleague.

    :param to: the staff id of the route team member who will work the referral.
    """

    to: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class ErasureBody:
    """Erase a closed review's free text at the end of retention.

    :param reason: a code for why, e.g. ``retention_period_ended``.
    """

    reason: str = attrs.field(default="retention_period_ended", validator=validate_code)


@attrs.frozen
class DevSignIn:
    """Who to be, for the development sign-in (served on a loopback address only).

    :param kind: ``decision_maker``, ``route_team_member``, ``records_officer`` or ``policy_team_member``.
    :param staff_id: the staff id to act as.
    :param role: a decision-maker's job.
    :param business_area: a decision-maker's business area id.
    :param team: a decision-maker's team name.
    :param route_id: a route team member's route.
    :param policy_team: a policy team member's team id, e.g. ``settlement_policy``.
    """

    kind: str = attrs.field(validator=validate_code)
    staff_id: str = attrs.field(validator=validate_identifier)
    role: StaffRole | None = attrs.field(default=None, converter=attrs.converters.optional(_staff_role))
    business_area: str | None = attrs.field(default=None, validator=_optional_code)
    team: str | None = attrs.field(default=None, validator=_optional_label)
    route_id: str | None = attrs.field(default=None, validator=_optional_identifier)
    policy_team: str | None = attrs.field(default=None, validator=_optional_identifier)


def _issue_status(value: str) -> SystemicIssueStatus:
    return SystemicIssueStatus(value)


def _answer(value: str) -> Answer:
    return Answer(value)


def _feedback_kind(value: str) -> GuidanceFeedbackKind:
    return GuidanceFeedbackKind(value)


@attrs.frozen
class SystemicIssueBody:
    """A systemic issue to open on the register from the referral the address names.

    The title and description are free text (erasable, never logged); the rule is a reference.

    :param title: what keeps causing concern, in a line.
    :param description: what the route's team has seen.
    :param rule: the rule or guidance it concerns, as a reference, e.g. ``Appendix FM 1.0 GEN.3.2``.
    :param owner: the policy team that owns that rule or guidance, e.g. ``settlement_policy``.
    :param due_on: when the owner is to have answered it.
    """

    title: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    description: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
    rule: str = attrs.field(validator=validate_label)
    owner: str = attrs.field(validator=validate_identifier)
    due_on: dt.date = attrs.field(validator=validate_date)


@attrs.frozen
class IssueLinkBody:
    """A further referral that raises the systemic issue the address names.

    :param referral_id: the referral to link, e.g. ``rv-0123456789abcdef-R1``.
    """

    referral_id: str = attrs.field(validator=validate_identifier)


@attrs.frozen
class IssueStatusBody:
    """The owning policy team moves a systemic issue on: a new status, a new due date, or both.

    :param status: ``open``, ``accepted``, ``change_made``, ``declined`` or ``closed`` (the one it has,
        to change only the due date).
    :param reason: why it is declined (needed then; free text, erasable).
    :param due_on: a new due date.
    """

    status: SystemicIssueStatus = attrs.field(converter=_issue_status)
    reason: str | None = attrs.field(
        default=None, validator=validate_optional_free_text, repr=False, metadata=FREE_TEXT_FIELD
    )
    due_on: dt.date | None = attrs.field(default=None, validator=validate_optional_date)


@attrs.frozen
class SpeakUpBody:
    """The answers to the speaking-up questions at the close of a review with concerns.

    Kept apart from the review: the month and business area only, never the review's id or the person's.

    :param again: "Given your experience, would you speak up again?": ``yes``, ``no`` or ``not_sure``.
    :param detriment: "Did you suffer any detriment as a result of raising your concern?": the same.
    """

    again: Answer = attrs.field(converter=_answer)
    detriment: Answer = attrs.field(converter=_answer)


@attrs.frozen
class GuidanceFeedbackBody:
    """Feedback on the guidance itself, sent from within the review the address names.

    :param kind: ``question`` (to the Chief Casework Unit) or ``formatting_error`` (to the Guidance
        Review, Atlas and Forms team).
    :param text: the question or the error, about the guidance (never the case).
    """

    kind: GuidanceFeedbackKind = attrs.field(converter=_feedback_kind)
    text: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)
