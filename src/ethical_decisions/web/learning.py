"""The learning loop as the API and the pages both take it: systemic issues, feedback, speaking up.

Every step goes through the library's service, which asks the permission policy
(a member of the team of the route a referral went to opens or links an issue,
never from a referral they made; a member of the owning policy team moves it on)
and the register's rules (:func:`~ethical_decisions.learning.check_update`). The
web layer adds only what HTTP needs: an issue's ``ETag`` is its version and
``If-Match`` is checked against it (412), an id in the address that names nothing
is 404, and no message repeats a value that was sent.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from ethical_decisions.exceptions import NotFoundError, NotOnRecordError, ValidationError
from ethical_decisions.learning import SystemicIssue
from ethical_decisions.model import DecisionMaker, PolicyTeamMember, RouteTeamMember, Step
from ethical_decisions.policy import Permission, PermissionRequest
from ethical_decisions.review import Referral, Review
from ethical_decisions.service import EthicalDecisions

from .access import check_referral, check_review
from .bodies import GuidanceFeedbackBody, IssueLinkBody, IssueStatusBody, SpeakUpBody, SystemicIssueBody
from .hookspecs import WebActor
from .problems import HttpProblem
from .views import IssueItem, issue_item

__all__ = [
    "decision_maker",
    "issue",
    "issue_permission",
    "link",
    "open_issue",
    "readable_referral",
    "record_speak_up",
    "register",
    "send_guidance_feedback",
    "speak_up_offered",
    "stale",
    "update",
]


def stale() -> HttpProblem:
    """The problem for an ``If-Match`` (or a page's version) the issue no longer has."""
    return HttpProblem(
        412,
        "stale",
        "The systemic issue has changed since you read it",
        "The systemic issue has changed since you read it. Nothing was recorded; read it again and "
        "decide whether your change still applies.",
        error="ConflictError",
    )


def issue(edm: EthicalDecisions, issue_id: str, version: int | None = None) -> SystemicIssue:
    """The systemic issue *issue_id* names (404 if none), at *version* if one is given (else 412)."""
    try:
        found = edm.systemic_issue(issue_id)
    except NotOnRecordError:
        raise NotFoundError("systemic issue", issue_id) from None
    if version is not None and version != found.version:
        raise stale()
    return found


def readable_referral(edm: EthicalDecisions, by: WebActor, referral_id: str) -> tuple[Referral, Review]:
    """The referral *referral_id* names and its review, if *by* may read them (else 404)."""
    referral = edm.referral(referral_id)
    review = edm.review(referral.review_id)
    check_referral(by, referral, review, edm.plugins.people)
    return referral, review


def issue_permission(
    edm: EthicalDecisions,
    by: WebActor,
    step: Step,
    *,
    review: Review | None = None,
    referral: Referral | None = None,
    owner: str | None = None,
) -> Permission:
    """The policy's answer to *by* taking a step on the register, asked exactly as the service asks it."""
    return edm.plugins.permission(PermissionRequest(by, step, review, referral, issue_owner=owner))


def register(edm: EthicalDecisions, today: dt.date) -> list[IssueItem]:
    """The register as it stands *today*, oldest first, with each issue's title."""
    return [issue_item(r, edm.systemic_issue(r.issue_id).title, today) for r in edm.systemic_issues()]


def open_issue(
    edm: EthicalDecisions, by: WebActor, referral_id: str, body: SystemicIssueBody
) -> SystemicIssue:
    """Open an issue from the referral *referral_id* names, as *by* (404 if they may not read it)."""
    referral, _ = readable_referral(edm, by, referral_id)
    return edm.open_systemic_issue(
        referral.referral_id,
        by=cast(RouteTeamMember, by),  # the policy refuses any other actor (403)
        title=body.title,
        description=body.description,
        rule=body.rule,
        owner=body.owner,
        due_on=body.due_on,
    )


def link(
    edm: EthicalDecisions, by: WebActor, issue_id: str, body: IssueLinkBody, version: int | None
) -> SystemicIssue:
    """Link the referral *body* names to the issue, as *by*, if the issue is still at *version*.

    A referral the store does not hold, or one *by* may not read, is a 422 that does not repeat the id.
    """
    found = issue(edm, issue_id, version)
    try:
        referral, _ = readable_referral(edm, by, body.referral_id)
    except NotFoundError:
        raise ValidationError(
            "The link", ["referral_id: no referral with that id is one you may link; check the id"]
        ) from None
    return edm.link_systemic_issue(found.issue_id, referral.referral_id, by=cast(RouteTeamMember, by))


def update(
    edm: EthicalDecisions, by: WebActor, issue_id: str, body: IssueStatusBody, version: int | None
) -> SystemicIssue:
    """Move the issue on as *by* (the policy refuses anyone not on its policy team), if still at *version*."""
    found = issue(edm, issue_id, version)
    return edm.update_systemic_issue(
        found.issue_id,
        by=cast(PolicyTeamMember, by),  # the policy refuses any other actor (403)
        status=body.status,
        reason=body.reason,
        due_on=body.due_on,
    )


def decision_maker(by: WebActor, what: str) -> DecisionMaker:
    """*by* as a decision-maker; 403 for anyone else (*what*: what they tried, in words)."""
    if not isinstance(by, DecisionMaker):
        raise HttpProblem(
            403,
            "not-permitted",
            "You may not do this",
            f"Only a decision-maker {what}; you are not signed in as one. Nothing was recorded.",
        )
    return by


def speak_up_offered(by: WebActor, review: Review) -> bool:
    """Whether the speaking-up questions are for *by* on *review*: they closed it, and it had concerns."""
    return (
        isinstance(by, DecisionMaker)
        and review.is_closed
        and bool(review.concerns)
        and review.decided_by == by.staff_id
    )


def record_speak_up(edm: EthicalDecisions, by: WebActor, review_id: str, body: SpeakUpBody) -> None:
    """Keep *by*'s answers to the speaking-up questions asked at the close of the review."""
    person = decision_maker(by, "who closed a review with concerns answers these questions")
    review = edm.review(review_id)
    check_review(person, review, edm.plugins.people)
    edm.record_speak_up(review.review_id, by=person, again=body.again, detriment=body.detriment)


def send_guidance_feedback(
    edm: EthicalDecisions, by: WebActor, review_id: str, body: GuidanceFeedbackBody
) -> bool:
    """Send *by*'s feedback on the guidance from within the review; whether a plugin took it."""
    person = decision_maker(by, "sends feedback on the guidance from a review")
    review = edm.review(review_id)
    check_review(person, review, edm.plugins.people)
    return edm.send_guidance_feedback(review.review_id, by=person, kind=body.kind, text=body.text)
