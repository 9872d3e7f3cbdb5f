"""Compliance records: what PDR monitoring may see of a closed review.

Windrush Recommendation 17 asks for "a system for monitoring compliance with
the ethical standard ... built into the Performance Development Review
process". A :class:`ComplianceRecord` is built from a review when it closes
(and rebuilt when a later outcome is recorded). It holds who decided, where,
when, which steps of the model were used and how the review ended. It holds no
applicant data and no free text: not the case reference, not a statement, not
a rationale, not a reason given for a response to advice. Plugins may add
fields through the ``ethical_decisions_compliance_record`` hook; their values
must be scalars.

It records nothing the rules force: every closed review has a reflection and a
rationale, and every referral ended with advice or was withdrawn, because the
library requires it, so none of that is a field to monitor. What it records
can differ between reviews and people: which steps were used, what the
decision-maker did with a route's advice, whether they escalated again, whether
a route asked for more information, and how the decision fared if challenged.
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
from collections.abc import Mapping

import attrs

from ._fields import FrozenDict, frozen_dict
from .events import LaterOutcomeRecorded
from .model import (
    AdviceResponse,
    ConcernCategory,
    DiscretionScope,
    LaterOutcomeKind,
    LaterOutcomeResult,
    OutcomeClass,
    StaffRole,
)
from .review import Referral, ReferralStatus, Review

__all__ = ["ComplianceRecord", "Part", "Scalar", "StepUsed", "build_record", "re_escalation"]

Scalar = str | int | float | bool | None
"""A value a plugin may add to a compliance record."""


class StepUsed(enum.StrEnum):
    """A step of the model that a review used, as recorded for monitoring."""

    DISCRETION_INSIDE_RULES = "discretion_inside_rules"
    DISCRETION_OUTSIDE_RULES = "discretion_outside_rules"
    DISCUSSION = "discussion"
    ESCALATION = "escalation"
    INFORMATION_REQUESTED = "information_requested"
    REFERRAL_WITHDRAWN = "referral_withdrawn"


class Part(enum.StrEnum):
    """A part someone took in a closed review, for crediting them in their PDR."""

    OPENED = "opened"
    REFLECTED = "reflected"
    ESCALATED = "escalated"
    DECIDED = "decided"
    HANDED_OVER = "handed_over"
    """Handed the review over to someone else (as its owner, or as their manager)."""
    RECEIVED = "received"
    """Held the review after it was handed over to them."""


def _scalars(value: Mapping[str, Scalar]) -> FrozenDict[str, Scalar]:
    return frozen_dict(value)


@attrs.frozen
class ComplianceRecord:
    """One closed review, as PDR monitoring and department reports see it.

    ``staff_id``, ``role`` and ``team`` are those of the decision-maker who took
    the final decision; the other people who took part are credited by staff id
    (``opened_by``, ``reflected_by``, ``escalated_by``, ``handed_over_by``, and
    ``holders``: everyone who held the review, in order).

    Times are UTC. ``seconds_to_escalate`` runs from the reflection to the
    first referral; ``seconds_to_advice`` from the first referral to the first
    advice. ``later_outcome`` is the most recent challenge's result, if any.

    ``advice_followed``, ``advice_followed_in_part`` and ``advice_not_followed``
    count the decision-maker's responses to routes' advice, one per concern per
    piece of advice; ``re_escalations`` counts referrals that took a concern
    further after advice on it; ``referrals_returned`` the referrals a route
    returned for more information.
    """

    review_id: str
    staff_id: str
    role: StaffRole
    team: str
    business_area: str
    guidance_version: str
    opened_at: dt.datetime
    reflected_at: dt.datetime
    closed_at: dt.datetime
    concern_count: int
    concern_categories: tuple[ConcernCategory, ...]
    steps_used: tuple[StepUsed, ...]
    route_ids: tuple[str, ...]
    referral_count: int
    referred_by_frontline: bool
    unresolved_acknowledged: int
    outcome_class: OutcomeClass
    decision_changed: bool
    opened_by: str
    reflected_by: str
    escalated_by: tuple[str, ...]
    handed_over_by: tuple[str, ...]
    holders: tuple[str, ...]
    first_escalated_at: dt.datetime | None = None
    first_advice_at: dt.datetime | None = None
    seconds_to_escalate: int | None = None
    seconds_to_advice: int | None = None
    later_outcome_kind: LaterOutcomeKind | None = None
    later_outcome: LaterOutcomeResult | None = None
    later_outcome_on: dt.date | None = None
    advice_followed: int = 0
    advice_followed_in_part: int = 0
    advice_not_followed: int = 0
    re_escalations: int = 0
    referrals_returned: int = 0
    extensions: Mapping[str, Scalar] = attrs.field(factory=FrozenDict, converter=_scalars)
    """Fields added by plugins, by name."""

    @property
    def advice_responses(self) -> dict[AdviceResponse, int]:
        """The responses to advice by kind, the kinds with none left out."""
        counts = {
            AdviceResponse.FOLLOWED: self.advice_followed,
            AdviceResponse.FOLLOWED_IN_PART: self.advice_followed_in_part,
            AdviceResponse.NOT_FOLLOWED: self.advice_not_followed,
        }
        return {response: count for response, count in counts.items() if count}

    def parts(self, staff_id: str) -> frozenset[Part]:
        """The parts *staff_id* took in the review (none, if they took no part)."""
        taken = {
            Part.OPENED: self.opened_by == staff_id,
            Part.REFLECTED: self.reflected_by == staff_id,
            Part.ESCALATED: staff_id in self.escalated_by,
            Part.DECIDED: self.staff_id == staff_id,
            Part.HANDED_OVER: staff_id in self.handed_over_by,
            Part.RECEIVED: staff_id in self.holders[1:],
        }
        return frozenset(part for part, took in taken.items() if took)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds())


def build_record(review: Review) -> ComplianceRecord:
    """The compliance record of a closed *review*.

    :raises ValueError: if the review is not closed.
    """
    decider = review.finalised_by
    reflected_by = review.reflected_by
    if (
        review.finalised is None
        or decider is None
        or review.closed_at is None
        or review.reflected_at is None
        or reflected_by is None
    ):
        raise ValueError(f"review {review.review_id!r} is not closed; only closed reviews have a record")
    outcome_class = review.outcome_class
    changed = review.decision_changed
    assert outcome_class is not None
    assert changed is not None
    steps: set[StepUsed] = set()
    for concern in review.concerns:
        if concern.considered(DiscretionScope.INSIDE_RULES):
            steps.add(StepUsed.DISCRETION_INSIDE_RULES)
        if concern.considered(DiscretionScope.OUTSIDE_RULES):
            steps.add(StepUsed.DISCRETION_OUTSIDE_RULES)
        if concern.discussions:
            steps.add(StepUsed.DISCUSSION)
    referrals = review.referrals
    if referrals:
        steps.add(StepUsed.ESCALATION)
    if any(e.kind == "referral_returned" for r in referrals for e in r.history):
        steps.add(StepUsed.INFORMATION_REQUESTED)
    if any(r.status is ReferralStatus.WITHDRAWN for r in referrals):
        steps.add(StepUsed.REFERRAL_WITHDRAWN)
    responses = collections.Counter(r.response for c in review.concerns for r in c.responses)
    first_escalated = min((r.submitted_at for r in referrals), default=None)
    first_advice = min((r.advice_at for r in referrals if r.advice_at is not None), default=None)
    later = review.later_outcomes[-1].payload if review.later_outcomes else None
    assert later is None or isinstance(later, LaterOutcomeRecorded)
    acknowledged = review.finalised.unresolved
    return ComplianceRecord(
        review_id=review.review_id,
        staff_id=decider.staff_id,
        role=decider.role,
        team=decider.team,
        business_area=review.business_area,
        guidance_version=review.guidance_version,
        opened_at=review.opened_at,
        reflected_at=review.reflected_at,
        closed_at=review.closed_at,
        concern_count=len(review.concerns),
        concern_categories=tuple(sorted(c.category for c in review.concerns)),
        steps_used=tuple(sorted(steps)),
        route_ids=tuple(sorted({r.route_id for r in referrals})),
        referral_count=len(referrals),
        referred_by_frontline=any(r.referred_by.role.is_frontline for r in referrals),
        unresolved_acknowledged=len(acknowledged.concern_ids) if acknowledged else 0,
        outcome_class=outcome_class,
        decision_changed=changed,
        opened_by=review.opened_by.staff_id,
        reflected_by=reflected_by,
        escalated_by=review.escalated_by,
        handed_over_by=review.handed_over_by,
        holders=review.holders,
        first_escalated_at=first_escalated,
        first_advice_at=first_advice,
        seconds_to_escalate=_seconds(review.reflected_at, first_escalated),
        seconds_to_advice=_seconds(first_escalated, first_advice),
        later_outcome_kind=later.challenge if later else None,
        later_outcome=later.result if later else None,
        later_outcome_on=later.decided_on if later else None,
        advice_followed=responses[AdviceResponse.FOLLOWED],
        advice_followed_in_part=responses[AdviceResponse.FOLLOWED_IN_PART],
        advice_not_followed=responses[AdviceResponse.NOT_FOLLOWED],
        re_escalations=sum(1 for r in referrals if re_escalation(review, r)),
        referrals_returned=sum(1 for r in referrals if any(e.kind == "referral_returned" for e in r.history)),
    )


def re_escalation(review: Review, referral: Referral) -> bool:
    """Whether *referral* took a concern further after a route's advice on it: an escalation again.

    To the same route, to reconsider, or to a second tier. A referral after one
    that was withdrawn, with no advice given, is not one.
    """
    return any(
        (earlier := review.referral(referral_id)) is not None
        and earlier.advice_at is not None
        and earlier.advice_at <= referral.submitted_at
        for concern_id in referral.concern_ids
        if (concern := review.concern(concern_id)) is not None
        for referral_id in concern.referral_ids
        if referral_id != referral.referral_id
    )
