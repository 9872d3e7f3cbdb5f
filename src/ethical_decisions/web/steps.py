"""The steps of the model the web service takes, as one table the API and the pages both read.

Each :class:`StepSpec` names a step, the body it reads (an attrs class parsed
by the library's converter), and how it calls the service. The HTTP API makes
one ``POST`` endpoint per entry (``/api/reviews/{review_id}/{slug}`` or
``/api/referrals/{referral_id}/{slug}``) and the OpenAPI document describes it;
a page's form takes the same step by its slug. Adding a step to the web
service is one entry here (and, for a page, one form in :mod:`.pages`).

Before a step reaches the service, the ids in its body are checked against the
review, so that the error for an unknown id never repeats what was sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, cast

import attrs

from ethical_decisions.events import (
    AdviceGiven,
    AdviceResponded,
    ConcernRaised,
    DiscretionConsidered,
    DiscussionHeld,
    FreeTextErased,
    InformationProvided,
    LaterOutcomeRecorded,
    ReferralAcknowledged,
    ReferralAssigned,
    ReferralReleased,
    ReferralReturned,
    ReferralWithdrawn,
    ReflectionRecorded,
    ReviewFinalised,
    ReviewHandedOver,
)
from ethical_decisions.exceptions import EthicalDecisionsError, ValidationError
from ethical_decisions.model import Concern, DecisionMaker, RouteTeamMember, Step
from ethical_decisions.policy import PEOPLE_FILE_VARIABLE
from ethical_decisions.review import Review, review_id_of_referral
from ethical_decisions.service import EthicalDecisions

from .bodies import (
    AdviceBody,
    AdviceResponseBody,
    AssignmentBody,
    ErasureBody,
    EscalationBody,
    HandoverBody,
    InformationBody,
    ReturnBody,
    WithdrawalBody,
)
from .hookspecs import WebActor
from .problems import HttpProblem

__all__ = ["STEPS", "StepSpec", "Target", "body_type", "step"]

Target = Literal["review", "referral"]
Take = Callable[[EthicalDecisions, str, WebActor, Any, "int | None"], Review]
"""Takes a step: (service, review or referral id, actor, body, expected version) -> the review."""


@attrs.frozen
class StepSpec:
    """One step of the model as the web service takes it.

    :param slug: the last part of the step's address, e.g. ``reflection``.
    :param step: the library's step.
    :param target: whether the address names a review or a referral.
    :param body: the attrs class the request body is parsed into (``None``: no body).
    :param take: calls the service.
    :param summary: one line for the OpenAPI document.
    """

    slug: str
    step: Step
    target: Target
    body: type | None
    take: Take
    summary: str


def _unknown_ids(review: Review, ids: Iterable[str]) -> None:
    """Refuse ids that are not the review's concerns, naming the review's own (never the ones sent)."""
    known = {c.concern_id for c in review.concerns}
    if any(i not in known for i in ids):
        listed = ", ".join(sorted(known)) or "none yet"
        raise HttpProblem(
            422,
            "unknown-concern",
            "The request names a concern the review does not have",
            f"The request names a concern this review does not have. Its concerns: {listed}.",
        )


def _record(payload_of: Callable[[Any], Any]) -> Take:
    def take(edm: EthicalDecisions, review_id: str, by: WebActor, body: Any, version: int | None) -> Review:
        return edm.record(review_id, payload_of(body), by=by, expected_version=version)

    return take


def _on_concern(
    edm: EthicalDecisions, review_id: str, by: WebActor, body: Any, version: int | None
) -> Review:
    _unknown_ids(edm.review(review_id), [body.concern_id])
    return edm.record(review_id, body, by=by, expected_version=version)


def _finalise(
    edm: EthicalDecisions, review_id: str, by: WebActor, body: ReviewFinalised, version: int | None
) -> Review:
    if body.unresolved is not None:
        _unknown_ids(edm.review(review_id), body.unresolved.concern_ids)
    return edm.record(review_id, body, by=by, expected_version=version)


def _escalate(
    edm: EthicalDecisions, review_id: str, by: WebActor, body: EscalationBody, version: int | None
) -> Review:
    _unknown_ids(edm.review(review_id), body.concern_ids)
    if body.route_id is not None and body.route_id not in {r.route_id for r in edm.routes()}:
        installed = ", ".join(sorted(r.route_id for r in edm.routes())) or "none"
        raise HttpProblem(
            422,
            "unknown-route",
            "The request names a route that is not installed",
            f"The request names a route that is not installed. Installed routes: {installed}.",
        )
    return edm.escalate(
        review_id,
        by=cast(DecisionMaker, by),  # the rules refuse any other actor (403)
        concern_ids=body.concern_ids,
        question=body.question,
        route_id=body.route_id,
        expected_version=version,
    )


def _on_referral(payload_of: Callable[[str, Any], Any]) -> Take:
    def take(edm: EthicalDecisions, referral_id: str, by: WebActor, body: Any, version: int | None) -> Review:
        review_id = edm.referral(referral_id).review_id
        return edm.record(review_id, payload_of(referral_id, body), by=by, expected_version=version)

    return take


def _respond(
    edm: EthicalDecisions, referral_id: str, by: WebActor, body: AdviceResponseBody, version: int | None
) -> Review:
    review = edm.review(edm.referral(referral_id).review_id)
    _unknown_ids(review, [body.concern_id])
    payload = AdviceResponded(
        referral_id=referral_id,
        concern_id=body.concern_id,
        response=body.response,
        reason=body.reason,
        resolved=body.resolved,
    )
    return edm.record(review.review_id, payload, by=by, expected_version=version)


GIVEN = "the staff id given"
"""Said instead of a staff id the client sent, wherever a message would repeat it."""


@contextlib.contextmanager
def _unsaid(value: str) -> Iterator[None]:
    """Let no message of the library's raised within repeat *value* (a staff id the client sent)."""
    try:
        yield
    except EthicalDecisionsError as exc:
        exc.args = tuple(a.replace(value, GIVEN) if isinstance(a, str) else a for a in exc.args)
        if isinstance(exc, ValidationError):
            exc.problems = tuple(p.replace(value, GIVEN) for p in exc.problems)
        raise


def handover_target(edm: EthicalDecisions, review: Review, body: HandoverBody) -> DecisionMaker:
    """The decision-maker *body* hands *review* to, as the deployment's people file says.

    :raises ValidationError: naming the field at fault, never its value.
    """
    people = edm.plugins.people
    listed = people.staff.get(body.to)
    if listed is not None:
        differs = [
            f"{name}: the register of staff says otherwise; leave it out"
            for name, given, known in (("role", body.role, listed.role), ("team", body.team, listed.team))
            if given is not None and given != known
        ]
        if differs:
            raise ValidationError("The handover", differs)
        return listed
    if people.staff:
        raise ValidationError(
            "The handover",
            [f"to: not in the register of staff (the file named by {PEOPLE_FILE_VARIABLE}); check the id"],
        )
    if body.role is None:
        raise ValidationError(
            "The handover", ["role: required when no register of staff lists the decision-maker named in to"]
        )
    return DecisionMaker(body.to, body.role, review.business_area, body.team or review.owner.team)


def _hand_over(
    edm: EthicalDecisions, review_id: str, by: WebActor, body: HandoverBody, version: int | None
) -> Review:
    review = edm.review(review_id)
    with _unsaid(body.to):
        to = handover_target(edm, review, body)
        payload = ReviewHandedOver(handed_from=review.owner.staff_id, to=to, reason=body.reason)
        return edm.record(review_id, payload, by=by, expected_version=version)


def _assign(
    edm: EthicalDecisions, referral_id: str, by: WebActor, body: AssignmentBody, version: int | None
) -> Review:
    route_id = edm.referral(referral_id).route_id
    payload = ReferralAssigned(referral_id=referral_id, assignee=RouteTeamMember(body.to, route_id))
    review_id = review_id_of_referral(referral_id)
    if body.to == by.staff_id:  # taking it yourself: your own id is not something sent
        return edm.record(review_id, payload, by=by, expected_version=version)
    with _unsaid(body.to):
        return edm.record(review_id, payload, by=by, expected_version=version)


STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        "reflection",
        Step.RECORD_REFLECTION,
        "review",
        ReflectionRecorded,
        _record(lambda body: body),
        "Record the reflection: no concerns, or one or more",
    ),
    StepSpec(
        "concerns",
        Step.RAISE_CONCERN,
        "review",
        Concern,
        _record(ConcernRaised),
        "Raise a further concern after the reflection",
    ),
    StepSpec(
        "discretion",
        Step.CONSIDER_DISCRETION,
        "review",
        DiscretionConsidered,
        _on_concern,
        "Record discretion considered for a concern: inside the Rules first, then outside",
    ),
    StepSpec(
        "discussions",
        Step.RECORD_DISCUSSION,
        "review",
        DiscussionHeld,
        _on_concern,
        "Record a discussion of a concern",
    ),
    StepSpec(
        "escalations",
        Step.ESCALATE,
        "review",
        EscalationBody,
        _escalate,
        "Escalate concerns to the business area's route",
    ),
    StepSpec(
        "final-decision",
        Step.FINALISE,
        "review",
        ReviewFinalised,
        _finalise,
        "Take the final decision, with its rationale, and close the review",
    ),
    StepSpec(
        "handover",
        Step.HAND_OVER,
        "review",
        HandoverBody,
        _hand_over,
        "Hand an open review over to another decision-maker in its business area, saying why",
    ),
    StepSpec(
        "later-outcomes",
        Step.RECORD_LATER_OUTCOME,
        "review",
        LaterOutcomeRecorded,
        _record(lambda body: body),
        "Record an appeal or tribunal outcome on a closed review",
    ),
    StepSpec(
        "erasure",
        Step.ERASE_FREE_TEXT,
        "review",
        ErasureBody,
        _record(lambda body: FreeTextErased(reason=body.reason)),
        "Erase a closed review's free text at the end of retention (records officers)",
    ),
    StepSpec(
        "information",
        Step.PROVIDE_INFORMATION,
        "referral",
        InformationBody,
        _on_referral(lambda rid, body: InformationProvided(referral_id=rid, response=body.response)),
        "Answer a route's request for more information",
    ),
    StepSpec(
        "withdrawal",
        Step.WITHDRAW_REFERRAL,
        "referral",
        WithdrawalBody,
        _on_referral(lambda rid, body: ReferralWithdrawn(referral_id=rid, reason=body.reason)),
        "Withdraw a referral awaiting advice, with a reason",
    ),
    StepSpec(
        "assignment",
        Step.ASSIGN_REFERRAL,
        "referral",
        AssignmentBody,
        _assign,
        "Assign a referral to a member of its route's team (yourself, or a colleague), or reassign it",
    ),
    StepSpec(
        "release",
        Step.RELEASE_REFERRAL,
        "referral",
        None,
        _on_referral(lambda rid, body: ReferralReleased(rid)),
        "Release an assigned referral to its route's unassigned queue",
    ),
    StepSpec(
        "acknowledgement",
        Step.ACKNOWLEDGE_REFERRAL,
        "referral",
        None,
        _on_referral(lambda rid, body: ReferralAcknowledged(rid)),
        "Acknowledge a referral to your route",
    ),
    StepSpec(
        "return",
        Step.RETURN_REFERRAL,
        "referral",
        ReturnBody,
        _on_referral(lambda rid, body: ReferralReturned(referral_id=rid, question=body.question)),
        "Return a referral to the decision-maker, asking for more information",
    ),
    StepSpec(
        "advice",
        Step.GIVE_ADVICE,
        "referral",
        AdviceBody,
        _on_referral(lambda rid, body: AdviceGiven(referral_id=rid, advice=body.advice)),
        "Give the route's advice on a referral",
    ),
    StepSpec(
        "advice-response",
        Step.RESPOND_TO_ADVICE,
        "referral",
        AdviceResponseBody,
        _respond,
        "Respond to a route's advice on one of the referral's concerns: followed, in part or not, "
        "why, and whether the concern is now resolved",
    ),
)
"""Every step the web service takes, in the model's order."""

_BY_SLUG: Mapping[tuple[Target, str], StepSpec] = {(s.target, s.slug): s for s in STEPS}


def step(target: Target, slug: str) -> StepSpec:
    """The step at ``/{target}s/{id}/{slug}``."""
    return _BY_SLUG[(target, slug)]


def body_type(target: Target, slug: str) -> type:
    """The body type of the step at ``/{target}s/{id}/{slug}`` (one that takes a body)."""
    found = step(target, slug).body
    assert found is not None, f"{slug} takes no body"
    return found
