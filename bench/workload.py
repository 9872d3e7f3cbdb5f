"""The work every benchmark shares: one full review, its strings, and the service that walks it.

A full review is the model from end to end: a proposed decision, a reflection
with two concerns, discretion and a discussion of the first, its escalation to
the business area's route, the route's acknowledgement and advice, the
decision-maker's response to the advice (followed, resolving the first
concern), and the final decision (acknowledging the second concern as
unresolved). That is nine events, nine store appends and one compliance record.

Every string a review records is defined here once; the peer's walk
(:mod:`peer`) records the same strings.
"""

from __future__ import annotations

import logging

import structlog
from library import (
    AdviceResponse,
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    FinalDecision,
    MemoryStore,
    ProposedDecision,
    Review,
    RouteTeamMember,
    StaffRole,
    Store,
    UnresolvedAcknowledgement,
    make_plugins,
    testing,
)

__all__ = [
    "EVENTS_PER_REVIEW",
    "TEXT",
    "areas",
    "case_reference",
    "filter_logging_at_warning",
    "service",
    "staff_id",
    "walk",
]

EVENTS_PER_REVIEW = 9
"""Events (and store appends) in one full review."""

_AREAS = (
    ("customer_services_group", "chief_caseworker_unit", StaffRole.CASEWORKER),
    ("border_force", "national_immigration_casework_oversight_team", StaffRole.CASEWORKER),
    ("hm_passport_office", "quality_examination_support_team", StaffRole.CASEWORKER),
    ("immigration_enforcement", "safety_valve_mechanism", StaffRole.FRONTLINE_OFFICER),
)

TEXT = {
    "applicant": "A. Applicant",
    "proposed_outcome": "refuse",
    "proposed_summary": "Refuse: residence before 1988 not evidenced.",
    "statement": "The applicant cannot obtain school records that the department itself holds.",
    "second": "Refusal would separate a family with a child at a critical point in their education.",
    "team": "Casework",
    "guidance": "Evidential flexibility in the residence guidance.",
    "reason": "No discretion covers records the department holds but cannot find.",
    "consulted": "ts-0007",
    "discussion_advice": "Escalate: this needs a view from outside the team.",
    "question": "May residence be accepted on the evidence available?",
    "route_staff": "rt-0001",
    "advice": "Check the department's own records first; the requirement can be met.",
    "response": "followed",
    "response_reason": "Our records showed the residence, as the route said they might.",
    "final_outcome": "grant",
    "final_summary": "Grant.",
    "rationale": "The records were found.",
    "unresolved": "The rules leave no other decision open.",
}
"""Every string a full review records, by what it is."""


def areas() -> tuple[tuple[str, str, StaffRole], ...]:
    """The business areas the four installed route plugins serve: (area, route id, referrer's role)."""
    return _AREAS


def staff_id(index: int) -> str:
    """The decision-maker of review number *index*."""
    return f"dm-{index % 97:04d}"


def case_reference(index: int) -> str:
    """The case of review number *index*."""
    return f"CASE-2026-{index:06d}"


def filter_logging_at_warning() -> None:
    """Configure structlog as an application would, dropping everything below WARNING."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def service(store: Store | None = None) -> EthicalDecisions:
    """The service over *store* (a fresh memory store by default), with the installed plugins.

    The four route plugins come from their entry points and the default
    logging plugin is built in, as in production; nothing is blocked.
    """
    edm = EthicalDecisions(
        store if store is not None else MemoryStore(),
        plugins=make_plugins(blocked=()),
        clock=testing.FakeClock(),
    )
    edm.routes()  # asked once per service, before the first review: not per review
    return edm


def walk(edm: EthicalDecisions, index: int) -> Review:
    """Walk review number *index* through the whole model; the closed review."""
    area, route_id, role = _AREAS[index % len(_AREAS)]
    by = DecisionMaker(staff_id=staff_id(index), role=role, business_area=area, team=TEXT["team"])
    review = edm.open_review(
        by=by,
        case=CaseReference(
            reference=case_reference(index), personal_details={"full_name": TEXT["applicant"]}
        ),
        proposed=ProposedDecision(outcome=TEXT["proposed_outcome"], summary=TEXT["proposed_summary"]),
    )
    rid = review.review_id
    edm.record_reflection(
        rid,
        by=by,
        concerns=[
            Concern(ConcernCategory.EVIDENTIAL_BURDEN, TEXT["statement"]),
            Concern(ConcernCategory.UNINTENDED_CONSEQUENCE, TEXT["second"]),
        ],
    )
    edm.consider_discretion(
        rid,
        by=by,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance=TEXT["guidance"],
        reason=TEXT["reason"],
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        rid,
        by=by,
        concern_id="C1",
        consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
        consulted=TEXT["consulted"],
        advice=TEXT["discussion_advice"],
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(rid, by=by, concern_ids=["C1"], question=TEXT["question"])
    referral_id = review.referrals[-1].referral_id
    team = RouteTeamMember(staff_id=TEXT["route_staff"], route_id=route_id)
    edm.acknowledge_referral(referral_id, by=team)
    edm.give_advice(referral_id, by=team, advice=TEXT["advice"])
    review = edm.respond_to_advice(
        referral_id,
        by=by,
        concern_id="C1",
        response=AdviceResponse(TEXT["response"]),
        reason=TEXT["response_reason"],
        resolved=True,
    )
    unresolved = sorted(c.concern_id for c in review.open_concerns)
    return edm.finalise(
        rid,
        by=by,
        decision=FinalDecision(
            outcome=TEXT["final_outcome"], summary=TEXT["final_summary"], rationale=TEXT["rationale"]
        ),
        unresolved=(UnresolvedAcknowledgement(unresolved, TEXT["unresolved"]) if unresolved else None),
    )
