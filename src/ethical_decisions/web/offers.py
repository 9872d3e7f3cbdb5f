"""What the signed-in person is offered: the steps the model allows now that the policy lets them take.

The pages show a step only when both say yes: the model's rules
(:func:`~ethical_decisions.steps.allowed_steps`) and the permission policy
(the ``ethical_decisions_permission`` hook, first answer wins, the library's
default last), asked exactly as the service asks it before a step. A page
for a step the person may not take answers with the policy's refusal, in the
library's own words (:class:`~ethical_decisions.NotPermittedError`, 403),
before they type anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from ethical_decisions.events import Actor
from ethical_decisions.exceptions import NotPermittedError, StepError
from ethical_decisions.model import Step
from ethical_decisions.policy import Permission, PermissionRequest, describe_actor
from ethical_decisions.review import ConcernRecord, Referral, ReferralStatus, Review
from ethical_decisions.service import EthicalDecisions
from ethical_decisions.steps import allowed_steps

__all__ = [
    "REFERRAL_STEPS",
    "awaiting_response",
    "offered",
    "permission",
    "referral_offers",
    "require",
    "require_allowed",
]

REFERRAL_STEPS: dict[Step, frozenset[ReferralStatus]] = {
    Step.ACKNOWLEDGE_REFERRAL: frozenset({ReferralStatus.SUBMITTED}),
    Step.RETURN_REFERRAL: frozenset({ReferralStatus.SUBMITTED, ReferralStatus.ACKNOWLEDGED}),
    Step.GIVE_ADVICE: frozenset({ReferralStatus.ACKNOWLEDGED}),
    Step.ASSIGN_REFERRAL: frozenset(s for s in ReferralStatus if s.awaiting_advice),
    Step.RELEASE_REFERRAL: frozenset(s for s in ReferralStatus if s.awaiting_advice),
    Step.PROVIDE_INFORMATION: frozenset({ReferralStatus.RETURNED}),
    Step.WITHDRAW_REFERRAL: frozenset(s for s in ReferralStatus if s.awaiting_advice),
}
"""The steps taken on one referral, and the referral's statuses in which the model allows each."""


def permission(
    edm: EthicalDecisions,
    actor: Actor,
    step: Step,
    review: Review,
    *,
    referral: Referral | None = None,
    target: Actor | None = None,
) -> Permission:
    """The policy's answer to *actor* taking *step* on *review* (and *referral*, to *target*)."""
    request = PermissionRequest(actor=actor, step=step, review=review, referral=referral, target=target)
    return edm.plugins.permission(request)


def require(
    edm: EthicalDecisions,
    actor: Actor,
    step: Step,
    review: Review,
    *,
    referral: Referral | None = None,
) -> None:
    """Refuse, as the service would, a step the policy does not let *actor* take.

    :raises NotPermittedError: with the library's message: the step, who, why not, what would allow it.
    """
    answer = permission(edm, actor, step, review, referral=referral)
    if not answer.allowed:
        raise NotPermittedError(
            step,
            review.stage,
            allowed_steps(review),
            answer.reason,
            actor=describe_actor(actor),
            would_allow=answer.would_allow,
        )


def require_allowed(
    edm: EthicalDecisions, actor: Actor, step: Step, review: Review, *, referral: Referral | None = None
) -> None:
    """Refuse a page for *step*: first as the policy would (403), then as the rules would (409).

    The same order as the service's: who may take it, then whether the review allows it now.
    """
    require(edm, actor, step, review, referral=referral)
    allowed = allowed_steps(review)
    if step not in allowed:
        raise StepError(step, review.stage, allowed, "the review does not allow it at this stage")


def offered(edm: EthicalDecisions, actor: Actor, review: Review) -> frozenset[Step]:
    """The steps on *review* as a whole that the model allows now and the policy lets *actor* take.

    Steps taken on a referral are left to :func:`referral_offers`.
    """
    return frozenset(
        step
        for step in allowed_steps(review)
        if step not in REFERRAL_STEPS and permission(edm, actor, step, review).allowed
    )


def referral_offers(
    edm: EthicalDecisions, actor: Actor, review: Review, referral: Referral, steps: Iterable[Step] = ()
) -> frozenset[Step]:
    """The steps on *referral* (by default all of :data:`REFERRAL_STEPS`) open to *actor* now.

    A step is offered when the referral's status allows it and the policy lets
    *actor* take it; releasing needs an assignee.
    """
    wanted = tuple(steps) or tuple(REFERRAL_STEPS)
    return frozenset(
        step
        for step in wanted
        if referral.status in REFERRAL_STEPS[step]
        and (step is not Step.RELEASE_REFERRAL or referral.assignee is not None)
        and permission(edm, actor, step, review, referral=referral).allowed
    )


def awaiting_response(review: Review) -> tuple[tuple[Referral, ConcernRecord], ...]:
    """Each concern with advice awaiting the decision-maker's response, with the referral that advised.

    The review's own account (:attr:`Review.advised_concerns <ethical_decisions.Review.advised_concerns>`
    and the concern's latest referral): the response the rules take is to that referral's advice.
    """
    found = []
    for concern in review.advised_concerns:
        referral = review.referral(concern.referral_ids[-1])
        assert referral is not None  # a concern is advised only by one of the review's referrals
        found.append((referral, concern))
    return tuple(found)
