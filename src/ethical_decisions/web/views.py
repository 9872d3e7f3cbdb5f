"""What the HTTP API answers with: a review, a referral, a route's queue, the audit chain's state.

Each is a frozen attrs class built from the library's public types
(:class:`~ethical_decisions.Review`, :class:`~ethical_decisions.Referral`, the
store's queue rows, :class:`~ethical_decisions.store.StoreReport`), written
as JSON by the library's converter, and described in the OpenAPI document by
the same classes.
"""

from __future__ import annotations

import datetime as dt

import attrs

from ethical_decisions.assessments import AssessedElement, Assessment, Finding
from ethical_decisions.events import (
    AdviceResponded,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    ReferralAssigned,
)
from ethical_decisions.learning import FeedbackItem, IssueLink, IssueRecord, StatusChange, SystemicIssue
from ethical_decisions.model import (
    CaseReference,
    ConcernCategory,
    DecisionMaker,
    FinalDecision,
    OutcomeClass,
    PolicyTeamMember,
    ProposedDecision,
    RecordsOfficer,
    RouteTeamMember,
    StaffRole,
    Stage,
    Step,
    SystemicIssueStatus,
    UnresolvedAcknowledgement,
)
from ethical_decisions.projections import ReferralRecord
from ethical_decisions.review import (
    ConcernRecord,
    ConcernStatus,
    Referral,
    ReferralStatus,
    Resolution,
    Review,
    StepTaken,
)
from ethical_decisions.store import StoreReport

__all__ = [
    "ActorView",
    "AssessmentView",
    "ConcernView",
    "FeedbackView",
    "GuidanceFeedbackView",
    "HistoryEntry",
    "IssueItem",
    "IssueStatusView",
    "IssueView",
    "QueueItem",
    "ReferralView",
    "ReviewView",
    "SampleItem",
    "VerifyView",
    "actor_view",
    "assessment_view",
    "feedback_view",
    "issue_item",
    "issue_view",
    "queue_item",
    "referral_view",
    "review_view",
    "verify_view",
]


@attrs.frozen
class ActorView:
    """Who is signed in.

    :param kind: ``decision_maker``, ``route_team_member``, ``records_officer`` or ``policy_team_member``.
    :param staff_id: their staff id.
    :param role: a decision-maker's job.
    :param business_area: a decision-maker's business area id.
    :param team: a decision-maker's team, or a policy team member's policy team.
    :param route_id: a route team member's route.
    """

    kind: str
    staff_id: str
    role: StaffRole | None = None
    business_area: str | None = None
    team: str | None = None
    route_id: str | None = None


def actor_view(actor: DecisionMaker | RouteTeamMember | RecordsOfficer | PolicyTeamMember) -> ActorView:
    """The view of *actor*."""
    if isinstance(actor, PolicyTeamMember):
        return ActorView("policy_team_member", actor.staff_id, team=actor.team)
    if isinstance(actor, DecisionMaker):
        return ActorView("decision_maker", actor.staff_id, actor.role, actor.business_area, actor.team)
    if isinstance(actor, RouteTeamMember):
        return ActorView("route_team_member", actor.staff_id, route_id=actor.route_id)
    return ActorView("records_officer", actor.staff_id)


@attrs.frozen
class HistoryEntry:
    """One event in a referral's history after its submission.

    :param kind: the event's kind, e.g. ``referral_acknowledged``.
    :param staff_id: who took the step.
    :param text: the question, response or advice it recorded, if any.
    :param assignee: for an assignment, the staff id of the route team member assigned.
    """

    sequence: int
    kind: str
    occurred_at: dt.datetime
    staff_id: str
    text: str | None = None
    assignee: str | None = None


def _history(event: Event) -> HistoryEntry:
    payload = event.payload
    text = getattr(payload, "question", None) or getattr(payload, "response", None)
    text = text or getattr(payload, "advice", None) or getattr(payload, "reason", None)
    assignee = payload.assignee.staff_id if isinstance(payload, ReferralAssigned) else None
    return HistoryEntry(event.sequence, event.kind, event.occurred_at, event.actor.staff_id, text, assignee)


@attrs.frozen
class ConcernView:
    """A concern and everything done about it.

    :param concern_id: ``C1``, ``C2``… in the order raised.
    :param statement: the concern in the decision-maker's words.
    :param resolved_by: the step that resolved it, once resolved.
    :param referral_ids: the referrals made about it.
    :param responses: what the decision-maker did with each route's advice on it, oldest first.
    """

    concern_id: str
    category: ConcernCategory
    statement: str
    status: ConcernStatus
    raised_at: dt.datetime
    resolved_by: Resolution | None
    resolved_at: dt.datetime | None
    discretion: tuple[DiscretionConsidered, ...]
    discussions: tuple[DiscussionHeld, ...]
    referral_ids: tuple[str, ...]
    responses: tuple[AdviceResponded, ...] = ()


def _concern(record: ConcernRecord) -> ConcernView:
    return ConcernView(
        record.concern_id,
        record.category,
        record.concern.statement,
        record.status,
        record.raised_at,
        record.resolved_by,
        record.resolved_at,
        record.discretion,
        record.discussions,
        record.referral_ids,
        record.responses,
    )


@attrs.frozen
class ReferralView:
    """An escalation to a route and what has happened to it.

    :param route_version: the version of the route's rules the review is held to.
    :param question: what the decision-maker asked the route.
    :param due_by: when advice is due under the route's response target.
    :param overdue: still awaiting advice after it was due.
    :param referred_by: who escalated.
    :param assignee: the member of the route's team working it, or ``None`` while it is unassigned.
    :param history: the referral's events after submission.
    :param review_version: the review's version, for ``If-Match``.
    """

    referral_id: str
    review_id: str
    route_id: str
    route_version: str
    status: ReferralStatus
    concern_ids: tuple[str, ...]
    question: str
    referred_by: DecisionMaker
    submitted_at: dt.datetime
    due_by: dt.datetime
    overdue: bool
    acknowledged_at: dt.datetime | None
    advice: str | None
    advice_at: dt.datetime | None
    advised_by: str | None
    closed_at: dt.datetime | None
    assignee: RouteTeamMember | None
    history: tuple[HistoryEntry, ...]
    review_version: int


def referral_view(referral: Referral, review: Review, now: dt.datetime) -> ReferralView:
    """The view of *referral*, part of *review*, as it stands at *now*."""
    return ReferralView(
        referral.referral_id,
        referral.review_id,
        referral.route_id,
        referral.route.version,
        referral.status,
        referral.concern_ids,
        referral.question,
        referral.referred_by,
        referral.submitted_at,
        referral.due_by,
        referral.status.awaiting_advice and referral.due_by < now,
        referral.acknowledged_at,
        referral.advice,
        referral.advice_at,
        referral.advised_by,
        referral.closed_at,
        referral.assignee,
        tuple(_history(e) for e in referral.history),
        review.version,
    )


@attrs.frozen
class ReviewView:
    """A review as it stands, with the steps it allows now.

    :param version: the sequence number of its last event: the ``ETag``.
    :param decision_maker: who takes its decision-maker's steps now: its owner.
    :param owner: who holds it now (the one who opened it, until it is handed over).
    :param opened_by: who opened it.
    :param holders: the staff ids of everyone who has held it, in order.
    :param steps_taken: every step after the opening: who took it, and who held the review then.
    :param stage: where the review is.
    :param reflected: whether the reflection is recorded.
    :param reflection_note: the note recorded with a reflection of no concerns.
    :param final_decision: the final decision, once taken.
    :param unresolved: the acknowledgement of concerns left unresolved, if any.
    :param decision_changed: whether the final decision differs from the proposed one.
    :param allowed_steps: the steps the model allows now (who may take them is another matter).
    """

    review_id: str
    version: int
    stage: Stage
    business_area: str
    decision_maker: DecisionMaker
    owner: DecisionMaker
    opened_by: DecisionMaker
    holders: tuple[str, ...]
    steps_taken: tuple[StepTaken, ...]
    case: CaseReference
    proposed: ProposedDecision
    guidance_version: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    reflected: bool
    reflection_note: str | None
    concerns: tuple[ConcernView, ...]
    referrals: tuple[ReferralView, ...]
    final_decision: FinalDecision | None
    unresolved: UnresolvedAcknowledgement | None
    closed_at: dt.datetime | None
    outcome_class: OutcomeClass | None
    decision_changed: bool | None
    allowed_steps: tuple[Step, ...]


def review_view(review: Review, allowed: tuple[Step, ...], now: dt.datetime) -> ReviewView:
    """The view of *review*, which allows *allowed* now."""
    return ReviewView(
        review.review_id,
        review.version,
        review.stage,
        review.business_area,
        review.decision_maker,
        review.owner,
        review.opened_by,
        review.holders,
        review.steps_taken,
        review.case,
        review.proposed,
        review.guidance_version,
        review.opened_at,
        review.updated_at,
        review.reflection is not None,
        review.reflection.note if review.reflection else None,
        tuple(_concern(c) for c in review.concerns),
        tuple(referral_view(r, review, now) for r in review.referrals),
        review.final_decision,
        review.finalised.unresolved if review.finalised else None,
        review.closed_at,
        review.outcome_class,
        review.decision_changed,
        allowed,
    )


@attrs.frozen
class QueueItem:
    """A referral in a route's queue: no free text, so the queue can be listed to the whole team.

    :param referred_by_role: the job of who referred (a frontline officer may refer directly).
    :param concern_categories: the kinds of concern referred.
    :param overdue: still awaiting advice after it was due.
    :param assignee_id: the staff id of the member of the route's team working it, or ``None``.
    """

    referral_id: str
    review_id: str
    route_id: str
    status: ReferralStatus
    assignee_id: str | None
    referred_by_role: StaffRole
    concern_categories: tuple[ConcernCategory, ...]
    submitted_at: dt.datetime
    due_by: dt.datetime
    overdue: bool
    acknowledged_at: dt.datetime | None


def queue_item(record: ReferralRecord, now: dt.datetime) -> QueueItem:
    """The queue row for *record* as it stands at *now*."""
    return QueueItem(
        record.referral_id,
        record.review_id,
        record.route_id,
        record.status,
        record.assignee_id,
        record.referred_by_role,
        record.concern_categories,
        record.submitted_at,
        record.due_by,
        record.status.awaiting_advice and record.due_by < now,
        record.acknowledged_at,
    )


@attrs.frozen
class VerifyView:
    """Whether the audit chain verifies.

    :param ok: every event links to the one before and matches its projections.
    :param message: what ``verify`` reports, in words.
    :param head_position: the chain's last link; keep it elsewhere to detect truncation.
    :param broken_position: where the chain first breaks, if it does.
    """

    ok: bool
    events: int
    reviews: int
    message: str
    head_position: int | None
    head_hash: str | None
    broken_position: int | None


def verify_view(report: StoreReport) -> VerifyView:
    """The view of a verification *report*."""
    head = report.head
    return VerifyView(
        report.ok,
        report.events,
        report.reviews,
        str(report),
        head.position if head else None,
        head.hash if head else None,
        report.broken.position if report.broken else None,
    )


@attrs.frozen
class AssessmentView:
    """A line manager's finding on one element of one person's part in a closed review (never the note).

    :param staff_id: whose part in the review is assessed.
    :param assessed_by: the line manager's staff id.
    :param noted: whether the manager wrote a note (the note itself is never sent).
    """

    review_id: str
    staff_id: str
    element: AssessedElement
    finding: Finding
    assessed_by: str
    assessed_at: dt.datetime
    noted: bool


def assessment_view(assessment: Assessment) -> AssessmentView:
    """The view of *assessment*, without its note."""
    return AssessmentView(
        assessment.review_id,
        assessment.staff_id,
        assessment.element,
        assessment.finding,
        assessment.assessed_by,
        assessment.assessed_at,
        assessment.note is not None,
    )


@attrs.frozen
class SampleItem:
    """One record in a person's sample to assess, with the findings recorded so far (no free text).

    :param review_id: the closed review.
    :param closed_at: when it closed.
    :param outcome_class: how it ended.
    :param findings: the findings recorded so far on this person's part, in the model's order.
    """

    review_id: str
    closed_at: dt.datetime
    outcome_class: OutcomeClass
    findings: tuple[AssessmentView, ...]


@attrs.frozen
class IssueItem:
    """A systemic issue on the register, as the register lists it to signed-in staff.

    :param title: the issue's title (free text; ``[erased]`` once erased).
    :param route_id: the route whose team raised it.
    :param owner: the policy team that owns it.
    :param overdue: still open or accepted after its due date.
    :param referrals: how many referrals are linked to it.
    """

    issue_id: str
    version: int
    title: str
    status: SystemicIssueStatus
    route_id: str
    owner: str
    opened_at: dt.datetime
    due_on: dt.date
    overdue: bool
    referrals: int


def issue_item(record: IssueRecord, title: str, today: dt.date) -> IssueItem:
    """The register's line for *record*, whose title is *title*, as it stands *today*."""
    return IssueItem(
        record.issue_id,
        record.version,
        title,
        record.status,
        record.route_id,
        record.owner,
        record.opened_at,
        record.due_on,
        record.overdue(today),
        len(record.referral_ids),
    )


@attrs.frozen
class IssueView:
    """A systemic issue with its status history and the referrals linked to it.

    :param version: the number of events the issue holds: the ``ETag``.
    :param title: free text (``[erased]`` once erased); so are *description* and each reason in *history*.
    :param rule: the rule or guidance it concerns, as a reference.
    :param owner: the policy team that owns it and moves it on.
    :param route_id: the route whose team raised it.
    :param overdue: still open or accepted after its due date.
    :param next_statuses: the statuses it may move to now.
    :param links: the referrals linked to it, oldest first.
    :param history: each move of its status, oldest first.
    """

    issue_id: str
    version: int
    status: SystemicIssueStatus
    title: str
    description: str
    rule: str
    owner: str
    route_id: str
    opened_at: dt.datetime
    opened_by: str
    due_on: dt.date
    overdue: bool
    next_statuses: tuple[SystemicIssueStatus, ...]
    links: tuple[IssueLink, ...]
    history: tuple[StatusChange, ...]
    erased_at: dt.datetime | None


def issue_view(issue: SystemicIssue, today: dt.date) -> IssueView:
    """The view of *issue* as it stands *today*."""
    return IssueView(
        issue.issue_id,
        issue.version,
        issue.status,
        issue.title,
        issue.description,
        issue.rule,
        issue.owner,
        issue.route_id,
        issue.opened_at,
        issue.opened_by,
        issue.due_on,
        issue.overdue(today),
        tuple(s for s in SystemicIssueStatus if s in issue.status.next_statuses),
        issue.links,
        issue.history,
        issue.erased_at,
    )


@attrs.frozen
class IssueStatusView:
    """A systemic issue a referral is linked to, with its status now."""

    issue_id: str
    status: SystemicIssueStatus


@attrs.frozen
class FeedbackView:
    """A referral the signed-in person made, and what has come of it since (ids, codes and times only).

    :param advice_at: when the route advised, once it has.
    :param issues: the systemic issues the referral is linked to, each with its status now.
    """

    referral_id: str
    route_id: str
    submitted_at: dt.datetime
    advice_at: dt.datetime | None
    issues: tuple[IssueStatusView, ...]


def feedback_view(item: FeedbackItem) -> FeedbackView:
    """The view of one line of :meth:`~ethical_decisions.EthicalDecisions.feedback`."""
    return FeedbackView(
        item.referral_id,
        item.route_id,
        item.submitted_at,
        item.advice_at,
        tuple(IssueStatusView(issue_id, status) for issue_id, status in item.issues),
    )


@attrs.frozen
class GuidanceFeedbackView:
    """What became of feedback on the guidance.

    :param taken: a plugin took it to the team it is for; otherwise it is only counted.
    """

    taken: bool
