"""The learning loop: the register of systemic issues, as the fold of each issue's own events.

A route team sees many referrals; some of them show that a rule or a piece of
guidance keeps causing the same discomfort. A member of the route's team opens
a *systemic issue* on the register (or links the referral to one already
open), naming the rule or guidance it concerns and the policy team that owns
it; the policy team moves it on (accepted, change made, declined with a reason,
closed). Each issue is a stream of events of its own in the store's one audit
chain, with an id ``si-…``: its events are sealed, chained and verified like a
review's, its free text (title, description, a reason for declining) is erased
like a review's, and the ``systemic_issues`` table is rebuilt from them.

This module is pure: :func:`issue_from` folds an issue's events,
:func:`issue_record` makes its row, :func:`check_update` says whether a change
of status is allowed.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Iterable

import attrs

from ._fields import FREE_TEXT_FIELD, validate_code, validate_free_text, validate_identifier
from .events import (
    Event,
    FreeTextErased,
    SystemicIssueLinked,
    SystemicIssueOpened,
    SystemicIssueUpdated,
    is_issue_id,
)
from .exceptions import IntegrityError, ValidationError
from .model import ConcernCategory, SystemicIssueStatus

__all__ = [
    "DETRIMENT_QUESTION",
    "ISSUE_OPEN_STATUSES",
    "SPEAK_UP_QUESTION",
    "Answer",
    "FeedbackItem",
    "FeedbackKind",
    "FeedbackNotice",
    "GuidanceFeedback",
    "GuidanceFeedbackKind",
    "GuidanceFeedbackNote",
    "IssueLink",
    "IssueRecord",
    "SpeakUpAnswer",
    "StatusChange",
    "SystemicIssue",
    "check_update",
    "evolve_issue",
    "issue_from",
    "issue_record",
    "new_issue_id",
]

ISSUE_OPEN_STATUSES = frozenset({SystemicIssueStatus.OPEN, SystemicIssueStatus.ACCEPTED})
"""The statuses in which an issue still waits for its owner: past its due date, it is overdue."""


def new_issue_id() -> str:
    """A fresh random issue id, e.g. ``"si-3f9a1c2b7d4e5f60"``."""
    return f"si-{os.urandom(8).hex()}"


@attrs.frozen
class IssueLink:
    """A referral linked to a systemic issue, by whom and when."""

    referral_id: str
    linked_by: str
    linked_at: dt.datetime
    concern_categories: tuple[ConcernCategory, ...]


@attrs.frozen
class StatusChange:
    """One move of an issue's status by its owner (``reason`` is free text, given when declining)."""

    status: SystemicIssueStatus
    by: str
    at: dt.datetime
    reason: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class SystemicIssue:
    """A systemic issue as its events leave it.

    :param title: free text (``"[erased]"`` once erased).
    :param rule: the rule or guidance it concerns, as a reference.
    :param owner: the policy team that owns it.
    :param route_id: the route whose team raised it.
    """

    issue_id: str
    version: int
    opened_at: dt.datetime
    opened_by: str
    updated_at: dt.datetime
    route_id: str
    title: str = attrs.field(repr=False)
    description: str = attrs.field(repr=False)
    rule: str
    owner: str
    due_on: dt.date
    status: SystemicIssueStatus = SystemicIssueStatus.OPEN
    links: tuple[IssueLink, ...] = ()
    history: tuple[StatusChange, ...] = ()
    erased_at: dt.datetime | None = None

    @property
    def referral_ids(self) -> tuple[str, ...]:
        """The referrals linked to the issue, in the order they were linked."""
        return tuple(link.referral_id for link in self.links)

    @property
    def concern_categories(self) -> tuple[ConcernCategory, ...]:
        """The concern categories of the linked referrals, each once, in the model's order."""
        found = {c for link in self.links for c in link.concern_categories}
        return tuple(c for c in ConcernCategory if c in found)

    def overdue(self, today: dt.date) -> bool:
        """Whether the issue still waits for its owner after its due date."""
        return self.status in ISSUE_OPEN_STATUSES and self.due_on < today


@attrs.frozen
class IssueRecord:
    """A systemic issue's row in the ``systemic_issues`` table: no free text."""

    issue_id: str
    route_id: str
    owner: str
    status: SystemicIssueStatus
    opened_by: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    due_on: dt.date
    version: int
    referral_ids: tuple[str, ...]
    concern_categories: tuple[ConcernCategory, ...]

    def overdue(self, today: dt.date) -> bool:
        """Whether the issue still waits for its owner after its due date."""
        return self.status in ISSUE_OPEN_STATUSES and self.due_on < today


def _broken(event: Event, problem: str) -> IntegrityError:
    return IntegrityError(
        f"The systemic issue's trail is not whole: event {event.sequence} {problem}. It was changed "
        "outside the library; keep the store as it is and run verify to find where the chain breaks."
    )


def evolve_issue(issue: SystemicIssue | None, event: Event) -> SystemicIssue:
    """The issue after *event* (``issue`` is ``None`` only for the opening event).

    :raises IntegrityError: if the event does not follow from the issue.
    """
    payload = event.payload
    if issue is None:
        if (
            not isinstance(payload, SystemicIssueOpened)
            or event.sequence != 1
            or not is_issue_id(event.review_id)
        ):
            raise _broken(event, "is not the opening of a systemic issue at sequence 1")
        return SystemicIssue(
            issue_id=event.review_id,
            version=1,
            opened_at=event.occurred_at,
            opened_by=event.actor.staff_id,
            updated_at=event.occurred_at,
            route_id=payload.route_id,
            title=payload.title,
            description=payload.description,
            rule=payload.rule,
            owner=payload.owner,
            due_on=payload.due_on,
        )
    if event.review_id != issue.issue_id or event.sequence != issue.version + 1:
        raise _broken(event, f"does not follow event {issue.version} of the same issue")
    version, at = event.sequence, event.occurred_at
    if isinstance(payload, SystemicIssueLinked):
        link = IssueLink(
            payload.referral_id, event.actor.staff_id, event.occurred_at, payload.concern_categories
        )
        return attrs.evolve(issue, links=(*issue.links, link), version=version, updated_at=at)
    if isinstance(payload, SystemicIssueUpdated):
        change = StatusChange(payload.status, event.actor.staff_id, event.occurred_at, payload.reason)
        due = payload.due_on if payload.due_on is not None else issue.due_on
        return attrs.evolve(
            issue,
            status=payload.status,
            due_on=due,
            history=(*issue.history, change),
            version=version,
            updated_at=at,
        )
    if isinstance(payload, FreeTextErased):
        return attrs.evolve(issue, erased_at=event.occurred_at, version=version, updated_at=at)
    raise _broken(event, "is not an event of a systemic issue")


def issue_from(events: Iterable[Event]) -> SystemicIssue:
    """The issue that *events* (all of one issue's, in order) leave.

    :raises IntegrityError: if they are not a whole issue's trail.
    """
    issue: SystemicIssue | None = None
    for event in events:
        issue = evolve_issue(issue, event)
    if issue is None:
        raise IntegrityError("A systemic issue's trail has no events.")
    return issue


def issue_record(issue: SystemicIssue) -> IssueRecord:
    """The issue's row in the ``systemic_issues`` table."""
    return IssueRecord(
        issue_id=issue.issue_id,
        route_id=issue.route_id,
        owner=issue.owner,
        status=issue.status,
        opened_by=issue.opened_by,
        opened_at=issue.opened_at,
        updated_at=issue.updated_at,
        due_on=issue.due_on,
        version=issue.version,
        referral_ids=issue.referral_ids,
        concern_categories=issue.concern_categories,
    )


def check_update(issue: SystemicIssue, update: SystemicIssueUpdated) -> None:
    """Refuse a change of status the register does not allow, naming the field and never the text.

    :raises ValidationError: if the status cannot follow the issue's, or a decline has no reason.
    """
    if update.status is not issue.status and update.status not in issue.status.next_statuses:
        allowed = ", ".join(sorted(s.value for s in issue.status.next_statuses)) or "none: it is closed"
        raise ValidationError(
            "The systemic issue's update",
            [f"status: an issue that is {issue.status.value} can move to {allowed}"],
        )
    if update.status is issue.status and update.due_on is None:
        raise ValidationError("The systemic issue's update", ["status: give a new status or a new due date"])
    if update.status is SystemicIssueStatus.DECLINED and not update.reason:
        raise ValidationError("The systemic issue's update", ["reason: declining an issue needs a reason"])


# -- speaking up -------------------------------------------------------------------------------

SPEAK_UP_QUESTION = "Given your experience, would you speak up again?"
"""The NHS Freedom to Speak Up question, verbatim, asked at the close of a review with concerns."""

DETRIMENT_QUESTION = "Did you suffer any detriment as a result of raising your concern?"
"""Asked with :data:`SPEAK_UP_QUESTION`."""


class Answer(enum.StrEnum):
    """An answer to one of the speaking-up questions."""

    YES = "yes"
    NO = "no"
    NOT_SURE = "not_sure"


def _answer(value: str) -> Answer:
    try:
        return Answer(value)
    except ValueError:
        codes = ", ".join(a.value for a in Answer)
        raise ValidationError("The speaking-up answer", [f"$: must be one of {codes}"]) from None


@attrs.frozen
class SpeakUpAnswer:
    """An answer to the speaking-up questions, kept apart from the review: no staff id, no review id.

    :param month: ``YYYY-MM`` (UTC) when it was given; no finer, so that it cannot be matched to a review.
    """

    month: str
    business_area: str = attrs.field(validator=validate_code)
    again: Answer = attrs.field(converter=_answer)
    detriment: Answer = attrs.field(converter=_answer)


# -- feedback on the guidance ------------------------------------------------------------------


class GuidanceFeedbackKind(enum.StrEnum):
    """What a decision-maker's feedback on the guidance is: the model's Contacts say where each goes."""

    QUESTION = "question"
    """A question about the guidance: to the Chief Casework Unit."""
    FORMATTING_ERROR = "formatting_error"
    """A formatting error: to the Guidance Review, Atlas and Forms team."""


def _feedback_kind(value: str) -> GuidanceFeedbackKind:
    try:
        return GuidanceFeedbackKind(value)
    except ValueError:
        codes = ", ".join(k.value for k in GuidanceFeedbackKind)
        raise ValidationError("The guidance feedback", [f"kind: must be one of {codes}"]) from None


@attrs.frozen
class GuidanceFeedback:
    """Feedback on the guidance itself, sent from within a review, for the plugin that handles it.

    It carries none of the case's free text: only who sent it (to answer them), the
    version of the guidance and the words about the guidance.
    """

    staff_id: str = attrs.field(validator=validate_identifier)
    business_area: str = attrs.field(validator=validate_code)
    guidance_version: str = attrs.field(validator=validate_identifier)
    kind: GuidanceFeedbackKind = attrs.field(converter=_feedback_kind)
    text: str = attrs.field(validator=validate_free_text, repr=False, metadata=FREE_TEXT_FIELD)


@attrs.frozen
class GuidanceFeedbackNote:
    """What the store counts of a piece of guidance feedback: no words, no person."""

    month: str
    business_area: str
    guidance_version: str
    kind: GuidanceFeedbackKind


# -- feedback to the person who raised a concern --------------------------------------------------


class FeedbackKind(enum.StrEnum):
    """What came of a concern someone raised."""

    ADVICE_GIVEN = "advice_given"
    ISSUE_LINKED = "issue_linked"
    ISSUE_STATUS_CHANGED = "issue_status_changed"
    LATER_OUTCOME = "later_outcome"
    """A later outcome (an appeal, a complaint…) was recorded against the decision the referral informed."""


@attrs.frozen
class FeedbackNotice:
    """What the decision-maker who raised a concern is told: ids and codes only, never free text.

    :param staff_id: who raised it (made the referral).
    :param referral_id: their referral.
    :param issue_id: the systemic issue, for a change on the register.
    :param status: the issue's status after the change.
    """

    staff_id: str
    kind: FeedbackKind
    referral_id: str
    at: dt.datetime
    issue_id: str | None = None
    status: SystemicIssueStatus | None = None


@attrs.frozen
class FeedbackItem:
    """One line of a person's feedback view: a referral of theirs and what has come of it since."""

    referral_id: str
    route_id: str
    submitted_at: dt.datetime
    advice_at: dt.datetime | None
    issues: tuple[tuple[str, SystemicIssueStatus], ...] = ()
    """The systemic issues the referral is linked to, each with its status now."""
