"""The plugin manager and its typed facade: each hook called per plugin, failures isolated."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

import pytest
from structlog.testing import capture_logs

from ethical_decisions import (
    CaseReference,
    ComplianceRecord,
    Concern,
    ConcernCategory,
    DecisionMaker,
    DiscretionGuidance,
    DiscretionScope,
    EthicalDecisions,
    FinalDecision,
    PluginError,
    ProposedDecision,
    Review,
    hookimpl,
    make_plugins,
    testing,
)
from ethical_decisions.compliance import Scalar, build_record
from ethical_decisions.events import Event
from ethical_decisions.plugins import BLOCKED_PLUGINS_VARIABLE


class Exploding:
    """A plugin whose every hook raises."""

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Fail."""
        raise RuntimeError("observer broke")

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Fail."""
        raise RuntimeError("guidance broke")

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Fail."""
        raise RuntimeError("enrichment broke")


class Recording:
    """A plugin that records what it observes and adds to compliance records."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Remember the event's kind and the review's version."""
        self.seen.append((event.kind, review.version))

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Offer one prompt for vulnerability concerns."""
        if category is not ConcernCategory.VULNERABILITY:
            return None
        return [
            DiscretionGuidance(DiscretionScope.INSIDE_RULES, "Vulnerability", "Consider the person's needs.")
        ]

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Add an ethical-champion flag."""
        return {"ethical_champion_consulted": record.concern_count > 0}


class Garbage:
    """A plugin whose hooks return things the library cannot use."""

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Return text instead of guidance."""
        return "consider everything"  # type: ignore[return-value]

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Return a field that is not a scalar."""
        return {"ethical_champion_consulted": ["a", "list"]}  # type: ignore[dict-item]


def _close(
    edm: EthicalDecisions, dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> Review:
    review = edm.open_review(by=dm, case=case, proposed=proposed)
    review = edm.record_reflection(review.review_id, by=dm)
    return edm.finalise(
        review.review_id, by=dm, decision=FinalDecision("refuse", "Refuse.", "Rules not met.")
    )


def test_observers_see_every_stored_event(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Every event is observed after it is stored, with the review as it then stands."""
    recording = Recording()
    edm = testing.service(recording)
    _close(edm, dm, case, proposed)
    assert recording.seen == [("review_opened", 1), ("reflection_recorded", 2), ("review_finalised", 3)]


def test_a_failing_observer_loses_nothing_and_stops_no_one(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """An observer that raises is logged by name; the event is stored and later observers still run."""
    recording = Recording()
    edm = testing.service(("exploding", Exploding()), recording)
    with capture_logs() as logs:
        review = _close(edm, dm, case, proposed)
    assert review.is_closed
    assert len(edm.trail(review.review_id)) == 3
    assert edm.verify().ok
    assert len(recording.seen) == 3
    failures = [e for e in logs if e["event"] == "ethical_decisions.hook_failed"]
    assert {(f["plugin"], f["hook"], f["error_type"]) for f in failures} == {
        ("exploding", "ethical_decisions_event_stored", "RuntimeError"),
        ("exploding", "ethical_decisions_compliance_record", "RuntimeError"),
    }
    assert "observer broke" not in str(logs)
    first = edm.plugins.problems()[0]
    assert str(first) == "exploding in ethical_decisions_event_stored: raised RuntimeError"


def test_compliance_records_are_enriched_by_plugins(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Fields a plugin returns are kept in the record's extensions; a failing plugin adds nothing."""
    edm = testing.service(Exploding(), Recording())
    review = _close(edm, dm, case, proposed)
    (record,) = edm.store.compliance_records()
    assert (record.review_id, dict(record.extensions)) == (
        review.review_id,
        {"ethical_champion_consulted": False},
    )


def test_a_record_no_plugin_enriches_is_kept_as_built(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """With no plugin adding fields, the compliance record is passed on as built, not rebuilt."""
    edm = testing.service()
    review = _close(edm, dm, case, proposed)
    record = build_record(review)
    assert edm.plugins.compliance_record(record) is record


def test_garbage_from_a_plugin_is_refused_and_reported(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Guidance that is not guidance, or a non-scalar field, is ignored and reported by plugin name."""
    edm = testing.service(("garbage", Garbage()), Recording())
    review = _close(edm, dm, case, proposed)
    (record,) = edm.store.compliance_records()
    assert dict(record.extensions) == {"ethical_champion_consulted": False}
    guidance = edm.plugins.discretion_guidance(review.business_area, ConcernCategory.VULNERABILITY)
    assert [g.title for g in guidance] == ["Vulnerability"]
    assert {str(p) for p in edm.plugins.problems()} == {
        "garbage in ethical_decisions_compliance_record: returned a value for 'ethical_champion_consulted' "
        "that is not text, a number, true/false or null",
        "garbage in ethical_decisions_discretion_guidance: returned something other than a list of "
        "DiscretionGuidance",
    }


def test_a_route_plugins_own_error_is_reported_in_full() -> None:
    """When a route plugin raises the library's own error, its message (what to fix) is kept."""

    class Misconfigured:
        @hookimpl
        def ethical_decisions_register_routes(self, register: object) -> None:
            """Fail the way a misconfigured deployment does."""
            raise PluginError("my_route", "set EDM_MY_ROUTE_WEBHOOK_SECRET too")

    plugins = testing.plugins(("misconfigured", Misconfigured()))
    assert len(plugins.routes()) == 0
    assert [str(p) for p in plugins.problems()] == [
        "misconfigured in ethical_decisions_register_routes: raised PluginError: "
        "Plugin 'my_route': set EDM_MY_ROUTE_WEBHOOK_SECRET too"
    ]


def test_two_plugins_cannot_add_the_same_field(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """A compliance field already added by another plugin is refused, naming both."""
    edm = testing.service(("first", Recording()), ("second", Recording()))
    _close(edm, dm, case, proposed)
    assert [str(p) for p in edm.plugins.problems()] == [
        "second in ethical_decisions_compliance_record: returned field 'ethical_champion_consulted', "
        "which plugin 'first' already added"
    ]


def test_discretion_guidance_for_a_concern(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """The service asks the plugins what to consider for a concern's category in the review's area."""
    edm = testing.service(Recording())
    review = edm.open_review(by=dm, case=case, proposed=proposed)
    review = edm.record_reflection(
        review.review_id, by=dm, concerns=[Concern(ConcernCategory.VULNERABILITY, "Care leaver.")]
    )
    (guidance,) = edm.discretion_guidance(review.review_id, "C1")
    assert guidance.scope is DiscretionScope.INSIDE_RULES


def test_a_hook_with_a_misspelt_name_is_reported_not_loaded() -> None:
    """A plugin implementing a hook that does not exist is refused by name; the others load."""

    class Misspelt:
        @hookimpl
        def ethical_decisions_regster_routes(self, register: object) -> None:
            """A typo."""

    plugins = testing.plugins(("misspelt", Misspelt()), ("fine", Recording()))
    assert [p.name for p in plugins.info()] == ["ethical_decisions.logging", "fine"]
    (problem,) = plugins.problems()
    assert str(problem) == (
        "misspelt: implements hooks that do not exist: ethical_decisions_regster_routes; check their names"
    )


def test_built_in_logging_is_a_plugin() -> None:
    """The library's own logging goes through the same hook, as a built-in plugin with its version."""
    (info,) = make_plugins(entry_points=False).info()
    assert (info.name, info.distribution, info.builtin) == (
        "ethical_decisions.logging",
        "ethical-decisions",
        True,
    )
    assert info.version


def test_blocked_plugins_come_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins named in EDM_BLOCKED_PLUGINS are not registered."""
    monkeypatch.setenv(BLOCKED_PLUGINS_VARIABLE, " recording , other")
    plugins = make_plugins(entry_points=False, extra=[("recording", Recording())])
    assert [p.name for p in plugins.info()] == ["ethical_decisions.logging"]
    assert plugins.manager.is_blocked("recording")


def test_no_plugin_manager_exists_at_import() -> None:
    """Importing the package makes no plugin manager and loads no entry point."""
    import subprocess
    import sys

    code = (
        "import importlib.metadata as m\n"
        "calls = []\n"
        "real = m.entry_points\n"
        "m.entry_points = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
        "import ethical_decisions\n"
        "assert not calls, calls\n"
        "import gc, pluggy\n"
        "assert not [o for o in gc.get_objects() if isinstance(o, pluggy.PluginManager)]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _Threads:
    """An observer that keeps the thread each of its calls ran in, and can take its time."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.threads: list[threading.Thread] = []
        self.events: list[Event] = []
        self.reviews: list[Review] = []

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Note the thread and the event, after waiting *seconds*."""
        time.sleep(self.seconds)
        self.threads.append(threading.current_thread())
        self.events.append(event)
        self.reviews.append(review)


def test_an_observer_is_called_in_a_kept_thread_with_the_review_itself(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Calls one after another reuse one worker thread, and the observer gets the review itself, not a copy.

    A thread and a deep copy per call cost an observer plugin about half a millisecond per event.
    """
    observer = _Threads()
    edm = testing.service(observer)
    review = _close(edm, dm, case, proposed)
    assert observer.events == list(edm.trail(review.review_id))
    assert observer.reviews[-1] is review
    assert len(set(observer.threads)) == 1
    assert observer.threads[0] is not threading.current_thread()


def test_calls_made_at_the_same_time_run_at_the_same_time(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Two services' threads telling a slow observer at once are not queued behind each other."""
    observer = _Threads(seconds=0.5)
    plugins = make_plugins(blocked=(), entry_points=False, extra=[observer], hook_timeout=0.8)
    edm = EthicalDecisions(testing.MemoryStore(), plugins=plugins, clock=testing.FakeClock())
    barrier = threading.Barrier(2)

    def open_one() -> None:
        barrier.wait()
        edm.open_review(by=dm, case=case, proposed=proposed)

    workers = [threading.Thread(target=open_one) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(observer.events) == 2
    assert len(set(observer.threads)) == 2
    assert plugins.problems() == ()  # neither waited for the other past the timeout
