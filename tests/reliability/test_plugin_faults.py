"""Plugins that raise, hang, change what they are given or return garbage never corrupt the trail or block.

Only observers are waited for with a time limit (the other hooks answer while a step waits for them, in
the caller's thread, as pluggy calls them), so only observers are tried hanging here.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import math
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from ethical_decisions import (
    ComplianceRecord,
    ConcernCategory,
    DiscretionGuidance,
    DiscretionScope,
    EthicalDecisions,
    FinalDecision,
    Review,
    RouteRegistrar,
    ValidationError,
    hookimpl,
    make_plugins,
    testing,
)
from ethical_decisions.compliance import Scalar
from ethical_decisions.events import Event
from ethical_decisions.plugins import HOOK_TIMEOUT_VARIABLE, TIMED_OUT, Plugins
from ethical_decisions.review import replay
from ethical_decisions.serialization import canonical_json
from ethical_decisions.store import SQLiteStore
from tests import scenarios
from tests.conftest import RoutesPlugin

from . import checks
from .conftest import Figures

TIMEOUT = 0.2
"""The hook timeout these tests run with, in seconds."""
HOOKS = "ethical_decisions_event_stored"
ENRICH = "ethical_decisions_compliance_record"
ROUTE = testing.route("fault_route")


class Hanging:
    """An observer that blocks until released (as one waiting on a dead server); it says when it returns."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.returned = threading.Event()
        self.calls = 0

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Hang until released."""
        self.calls += 1
        self.release.wait(60)
        self.returned.set()


class Raising:
    """A plugin whose every hook raises."""

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Fail, with the event's text in the message (which must not be logged)."""
        raise RuntimeError(f"observer broke on {event.review_id}: MARKER-PLUGIN-MESSAGE")

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Fail."""
        raise KeyError("MARKER-PLUGIN-MESSAGE")

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Fail."""
        raise ValueError("MARKER-PLUGIN-MESSAGE")

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register a route, then fail: the route must not count."""
        register(testing.route("broken_route", business_area="border_force"))
        raise OSError("MARKER-PLUGIN-MESSAGE")


class Meddling:
    """An observer that tries to change every mapping it is given; an enricher that writes into the record."""

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Try to empty the route rules' requirements, the route rules and the applicant's details."""
        for policy in review.routes.values():
            with contextlib.suppress(TypeError):
                policy.requirements_by_role.clear()  # type: ignore[attr-defined]  # a dict underneath
        with contextlib.suppress(TypeError):
            review.routes.clear()  # type: ignore[attr-defined]  # likewise
        review.case.personal_details.clear()  # type: ignore[attr-defined]  # likewise; raises, is reported

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Write into the record it is given instead of returning fields."""
        record.extensions["meddled"] = True  # type: ignore[index]  # a Mapping, a dict underneath: raises
        return None


class Recording:
    """A well-behaved observer, enricher and adviser."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Remember what was stored."""
        self.seen.append((event.review_id, event.sequence))

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Add one field."""
        return {"recorded_by_plugin": True}

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Offer one piece of guidance."""
        return [DiscretionGuidance(DiscretionScope.INSIDE_RULES, "Think again", "Consider the person.")]


@pytest.fixture(name="hanging")
def _hanging() -> Iterator[Hanging]:
    hanging = Hanging()
    yield hanging
    hanging.release.set()  # let the stuck thread end


def _service(store: Any, *plugins: object) -> EthicalDecisions:
    manager = make_plugins(
        blocked=(), entry_points=False, extra=[RoutesPlugin(ROUTE), *plugins], hook_timeout=TIMEOUT
    )
    return EthicalDecisions(store, plugins=manager, clock=testing.FakeClock())


def _walk(edm: EthicalDecisions) -> str:
    """Escalate, advise, respond and close a review; a second escalation to the same route on the way."""
    dm = testing.decision_maker()
    team = testing.route_team_member(ROUTE.route_id)
    review = scenarios.escalated(edm, dm)
    rid, referral = review.review_id, review.referrals[0].referral_id
    edm.withdraw_referral(referral, by=dm, reason="Asked the wrong question.")
    review = edm.escalate(rid, by=dm, concern_ids=["C1"], question="May we grant?")
    referral = review.referrals[-1].referral_id
    edm.acknowledge_referral(referral, by=team)
    edm.give_advice(referral, by=team, advice="Grant.")
    scenarios.respond(edm, referral, dm)
    edm.finalise(rid, by=dm, decision=FinalDecision("grant", "Grant.", "Advice taken."))
    return rid


def test_observers_that_raise_hang_or_meddle_never_corrupt_the_trail_or_block_others(
    sqlite_path: Path, hanging: Hanging, figures: Figures
) -> None:
    """Observers that raise, hang for good, or change what they are given, between two that behave.

    pluggy calls the plugin registered last first, so one well-behaved observer is told before the
    others and one after them. Every step is recorded and returns promptly (the hanging observer costs
    one timeout, then is skipped while its call is stuck); each well-behaved observer sees every event
    exactly once; the trail verifies and every projection matches it; what the service holds (and so
    what it decides next, such as the route rules frozen for the review) is untouched by the meddling
    observer, whose attempts are refused; and each failure is logged as ``hook_failed`` with the
    plugin's name and the kind of failure, never the plugin's own message.
    """
    told_last, told_first = Recording(), Recording()
    store = SQLiteStore(sqlite_path)
    edm = _service(
        store,
        ("told_last", told_last),
        ("raising", Raising()),
        ("hanging", hanging),
        ("meddling", Meddling()),
        ("told_first", told_first),
    )
    started = time.monotonic()
    with capture_logs() as logs:
        rid = _walk(edm)
    elapsed = time.monotonic() - started
    try:
        stored = [(r.review_id, r.sequence) for r in store.chain()]
        assert told_first.seen == stored
        assert told_last.seen == stored
        assert checks.whole(store) == []
        assert edm.review(rid) == replay(edm.trail(rid))
        assert edm.review(rid).case.personal_details == {"full_name": "A. Applicant"}
        assert edm.review(rid).routes[ROUTE.route_id] == ROUTE.policy
    finally:
        store.close()
    assert elapsed < len(stored) * 0.5 + 10 * TIMEOUT, "a hanging observer must not hold up every step"
    failed = [e for e in logs if e["event"] == "ethical_decisions.hook_failed"]
    kinds = {(e["plugin"], e["hook"], e["error_type"]) for e in failed}
    assert ("raising", HOOKS, "RuntimeError") in kinds
    assert ("hanging", HOOKS, TIMED_OUT) in kinds
    assert ("meddling", HOOKS, "TypeError") in kinds
    assert "MARKER" not in repr(logs)
    problems = [str(p) for p in edm.plugins.problems() if p.plugin == "hanging"]
    skipped = (
        "hanging in ethical_decisions_event_stored: skipped: an earlier call that timed out is still running"
    )
    assert problems == [
        "hanging in ethical_decisions_event_stored: did not return within 0.2 s; carried on without it",
        *[skipped] * (len(stored) - 1),
    ]
    assert hanging.calls == 1, "a stuck observer is not called again until its call ends"
    figures.record(
        events=len(stored),
        observer_failures_logged=len([e for e in failed if e["hook"] == HOOKS]),
        hook_timeout_seconds=TIMEOUT,
        seconds_for_the_review=round(elapsed, 2),
    )


def test_a_stuck_observer_is_called_again_once_its_call_ends(hanging: Hanging) -> None:
    """The observer that timed out is skipped while its call is stuck, and called again once it returns.

    The observer pluggy calls after it is told of every event while it is stuck. When the stuck
    observer at last returns, pluggy goes on, in the call that was given up, to the observers after
    it: they hear of that one event a second time (the documented limit of a call made in one loop).
    """
    told = Recording()
    edm = _service(testing.MemoryStore(), ("told", told), ("hanging", hanging))
    dm = testing.decision_maker()
    review = scenarios.open_with_concern(edm, dm)  # two events: the first times out, the second skips
    assert (hanging.calls, told.seen) == (1, [(review.review_id, 1), (review.review_id, 2)])

    hanging.release.set()
    assert hanging.returned.wait(10)
    deadline = time.monotonic() + 10
    while hanging.calls == 1 and time.monotonic() < deadline:  # its call ends just after it returns
        scenarios.open_with_concern(edm, dm)
    assert hanging.calls > 1
    told_of = collections.Counter(told.seen)
    stored = [(r.review_id, r.sequence) for r in edm.store.chain()]
    assert told_of == dict.fromkeys(stored, 1) | {(review.review_id, 1): 2}


class Garbage:
    """An enricher returning one kind of garbage, named by the test."""

    def __init__(self, value: object) -> None:
        self.value = value

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Return the garbage."""
        return self.value  # type: ignore[return-value]  # garbage is the point


class Exploding(Mapping[str, Any]):
    """A mapping that fails when read."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("MARKER")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("MARKER")

    def __len__(self) -> int:
        return 1


class Liar:
    """An object that claims to be text."""

    @property  # type: ignore[misc]  # pretending to be another class is the garbage under test
    def __class__(self) -> type:
        return str


ENRICHMENT_GARBAGE: dict[str, object] = {
    "not a mapping": ["a", "list"],
    "text": "MARKER",
    "nested value": {"field": {"nested": 1}},
    "NaN": {"field": math.nan},
    "infinity": {"field": -math.inf},
    "unpaired surrogate": {"field": "MARKER\ud800"},
    "free text": {"field": "MARKER " * 100},
    "bad field name": {"Not A Name": 1},
    "non-text field name": {3: 1},
    "mapping that fails when read": Exploding(),
    "object pretending to be text": {"field": Liar()},
    "bytes": {"field": b"MARKER"},
}


def test_enrichment_that_raises_meddles_or_returns_garbage_never_blocks_closing(
    sqlite_path: Path, figures: Figures
) -> None:
    """Enrichment runs before a closing step is stored; a plugin that fails there cannot stop the close.

    With enrichers that raise, write into the record they are given, or return each kind of
    garbage (not a mapping, nested values, NaN, infinity, unpaired surrogates, prose, bad names, a
    mapping that fails when read, an object pretending to be text), the review still closes in the
    SQLite store; its compliance record holds exactly the well-behaved plugin's field; and each bad
    plugin is reported by name.
    """
    garbage = [(f"garbage_{n}", Garbage(value)) for n, value in enumerate(ENRICHMENT_GARBAGE.values())]
    store = SQLiteStore(sqlite_path)
    plugins = [("raising", Raising()), ("meddling", Meddling()), *garbage, Recording()]
    edm = _service(store, *plugins)
    try:
        with capture_logs():
            rid = _walk(edm)
        (record,) = store.compliance_records()
        assert record.review_id == rid
        assert dict(record.extensions) == {"recorded_by_plugin": True}
        assert checks.whole(store) == []
    finally:
        store.close()
    reported = {p.plugin for p in edm.plugins.problems() if p.hook == ENRICH}
    assert reported == {"raising", "meddling", *(name for name, _ in garbage)}
    assert all("MARKER" not in str(p) for p in edm.plugins.problems())
    figures.record(enrichment_faults=len(plugins) - 1, kinds_of_garbage=len(ENRICHMENT_GARBAGE))


def test_route_and_guidance_plugins_that_raise_are_left_out() -> None:
    """A plugin raising while registering routes adds none of them; one raising offering guidance is left out.

    The other plugins' routes and guidance are there, and each failure is reported by plugin name.
    """
    edm = _service(testing.MemoryStore(), ("raising", Raising()), Recording())
    routes = edm.routes()
    guidance = edm.plugins.discretion_guidance("customer_services_group", ConcernCategory.OTHER)
    assert [r.route_id for r in routes] == [ROUTE.route_id]
    assert [g.title for g in guidance][-1] == "Think again"
    assert {(p.plugin, p.hook, p.error_type) for p in edm.plugins.problems()} == {
        ("raising", "ethical_decisions_register_routes", "OSError"),
        ("raising", "ethical_decisions_discretion_guidance", "ValueError"),
    }
    assert all("MARKER" not in str(p) for p in edm.plugins.problems())


def test_observers_run_with_the_callers_context() -> None:
    """An observer runs in a worker thread but sees the caller's context variables (request ids, say)."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")
    seen: list[str] = []

    class Observer:
        @hookimpl
        def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
            """Note the request id."""
            seen.append(request_id.get())

    edm = _service(testing.MemoryStore(), Observer())
    request_id.set("req-42")
    scenarios.open_with_concern(edm, testing.decision_maker())
    assert seen == ["req-42", "req-42"]


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_timeout_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """EDM_PLUGIN_TIMEOUT must be a number of seconds above zero: anything else is refused, naming it."""
    monkeypatch.setenv(HOOK_TIMEOUT_VARIABLE, value)
    with pytest.raises(ValidationError, match=f"{HOOK_TIMEOUT_VARIABLE}: give a number of seconds"):
        make_plugins(entry_points=False)


def test_the_timeout_comes_from_the_argument_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """make_plugins(hook_timeout=...) wins over EDM_PLUGIN_TIMEOUT, which wins over the default."""
    monkeypatch.delenv(HOOK_TIMEOUT_VARIABLE, raising=False)
    assert make_plugins(entry_points=False).hook_timeout == 5.0
    monkeypatch.setenv(HOOK_TIMEOUT_VARIABLE, "1.5")
    assert make_plugins(entry_points=False).hook_timeout == 1.5
    assert make_plugins(entry_points=False, hook_timeout=0.25).hook_timeout == 0.25


# -- any return value at all -------------------------------------------------------------------

GUIDANCE = DiscretionGuidance(DiscretionScope.INSIDE_RULES, "Title", "Text.")
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary(max_size=5)
    | st.sampled_from([GUIDANCE, ConcernCategory.OTHER, Liar(), object()])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.sets(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers() | st.none(), inner, max_size=4)
    ),
    max_leaves=12,
)


class Returning:
    """A plugin that returns whatever it is given, from the guidance and enrichment hooks."""

    def __init__(self) -> None:
        self.value: object = None

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Return the value."""
        return self.value  # type: ignore[return-value]  # any value at all is the point

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Return the value."""
        return self.value  # type: ignore[return-value]  # any value at all is the point


@pytest.fixture(name="returning", scope="module")
def _returning() -> tuple[Plugins, Returning, ComplianceRecord]:
    plugin = Returning()
    plugins = make_plugins(blocked=(), entry_points=False, extra=[("returning", plugin)], hook_timeout=2.0)
    edm = _service(testing.MemoryStore())
    dm = testing.decision_maker()
    review = edm.open_review(by=dm, case=scenarios_case(), proposed=scenarios_proposed())
    edm.record_reflection(review.review_id, by=dm, note="None.")
    edm.finalise(review.review_id, by=dm, decision=FinalDecision("grant", "Grant.", "Fine."))
    (record,) = edm.store.compliance_records()
    return plugins, plugin, record


def scenarios_case() -> Any:
    """A case reference for these tests."""
    from ethical_decisions import CaseReference

    return CaseReference("CASE-1")


def scenarios_proposed() -> Any:
    """A proposed decision for these tests."""
    from ethical_decisions import ProposedDecision

    return ProposedDecision("refuse", "Refuse.")


@settings(max_examples=300)
@given(
    value=values
    | st.lists(st.just(GUIDANCE) | values, max_size=3)
    | st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), scalars, max_size=4)
)
def test_any_value_a_plugin_returns_is_used_or_refused_never_raised(
    returning: tuple[Plugins, Returning, ComplianceRecord], value: object
) -> None:
    """Whatever a guidance or enrichment hook returns, the facade returns usable data or reports the plugin.

    Guidance is a tuple of DiscretionGuidance; a compliance record's fields are names to text (at
    most 200 characters, encodable), whole or finite numbers, booleans or null, which every store can
    keep as JSON. Nothing a plugin returns makes the facade raise.
    """
    plugins, plugin, record = returning
    plugin.value = value
    guidance = plugins.discretion_guidance("customer_services_group", ConcernCategory.OTHER)
    enriched = plugins.compliance_record(record)
    assert all(type(g) is DiscretionGuidance for g in guidance)
    extensions = dict(enriched.extensions)
    canonical_json(extensions).encode("utf-8")  # what a SQL store does with them
    assert all(type(v) in (str, int, float, bool, type(None)) for v in extensions.values())
