"""What a step writes besides its events: the review's summary, its changed referral rows, its outbox.

The service appends these in the same transaction as the events they follow
from (see :class:`ethical_decisions.store.AppendBatch`), so a store's rows are
always what the events say. Each is a pure function of the review and the
events it recorded, so the rows can be rebuilt from the events alone: a store
does that when a migration adds a column, and ``verify`` to check them.

The records live here, below the store, so that the store can rebuild them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import attrs

from .compliance import re_escalation
from .events import Event, InformationProvided, ReferralSubmitted, ReferralWithdrawn
from .model import ConcernCategory, OutcomeClass, StaffRole, Stage
from .review import Referral, ReferralStatus, Review, referral_id_for

__all__ = [
    "OUTBOX_KINDS",
    "OutboxMessage",
    "ReferralRecord",
    "ReviewRecord",
    "changed_referrals",
    "outbox_messages",
    "referral_record",
    "review_record",
]


@attrs.frozen
class ReviewRecord:
    """A review's summary row: for listing and finding reviews without replaying them."""

    review_id: str
    business_area: str
    staff_id: str
    """Who opened the review."""
    owner_id: str
    """Who holds the review now (the opener, until it is handed over)."""
    stage: Stage
    version: int
    opened_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None = None
    outcome_class: OutcomeClass | None = None


@attrs.frozen
class ReferralRecord:
    """A referral as its route's team sees it in their queue. Holds no free text."""

    referral_id: str
    review_id: str
    route_id: str
    route_version: str
    business_area: str
    status: ReferralStatus
    referred_by: str
    """The staff id of the decision-maker who made the referral."""
    referred_by_role: StaffRole
    concern_categories: tuple[ConcernCategory, ...]
    submitted_at: dt.datetime
    due_by: dt.datetime
    updated_at: dt.datetime
    proposed_at: dt.datetime
    """When the review's proposed decision was recorded (the review opened): time to escalate runs from it."""
    acknowledged_at: dt.datetime | None = None
    advice_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    assignee_id: str | None = None
    """The staff id of the route team member working it, or ``None`` while it is unassigned."""
    re_escalation: bool = False
    """Whether it takes a concern further after a route's advice on it (the same route or a second tier)."""


@attrs.frozen
class OutboxMessage:
    """A message to a route's team, written in the same transaction as its event.

    :param message_id: ``"<review id>#<sequence>"`` of the event it reports.
    :param idempotency_key: the referral id for a submission, else the message id.
    """

    message_id: str
    referral_id: str
    review_id: str
    route_id: str
    kind: str
    idempotency_key: str
    created_at: dt.datetime


OUTBOX_KINDS = frozenset({ReferralSubmitted.kind, InformationProvided.kind, ReferralWithdrawn.kind})
"""The kinds of event that a route's team must hear about, each through one outbox message."""


def review_record(review: Review) -> ReviewRecord:
    """The review's summary row, for listing and finding reviews without replaying them."""
    return ReviewRecord(
        review_id=review.review_id,
        business_area=review.business_area,
        staff_id=review.opened_by.staff_id,
        owner_id=review.owner.staff_id,
        stage=review.stage,
        version=review.version,
        opened_at=review.opened_at,
        updated_at=review.updated_at,
        closed_at=review.closed_at,
        outcome_class=review.outcome_class,
    )


def referral_record(review: Review, referral: Referral) -> ReferralRecord:
    """The queue row of one of *review*'s referrals."""
    return ReferralRecord(
        referral_id=referral.referral_id,
        review_id=review.review_id,
        route_id=referral.route_id,
        route_version=referral.route.version,
        business_area=review.business_area,
        status=referral.status,
        referred_by=referral.referred_by.staff_id,
        referred_by_role=referral.referred_by.role,
        concern_categories=tuple(
            sorted(c.category for c in review.concerns if c.concern_id in referral.concern_ids)
        ),
        submitted_at=referral.submitted_at,
        due_by=referral.due_by,
        updated_at=referral.updated_at,
        proposed_at=review.opened_at,
        acknowledged_at=referral.acknowledged_at,
        advice_at=referral.advice_at,
        closed_at=referral.closed_at,
        assignee_id=referral.assignee.staff_id if referral.assignee is not None else None,
        re_escalation=re_escalation(review, referral),
    )


def changed_referrals(before: Review | None, after: Review) -> tuple[ReferralRecord, ...]:
    """The queue rows of the referrals that are new or different in *after*, in the review's order.

    A referral is compared by its id and its value: a step that leaves a referral
    as it was leaves its row alone too.
    """
    kept = {r.referral_id: r for r in before.referrals} if before is not None else {}
    return tuple(referral_record(after, r) for r in after.referrals if kept.get(r.referral_id) != r)


def outbox_messages(review: Review, events: Iterable[Event]) -> Iterator[OutboxMessage]:
    """One message for each of *events* that a route's team must hear about; *review* is after them.

    A submission's message takes the referral id as its idempotency key (a receiver
    acts on one referral once); any later message takes its own id.
    """
    for event in events:
        if event.kind not in OUTBOX_KINDS:
            continue
        message_id = f"{event.review_id}#{event.sequence}"
        if isinstance(event.payload, ReferralSubmitted):
            referral_id = referral_id_for(event.review_id, event.sequence)
            key = referral_id
        else:
            assert isinstance(event.payload, InformationProvided | ReferralWithdrawn)
            referral_id = event.payload.referral_id
            key = message_id
        referral = review.referral(referral_id)
        assert referral is not None
        yield OutboxMessage(
            message_id=message_id,
            referral_id=referral_id,
            review_id=event.review_id,
            route_id=referral.route_id,
            kind=event.kind,
            idempotency_key=key,
            created_at=event.occurred_at,
        )
