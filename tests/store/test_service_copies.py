"""Two services on one store: a step taken on a copy another writer made stale is decided again.

A service takes each step on the review as it last stored or read it, without reading the store
first; the append's version check finds a copy made stale by another writer. These tests hold the
outcome to what it was when every step read the store first: the step is decided on the review as
stored, a refusal is judged on it, and an ``expected_version`` the store has moved past is a
conflict, logged once.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from tests import scenarios
from tests.conftest import RoutesPlugin

from ethical_decisions import (
    ConcernCategory,
    ConflictError,
    EthicalDecisions,
    StepError,
    testing,
)
from ethical_decisions.log import LogEvent
from ethical_decisions.store import Store

from .conftest import Backend


def _pair(store: Store) -> tuple[EthicalDecisions, EthicalDecisions]:
    ids = iter(f"rv-copies-{n:04d}" for n in range(100))
    route = testing.route("ccu_test", business_area="customer_services_group")
    return (
        testing.service(RoutesPlugin(route), store=store, new_id=lambda: next(ids)),
        testing.service(RoutesPlugin(route), store=store, new_id=lambda: next(ids)),
    )


def _raise(edm: EthicalDecisions, review_id: str, *, expected_version: int | None = None) -> None:
    edm.raise_concern(
        review_id,
        by=testing.decision_maker(),
        category=ConcernCategory.EVIDENTIAL_BURDEN,
        statement=scenarios.STATEMENT,
        expected_version=expected_version,
    )


def _conflicts(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == str(LogEvent.APPEND_CONFLICT)]


def test_a_step_on_a_stale_copy_is_decided_on_the_review_as_stored(backend: Backend) -> None:
    """B's copy is a step behind A's: B's step lands after A's, with no conflict raised or logged."""
    store = backend.open()
    a, b = _pair(store)
    by = testing.decision_maker()
    review = scenarios.open_with_concern(a, by)
    b.review(review.review_id)  # B holds version 2
    scenarios.prepare(a, review.review_id, by, discuss=False)  # A records version 3
    structlog.reset_defaults()
    with capture_logs() as logs:
        taken = scenarios.prepare(b, review.review_id, by, discuss=False)  # considered again: allowed
    assert taken.version == 4
    assert [r.sequence for r in store.load(review.review_id)] == [1, 2, 3, 4]
    assert _conflicts(logs) == []


def test_a_refusal_on_a_stale_copy_is_judged_on_the_review_as_stored(backend: Backend) -> None:
    """B's copy refuses the escalation (the concern not yet discussed); the stored review allows it."""
    store = backend.open()
    a, b = _pair(store)
    by = testing.decision_maker()
    review = scenarios.open_with_concern(a, by)
    b.review(review.review_id)
    scenarios.prepare(a, review.review_id, by)  # discretion considered and discussed: B's copy is stale
    structlog.reset_defaults()
    with capture_logs() as logs:
        escalated = b.escalate(review.review_id, by=by, concern_ids=["C1"], question=scenarios.QUESTION)
    assert escalated.version == b.review(review.review_id).version == len(store.load(review.review_id))
    assert [e for e in logs if e["event"] == str(LogEvent.STEP_REFUSED)] == []


def test_an_expected_version_the_store_moved_past_is_a_conflict_logged_once(backend: Backend) -> None:
    """B's copy and its caller agree on a version; A has moved the review on: ConflictError, as before."""
    store = backend.open()
    a, b = _pair(store)
    by = testing.decision_maker()
    review = scenarios.open_with_concern(a, by)
    seen = b.review(review.review_id).version
    _raise(a, review.review_id)
    structlog.reset_defaults()
    with capture_logs() as logs, pytest.raises(ConflictError) as raised:
        _raise(b, review.review_id, expected_version=seen)
    assert (raised.value.expected_version, raised.value.actual_version) == (seen, seen + 1)
    assert [(e["expected_version"], e["actual_version"]) for e in _conflicts(logs)] == [(seen, seen + 1)]
    assert len(store.load(review.review_id)) == seen + 1


def test_a_step_the_stored_review_refuses_is_refused_once(backend: Backend) -> None:
    """A finalised the review; B's copy would allow a further concern; the stored review refuses it."""
    store = backend.open()
    a, b = _pair(store)
    by = testing.decision_maker()
    review = scenarios.open_with_concern(a, by, category=ConcernCategory.EVIDENTIAL_BURDEN)
    scenarios.prepare(a, review.review_id, by)
    b.review(review.review_id)
    scenarios.close_unresolved(a, review.review_id, by)
    structlog.reset_defaults()
    with capture_logs() as logs, pytest.raises(StepError):
        _raise(b, review.review_id)
    assert len([e for e in logs if e["event"] == str(LogEvent.STEP_REFUSED)]) == 1
    assert _conflicts(logs) == []
