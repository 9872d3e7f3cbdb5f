"""What a step writes besides its events: the review's summary, its changed referral rows, its outbox.

The service appends these in the same transaction as the events they follow
from (see :class:`ethical_decisions.store.AppendBatch`), so a store's rows are
always what the events say. Each is a pure function of the review before and
after the step, and the events the step recorded: the reliability tests
rebuild the expected rows with the same functions, one event at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .events import Event, InformationProvided, ReferralSubmitted, ReferralWithdrawn
from .review import Referral, Review, referral_id_for
from .store import OutboxMessage, ReferralRecord, ReviewRecord

__all__ = ["OUTBOX_KINDS", "changed_referrals", "outbox_messages", "referral_record", "review_record"]

OUTBOX_KINDS = frozenset({ReferralSubmitted.kind, InformationProvided.kind, ReferralWithdrawn.kind})
"""The kinds of event that a route's team must hear about, each through one outbox message."""


def review_record(review: Review) -> ReviewRecord:
    """The review's summary row, for listing and finding reviews without replaying them."""
    return ReviewRecord(
        review_id=review.review_id,
        business_area=review.business_area,
        staff_id=review.decision_maker.staff_id,
        stage=review.stage,
        version=review.version,
        opened_at=review.opened_at,
        updated_at=review.updated_at,
        closed_at=review.closed_at,
        outcome_class=review.outcome_class,
    )


def referral_record(review: Review, referral: Referral) -> ReferralRecord:
    """The queue row of one of *review*'s referrals, as it stands at the review's last update."""
    return ReferralRecord(
        referral_id=referral.referral_id,
        review_id=review.review_id,
        route_id=referral.route_id,
        route_version=referral.route.version,
        business_area=review.business_area,
        status=referral.status,
        referred_by_role=referral.referred_by.role,
        concern_categories=tuple(
            sorted(c.category for c in review.concerns if c.concern_id in referral.concern_ids)
        ),
        submitted_at=referral.submitted_at,
        due_by=referral.due_by,
        updated_at=review.updated_at,
        acknowledged_at=referral.acknowledged_at,
        advice_at=referral.advice_at,
        closed_at=referral.closed_at,
    )


def changed_referrals(before: Review | None, after: Review) -> tuple[ReferralRecord, ...]:
    """The queue rows of the referrals that are new or different in *after*, in the review's order.

    A referral is compared by its id and its value, not by its projected row: the row's
    ``updated_at`` is the time of the referral's last change, so a step that leaves a
    referral as it was must leave its row alone too.
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
