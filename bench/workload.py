"""The work the benchmarks share: one full review, walked through the service, and its recorded batches.

A full review is the model from end to end: a proposed decision, a reflection
with two concerns, discretion and a discussion of the first, its escalation to
the business area's route, the route's acknowledgement and advice, and the
final decision (acknowledging the second concern as unresolved). That is
eight events, eight store appends and one compliance record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import structlog
from typing_extensions import override

from ethical_decisions import (
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
    UnresolvedAcknowledgement,
    make_plugins,
    testing,
)
from ethical_decisions.audit import ChainRecord
from ethical_decisions.store import AppendBatch, Store

__all__ = [
    "EVENTS_PER_REVIEW",
    "RecordingStore",
    "areas",
    "filter_logging_at_warning",
    "record_batches",
    "service",
    "walk",
]

EVENTS_PER_REVIEW = 8
"""Events (and store appends) in one full review."""

_AREAS = (
    ("customer_services_group", "chief_caseworker_unit", StaffRole.CASEWORKER),
    ("border_force", "national_immigration_casework_oversight_team", StaffRole.CASEWORKER),
    ("hm_passport_office", "quality_examination_support_team", StaffRole.CASEWORKER),
    ("immigration_enforcement", "safety_valve_mechanism", StaffRole.FRONTLINE_OFFICER),
)

STATEMENT = "The applicant cannot obtain school records that the department itself holds."
SECOND = "Refusal would separate a family with a child at a critical point in their education."


def areas() -> tuple[tuple[str, str, StaffRole], ...]:
    """The business areas the four installed route plugins serve: (area, route id, referrer's role)."""
    return _AREAS


def filter_logging_at_warning() -> None:
    """Configure structlog as an application would, dropping everything below WARNING."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def service(store: Store | None = None) -> EthicalDecisions:
    """The service over *store* (a fresh memory store by default), with the installed plugins.

    The four route plugins come from their entry points and the default
    logging plugin is built in, as in production; nothing is blocked.
    """
    return EthicalDecisions(
        store if store is not None else MemoryStore(),
        plugins=make_plugins(blocked=()),
        clock=testing.FakeClock(),
    )


def walk(edm: EthicalDecisions, index: int) -> Review:
    """Walk review number *index* through the whole model; the closed review."""
    area, route_id, role = _AREAS[index % len(_AREAS)]
    by = DecisionMaker(staff_id=f"dm-{index % 97:04d}", role=role, business_area=area, team="Casework")
    review = edm.open_review(
        by=by,
        case=CaseReference(
            reference=f"CASE-2026-{index:06d}", personal_details={"full_name": "A. Applicant"}
        ),
        proposed=ProposedDecision(outcome="refuse", summary="Refuse: residence before 1988 not evidenced."),
    )
    rid = review.review_id
    edm.record_reflection(
        rid,
        by=by,
        concerns=[
            Concern(ConcernCategory.EVIDENTIAL_BURDEN, STATEMENT),
            Concern(ConcernCategory.UNINTENDED_CONSEQUENCE, SECOND),
        ],
    )
    edm.consider_discretion(
        rid,
        by=by,
        concern_id="C1",
        scope=DiscretionScope.INSIDE_RULES,
        guidance="Evidential flexibility in the residence guidance.",
        reason="No discretion covers records the department holds but cannot find.",
        result=DiscretionResult.NOT_RESOLVED,
    )
    edm.record_discussion(
        rid,
        by=by,
        concern_id="C1",
        consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
        consulted="ts-0007",
        advice="Escalate: this needs a view from outside the team.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    review = edm.escalate(
        rid, by=by, concern_ids=["C1"], question="May residence be accepted on the evidence available?"
    )
    referral_id = review.referrals[-1].referral_id
    team = RouteTeamMember(staff_id="rt-0001", route_id=route_id)
    edm.acknowledge_referral(referral_id, by=team)
    review = edm.give_advice(
        referral_id, by=team, advice="Check the department's own records first; the requirement can be met."
    )
    unresolved = sorted(c.concern_id for c in review.open_concerns)
    return edm.finalise(
        rid,
        by=by,
        decision=FinalDecision(outcome="grant", summary="Grant.", rationale="The records were found."),
        unresolved=(
            UnresolvedAcknowledgement(unresolved, "The rules leave no other decision open.")
            if unresolved
            else None
        ),
    )


class RecordingStore(MemoryStore):
    """A memory store that keeps every batch appended to it, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[AppendBatch] = []

    @override
    def append(self, batch: AppendBatch) -> tuple[ChainRecord, ...]:
        """Append *batch* and keep it."""
        written = super().append(batch)
        self.batches.append(batch)
        return written


def record_batches(reviews: int) -> list[AppendBatch]:
    """The batches *reviews* full reviews append, in order (as a store is given them)."""
    store = RecordingStore()
    edm = service(store)
    for index in range(reviews):
        walk(edm, index)
    return store.batches


def chunks(items: list[AppendBatch], size: int) -> Iterator[list[AppendBatch]]:
    """*items* in consecutive runs of *size*."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utc(year: int, month: int, day: int) -> dt.datetime:
    """Midnight UTC on the day."""
    return dt.datetime(year, month, day, tzinfo=dt.UTC)
