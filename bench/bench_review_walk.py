"""review_walk: full reviews through the service on the memory store, against the unavoidable work by hand.

The library side walks reviews (see :mod:`workload`) through
:class:`~ethical_decisions.EthicalDecisions` on a memory store, with the four
route plugins loaded from their entry points, the default logging plugin, and
structlog filtered at WARNING.

The baseline does what no implementation can avoid: it builds the same attrs
values (actors, payloads, events), serializes each event to JSON, chains the
JSON with SHA-256, and makes the same number of plain pluggy hook calls (one
``event_stored`` per event and one ``compliance_record`` per closed review) on
a manager with the library's hook specifications and one observer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
from collections.abc import Callable
from typing import Any

import attrs
import pluggy
from harness import Figure, compare, ratio_figure
from workload import EVENTS_PER_REVIEW, SECOND, STATEMENT, areas, filter_logging_at_warning, service, walk

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConsultedRole,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    FinalDecision,
    ProposedDecision,
    RoutePolicy,
    RouteTeamMember,
    UnresolvedAcknowledgement,
    hookimpl,
    hookspecs,
    testing,
)
from ethical_decisions.events import (
    AdviceGiven,
    DiscretionConsidered,
    DiscussionHeld,
    Event,
    Payload,
    ReferralAcknowledged,
    ReferralSubmitted,
    ReflectionRecorded,
    ReviewFinalised,
    ReviewOpened,
)

__all__ = ["run"]

TARGET = 2.0


class _Observer:
    """A plugin that hears every event and adds nothing to compliance records."""

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: object) -> None:
        """Do nothing."""

    @hookimpl
    def ethical_decisions_compliance_record(self, record: object) -> None:
        """Add nothing."""


def _plain(value: Any) -> Any:
    """The value serializer for attrs: times and dates as ISO text, enums as values, sets as sorted lists."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def _serialize(event: Event) -> str:
    data = attrs.asdict(event, value_serializer=lambda _, __, v: _plain(v))
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _baseline_review(
    index: int, policies: dict[str, RoutePolicy], clock: testing.FakeClock, manager: pluggy.PluginManager
) -> str:
    """The attrs values of review *index*, serialized, chained and announced; the last hash."""
    area, route_id, role = areas()[index % len(areas())]
    by = DecisionMaker(staff_id=f"dm-{index % 97:04d}", role=role, business_area=area, team="Casework")
    team = RouteTeamMember(staff_id="rt-0001", route_id=route_id)
    rid = f"rv-{index:016x}"
    referral_id = f"{rid}-R5"
    steps: list[tuple[DecisionMaker | RouteTeamMember, Payload]] = [
        (
            by,
            ReviewOpened(
                case=CaseReference(
                    reference=f"CASE-2026-{index:06d}", personal_details={"full_name": "A. Applicant"}
                ),
                proposed=ProposedDecision(
                    outcome="refuse", summary="Refuse: residence before 1988 not evidenced."
                ),
            ),
        ),
        (
            by,
            ReflectionRecorded(
                concerns=(
                    Concern(ConcernCategory.EVIDENTIAL_BURDEN, STATEMENT),
                    Concern(ConcernCategory.UNINTENDED_CONSEQUENCE, SECOND),
                )
            ),
        ),
        (
            by,
            DiscretionConsidered(
                concern_id="C1",
                scope=DiscretionScope.INSIDE_RULES,
                guidance="Evidential flexibility in the residence guidance.",
                reason="No discretion covers records the department holds but cannot find.",
                result=DiscretionResult.NOT_RESOLVED,
            ),
        ),
        (
            by,
            DiscussionHeld(
                concern_id="C1",
                consulted_role=ConsultedRole.TECHNICAL_SPECIALIST,
                consulted="ts-0007",
                advice="Escalate: this needs a view from outside the team.",
                result=DiscussionResult.NOT_RESOLVED,
            ),
        ),
        (
            by,
            ReferralSubmitted(
                route=policies[route_id],
                concern_ids=("C1",),
                question="May residence be accepted on the evidence available?",
            ),
        ),
        (team, ReferralAcknowledged(referral_id)),
        (
            team,
            AdviceGiven(
                referral_id=referral_id,
                advice="Check the department's own records first; the requirement can be met.",
            ),
        ),
        (
            by,
            ReviewFinalised(
                decision=FinalDecision(
                    outcome="grant", summary="Grant.", rationale="The records were found."
                ),
                unresolved=UnresolvedAcknowledgement(["C2"], "The rules leave no other decision open."),
            ),
        ),
    ]
    previous = "0" * 64
    hook = manager.hook
    for sequence, (actor, payload) in enumerate(steps, start=1):
        event = Event(review_id=rid, sequence=sequence, occurred_at=clock(), actor=actor, payload=payload)
        body = _serialize(event)
        previous = hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()
        hook.ethical_decisions_event_stored(event=event, review=None)
    hook.ethical_decisions_compliance_record(record=None)
    return previous


def run(quick: bool) -> list[Figure]:
    """Time *reviews* full reviews each way; the ``review_walk`` figure."""
    reviews, runs = (5, 1) if quick else (300, 15)
    filter_logging_at_warning()
    policies = {route.route_id: route.policy for route in service().routes()}
    missing = sorted({route_id for _, route_id, _ in areas()} - set(policies))
    assert not missing, f"the four route plugins must be installed, missing {missing}"

    def library() -> Callable[[], object]:
        edm = service()
        edm.routes()  # asked once per service, before the first review: not per review

        def go() -> None:
            for index in range(reviews):
                walk(edm, index)

        return go

    def baseline() -> Callable[[], object]:
        manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        manager.add_hookspecs(hookspecs)
        manager.register(_Observer())
        clock = testing.FakeClock()

        def go() -> None:
            for index in range(reviews):
                _baseline_review(index, policies, clock, manager)

        return go

    lib, base = compare(library, baseline, runs=runs)
    figure = ratio_figure("review_walk", TARGET, lib, base, per=reviews, unit="review")
    detail = f"{figure.detail}; {EVENTS_PER_REVIEW} events and 9 hook calls per review"
    return [dataclasses.replace(figure, detail=detail)]
