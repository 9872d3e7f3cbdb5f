"""The rows a step writes besides its events: which referral rows change, and the outbox messages."""

from __future__ import annotations

import datetime as dt

import attrs

from ethical_decisions import (
    Concern,
    ConcernCategory,
    DecisionMaker,
    EthicalDecisions,
    ReferralStatus,
    Review,
    RouteTeamMember,
)
from ethical_decisions.events import ConcernRaised, Payload, ReferralAcknowledged
from ethical_decisions.projections import changed_referrals, outbox_messages, referral_record
from ethical_decisions.review import evolve
from ethical_decisions.steps import decide

from . import scenarios

LATER = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)


def _step(review: Review, payload: Payload, by: DecisionMaker | RouteTeamMember) -> Review:
    return evolve(review, decide(review, payload, actor=by, now=LATER))


def _copied(review: Review) -> Review:
    """*review* with each referral rebuilt: equal to the original, but not the same object."""
    return attrs.evolve(review, referrals=tuple(attrs.evolve(r) for r in review.referrals))


def test_a_new_referral_gets_its_row(edm: EthicalDecisions, dm: DecisionMaker) -> None:
    """Escalating writes the new referral's queue row, as the review stands after the escalation."""
    before = scenarios.prepare(edm, scenarios.open_with_concern(edm, dm).review_id, dm)
    after = edm.escalate(before.review_id, by=dm, concern_ids=["C1"], question=scenarios.QUESTION)

    (referral,) = after.referrals
    assert (referral_record(after, referral),) == changed_referrals(before, after)


def test_a_changed_referral_gets_its_row_with_the_time_of_the_change(
    edm: EthicalDecisions, dm: DecisionMaker
) -> None:
    """Acknowledging a referral rewrites its row, with the new status and the step's time."""
    before = scenarios.escalated(edm, dm)
    (referral,) = before.referrals
    after = _step(
        before, ReferralAcknowledged(referral.referral_id), RouteTeamMember("t-1", referral.route_id)
    )

    (row,) = changed_referrals(before, after)
    assert (referral.referral_id, ReferralStatus.ACKNOWLEDGED, LATER) == (
        row.referral_id,
        row.status,
        row.updated_at,
    )


def test_a_referral_the_step_leaves_alone_keeps_its_row_whatever_the_fold_does(
    edm: EthicalDecisions, dm: DecisionMaker
) -> None:
    """A step that does not change a referral writes no row for it, even if the fold rebuilt the referral.

    Referrals are compared by id and value, not by object identity: an equal copy is no change,
    so the row keeps the time of the referral's own last change.
    """
    before = scenarios.escalated(edm, dm)
    after = _step(before, ConcernRaised(Concern(ConcernCategory.VULNERABILITY, scenarios.STATEMENT)), dm)

    assert () == changed_referrals(before, after)
    assert () == changed_referrals(before, _copied(after))
    assert () == changed_referrals(_copied(before), after)


def test_only_steps_a_route_must_hear_of_make_outbox_messages(
    edm: EthicalDecisions, dm: DecisionMaker
) -> None:
    """An escalation makes one message keyed by its referral id; acknowledging it makes none."""
    review = scenarios.escalated(edm, dm)
    (referral,) = review.referrals
    submitted = edm.trail(review.review_id)[-1]
    acknowledged = decide(
        review,
        ReferralAcknowledged(referral.referral_id),
        actor=RouteTeamMember("t-1", referral.route_id),
        now=LATER,
    )

    (message,) = outbox_messages(review, [submitted, acknowledged])
    assert (referral.referral_id, referral.referral_id, f"{review.review_id}#{submitted.sequence}") == (
        message.referral_id,
        message.idempotency_key,
        message.message_id,
    )
