"""Refused input: each kind of bad step or value gets a clear error of the library's own and changes nothing.

The store is SQLite or PostgreSQL with reviews at several stages (one escalated, its referral queued and
its message in the outbox; one closed); every refused command is tried against it, and a snapshot of
every table (see ``unchanged.py``) before and after must be equal. Free text in refused commands
carries a marker, which no error message may echo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ethical_decisions import (
    CaseReference,
    Concern,
    ConcernCategory,
    ConflictError,
    DecisionMaker,
    DiscretionResult,
    DiscretionScope,
    DiscussionResult,
    EthicalDecisions,
    EthicalDecisionsError,
    FinalDecision,
    LaterOutcomeKind,
    LaterOutcomeResult,
    NoRouteError,
    NotFoundError,
    NotPermittedError,
    ProposedDecision,
    RecordsOfficer,
    StepError,
    ValidationError,
    testing,
)
from ethical_decisions._fields import MAX_TEXT_LENGTH
from ethical_decisions.store import Store
from tests.conftest import RoutesPlugin

from .conftest import Backend
from .unchanged import differences, snapshot

MARKER = "MARKERREFUSEDX"
ROUTE = "ccu_test"


@attrs.frozen
class World:
    """A service over a real store holding an escalated review and a closed one."""

    edm: EthicalDecisions
    dm: DecisionMaker
    escalated: str
    referral: str
    closed: str
    closed_on: dt.date


def _service(store: Store, clock: Any = None) -> EthicalDecisions:
    return testing.service(RoutesPlugin(testing.route(ROUTE)), store=store, clock=clock)


def _build(store: Store) -> World:
    edm = _service(store)
    dm = testing.decision_maker()
    case = CaseReference("REF-1", {"full_name": "A. Applicant"})
    review = edm.open_review(by=dm, case=case, proposed=ProposedDecision("refuse", "Refuse."))
    rid = review.review_id
    edm.record_reflection(rid, by=dm, concerns=[Concern(ConcernCategory.VULNERABILITY, "Unwell.")])
    for scope, result in (
        (DiscretionScope.INSIDE_RULES, DiscretionResult.NOT_RESOLVED),
        (DiscretionScope.OUTSIDE_RULES, DiscretionResult.BEYOND_AUTHORITY),
    ):
        edm.consider_discretion(
            rid, by=dm, concern_id="C1", scope=scope, guidance="Rules.", reason="Why.", result=result
        )
    edm.record_discussion(
        rid,
        by=dm,
        concern_id="C1",
        consulted_role="line_manager",  # type: ignore[arg-type]
        consulted="LM",
        advice="Escalate.",
        result=DiscussionResult.NOT_RESOLVED,
    )
    escalated = edm.escalate(rid, by=dm, concern_ids=["C1"], question="What now?")
    other = edm.open_review(by=dm, case=case, proposed=ProposedDecision("grant", "Grant."))
    edm.record_reflection(other.review_id, by=dm)
    closed = edm.finalise(other.review_id, by=dm, decision=FinalDecision("grant", "Grant.", "Because."))
    assert closed.closed_at is not None
    return World(edm, dm, rid, escalated.referrals[0].referral_id, closed.review_id, closed.closed_at.date())


@pytest.fixture(name="world", params=["sqlite", "postgres"])
def _world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    backend: Backend
    if request.param == "postgres":
        backend = request.getfixturevalue("pg_schema")
        yield _build(backend.open())
        return
    backend = Backend("sqlite", str(tmp_path / "refused.db"))
    try:
        yield _build(backend.open())
    finally:
        backend.close()


Attempt = Callable[[World], object]

REFUSALS: dict[str, tuple[Attempt, type[EthicalDecisionsError], str]] = {
    "finalise before the referral is answered": (
        lambda w: w.edm.finalise(w.escalated, by=w.dm, decision=FinalDecision("grant", "Grant.", MARKER)),
        StepError,
        "advice",
    ),
    "advice before the referral is acknowledged": (
        lambda w: w.edm.give_advice(w.referral, by=testing.route_team_member(ROUTE), advice=MARKER),
        StepError,
        "acknowledge",
    ),
    "a second reflection": (
        lambda w: w.edm.record_reflection(w.escalated, by=w.dm),
        StepError,
        "already recorded",
    ),
    "a step on a closed review": (
        lambda w: w.edm.raise_concern(w.closed, by=w.dm, category=ConcernCategory.OTHER, statement=MARKER),
        StepError,
        "the review is closed",
    ),
    "a whitespace-only statement": (
        lambda w: w.edm.raise_concern(
            w.escalated, by=w.dm, category=ConcernCategory.OTHER, statement=" \t\n"
        ),
        ValidationError,
        "must not be empty or only whitespace",
    ),
    "an empty question": (
        lambda w: w.edm.return_referral(w.referral, by=testing.route_team_member(ROUTE), question=""),
        ValidationError,
        "must not be empty",
    ),
    "a whitespace-only rationale": (
        lambda w: w.edm.finalise(w.closed, by=w.dm, decision=FinalDecision("grant", "Grant.", "   ")),
        ValidationError,
        "rationale: must not be empty or only whitespace",
    ),
    "an unknown route": (
        lambda w: w.edm.escalate(
            w.escalated, by=w.dm, concern_ids=["C1"], question=MARKER, route_id="no_such_route"
        ),
        NoRouteError,
        "no_such_route",
    ),
    "an unknown category": (
        lambda w: w.edm.raise_concern(
            w.escalated,
            by=w.dm,
            category=MARKER.lower(),  # type: ignore[arg-type]
            statement="A concern.",
        ),
        ValidationError,
        "ConcernCategory is not valid",
    ),
    "an unknown concern": (
        lambda w: w.edm.record_discussion(
            w.escalated,
            by=w.dm,
            concern_id="C9",
            consulted_role="colleague",  # type: ignore[arg-type]
            consulted="C",
            advice=MARKER,
            result=DiscussionResult.RESOLVED,
        ),
        StepError,
        "C9",
    ),
    "a later outcome decided in the future": (
        lambda w: w.edm.record_later_outcome(
            w.closed,
            by=RecordsOfficer("ro-1"),
            challenge=LaterOutcomeKind.APPEAL,
            result=LaterOutcomeResult.UPHELD,
            decided_on=w.closed_on + dt.timedelta(days=400),
        ),
        StepError,
        "in the future",
    ),
    "oversized text": (
        lambda w: w.edm.raise_concern(
            w.escalated, by=w.dm, category=ConcernCategory.OTHER, statement=MARKER * (MAX_TEXT_LENGTH // 10)
        ),
        ValidationError,
        f"must be at most {MAX_TEXT_LENGTH}",
    ),
    "another route's team": (
        lambda w: w.edm.acknowledge_referral(w.referral, by=testing.route_team_member("other_route")),
        NotPermittedError,
        "route",
    ),
    "a stale version": (
        lambda w: w.edm.raise_concern(
            w.escalated, by=w.dm, category=ConcernCategory.OTHER, statement=MARKER, expected_version=2
        ),
        ConflictError,
        "you had version 2",
    ),
    "an unknown review": (
        lambda w: w.edm.record_reflection("rv-no-such-review", by=w.dm),
        NotFoundError,
        "No review with id",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_command_changes_nothing(world: World, case: str) -> None:
    """Each refusal raises the library's own error, with a message naming the problem, not the input.

    Nothing in the store changes: not an event, the head, a review row, the referral queue, the
    outbox or a compliance record.
    """
    attempt, error, message = REFUSALS[case]
    store = world.edm.store
    before = snapshot(store)
    with pytest.raises(error) as caught:
        attempt(world)
    assert message in str(caught.value)
    assert MARKER.lower() not in str(caught.value).lower()
    assert differences(before, snapshot(store)) == []
    assert world.edm.verify().ok


@pytest.mark.parametrize(
    "clock",
    [lambda: dt.datetime(2026, 3, 1, 9, 0), lambda: "2026-03-01T09:00:00+00:00"],
    ids=["naive", "not-a-time"],
)
def test_a_clock_without_a_timezone_changes_nothing(world: World, clock: Any) -> None:
    """A misconfigured clock (a time without a timezone, or not a time) is refused; nothing is stored."""
    store = world.edm.store
    before = snapshot(store)
    edm = _service(store, clock=clock)
    with pytest.raises(ValidationError, match="clock"):
        edm.raise_concern(world.escalated, by=world.dm, category=ConcernCategory.OTHER, statement="Later.")
    assert differences(before, snapshot(store)) == []
