"""The plugin manager and its typed facade: hooks called through pluggy, failures isolated by plugin."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Generator, Mapping, MutableMapping, Sequence
from typing import Any

import pluggy
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
from ethical_decisions.exceptions import RouteError
from ethical_decisions.hookspecs import hookspec
from ethical_decisions.plugins import BLOCKED_PLUGINS_VARIABLE, Plugins
from ethical_decisions.prompts import DISCRETION_PROMPTS
from ethical_decisions.routekit import RoutePlugin

from .conftest import RoutesPlugin

MODEL_PROMPTS = [g.title for g in DISCRETION_PROMPTS[ConcernCategory.VULNERABILITY]]
"""The titles of the model's own prompts for a vulnerability concern, which the library offers first."""


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
    """An observer that raises is logged by name; the event is stored and every other observer told once.

    pluggy calls the plugin registered last first: one observer is called before the raising one and
    one after it, and each sees each event exactly once.
    """
    called_after, called_before = Recording(), _Threads()
    edm = testing.service(("after", called_after), ("exploding", Exploding()), ("before", called_before))
    with capture_logs() as logs:
        review = _close(edm, dm, case, proposed)
    assert review.is_closed
    assert len(edm.trail(review.review_id)) == 3
    assert edm.verify().ok
    seen = [("review_opened", 1), ("reflection_recorded", 2), ("review_finalised", 3)]
    assert called_after.seen == seen
    told_before = zip(called_before.events, called_before.reviews, strict=True)
    assert [(e.kind, r.version) for e, r in told_before] == seen
    failures = [e for e in logs if e["event"] == "ethical_decisions.hook_failed"]
    assert {(f["plugin"], f["hook"], f["error_type"]) for f in failures} == {
        ("exploding", "ethical_decisions_event_stored", "RuntimeError"),
        ("exploding", "ethical_decisions_compliance_record", "RuntimeError"),
    }
    assert len([e for e in logs if e["event"] == "ethical_decisions.event_stored"]) == 3  # the built-in too
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
    assert [g.title for g in guidance] == [*MODEL_PROMPTS, "Vulnerability"]
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
    """A compliance field a plugin called earlier already added is refused, naming both.

    pluggy calls the plugin registered last first, so "first" is registered after "second".
    """
    edm = testing.service(("second", Recording()), ("first", Recording()))
    _close(edm, dm, case, proposed)
    assert [str(p) for p in edm.plugins.problems()] == [
        "second in ethical_decisions_compliance_record: returned field 'ethical_champion_consulted', "
        "which plugin 'first' already added"
    ]


def test_discretion_guidance_for_a_concern(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """The service asks the plugins what to consider for a concern's category in the review's area.

    The model's own prompts come first, from the library; then what the plugins offer.
    """
    edm = testing.service(Recording())
    review = edm.open_review(by=dm, case=case, proposed=proposed)
    review = edm.record_reflection(
        review.review_id, by=dm, concerns=[Concern(ConcernCategory.VULNERABILITY, "Care leaver.")]
    )
    guidance = edm.discretion_guidance(review.review_id, "C1")
    assert [g.title for g in guidance] == [*MODEL_PROMPTS, "Vulnerability"]


def test_a_hook_with_a_misspelt_name_is_reported_not_loaded() -> None:
    """A plugin implementing a hook that does not exist is refused by name; the others load."""

    class Misspelt:
        @hookimpl
        def ethical_decisions_regster_routes(self, register: object) -> None:
            """A typo."""

    plugins = testing.plugins(("misspelt", Misspelt()), ("fine", Recording()))
    assert [p.name for p in plugins.info()] == [*BUILT_IN, "fine"]
    (problem,) = plugins.problems()
    assert str(problem) == (
        "misspelt: implements hooks that do not exist: ethical_decisions_regster_routes; check their names"
    )


BUILT_IN = ["ethical_decisions.logging", "ethical_decisions.prompts", "ethical_decisions.policy"]


def test_built_in_logging_prompts_and_policy_are_plugins() -> None:
    """The library's logging, the model's prompts and the default policy are built-in plugins."""
    infos = make_plugins(entry_points=False).info()
    assert [(i.name, i.distribution, i.builtin) for i in infos] == [
        (name, "ethical-decisions", True) for name in BUILT_IN
    ]
    assert all(i.version for i in infos)


def test_blocked_plugins_come_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins named in EDM_BLOCKED_PLUGINS are not registered."""
    monkeypatch.setenv(BLOCKED_PLUGINS_VARIABLE, " recording , other")
    plugins = make_plugins(entry_points=False, extra=[("recording", Recording())])
    assert [p.name for p in plugins.info()] == BUILT_IN
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
    """An observer that keeps the thread each of its calls ran in."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.events: list[Event] = []
        self.reviews: list[Review] = []

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Note the thread, the event and the review."""
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


def test_the_built_in_observer_alone_is_called_in_the_callers_thread(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """With only the library's own logging observing, no worker thread is used: its code does not hang."""
    threads: list[threading.Thread] = []

    def note_thread(logger: object, method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
        threads.append(threading.current_thread())
        return event

    edm = testing.service()
    with capture_logs(processors=[note_thread]) as logs:
        edm.open_review(by=dm, case=case, proposed=proposed)
    assert [e["event"] for e in logs] == ["ethical_decisions.event_stored"]
    assert threads == [threading.current_thread()]


class _Meeting:
    """An observer whose calls wait for each other: two calls pass only if they run at the same time."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=10)
        self.threads: list[threading.Thread] = []

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Wait for the other call to arrive (raises BrokenBarrierError if it never does)."""
        self.threads.append(threading.current_thread())
        self.barrier.wait()


def test_calls_made_at_the_same_time_run_at_the_same_time(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Two services' threads telling an observer at once are not queued behind each other.

    The observer's two calls meet at a barrier: queued one behind the other, the first would wait
    there in vain and fail.
    """
    observer = _Meeting()
    plugins = make_plugins(blocked=(), entry_points=False, extra=[observer], hook_timeout=30)
    edm = EthicalDecisions(testing.MemoryStore(), plugins=plugins, clock=testing.FakeClock())
    workers = [
        threading.Thread(target=edm.open_review, kwargs={"by": dm, "case": case, "proposed": proposed})
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(observer.threads)) == 2
    assert plugins.problems() == ()


# -- pluggy's call order, wrappers and firstresult ---------------------------------------------

Parts = list[Sequence[DiscretionGuidance]]
"""What pluggy's call of the guidance hook returns: each implementation's part, in call order."""


class _Ordered:
    """Implements the guidance and observer hooks, noting its name in *calls* when called."""

    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    def _called(self) -> list[DiscretionGuidance]:
        self.calls.append(self.name)
        return [DiscretionGuidance(DiscretionScope.INSIDE_RULES, self.name, "Consider it.")]


def _ordered(*, tryfirst: bool = False, trylast: bool = False) -> type[_Ordered]:
    """A plugin class implementing the guidance and observer hooks with the pluggy options given."""

    class Ordered(_Ordered):
        @hookimpl(tryfirst=tryfirst, trylast=trylast)
        def ethical_decisions_discretion_guidance(
            self, business_area: str, category: ConcernCategory
        ) -> Sequence[DiscretionGuidance] | None:
            """Offer a prompt titled with the name."""
            return self._called()

        @hookimpl(tryfirst=tryfirst, trylast=trylast)
        def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
            """Note the call."""
            self._called()

    return Ordered


Plain, TryFirst, TryLast = _ordered(), _ordered(tryfirst=True), _ordered(trylast=True)


class OldStyleWrapper(_Ordered):
    """``hookwrapper=True``: sees the outcome, and drops the part titled *drop*."""

    drop = "last-2"
    seen: list[str]

    @hookimpl(hookwrapper=True)
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Generator[None, pluggy.Result[Parts], None]:
        """Note the call before and after; keep what it saw; leave out one part."""
        self.calls.append(f"{self.name} before")
        outcome = yield
        self.calls.append(f"{self.name} after")
        self.seen = [g.title for part in outcome.get_result() for g in part]
        outcome.force_result([part for part in outcome.get_result() if part[0].title != self.drop])

    @hookimpl(hookwrapper=True)
    def ethical_decisions_event_stored(
        self, event: Event, review: Review
    ) -> Generator[None, pluggy.Result[list[None]], None]:
        """Note the call before and after."""
        self.calls.append(f"{self.name} before")
        yield
        self.calls.append(f"{self.name} after")


class NewStyleWrapper(_Ordered):
    """``wrapper=True``: sees the result, and adds a part of its own."""

    seen: list[str]

    @hookimpl(wrapper=True)
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Generator[None, Parts, Parts]:
        """Note the call before and after; keep what it saw; add a prompt of its own."""
        self.calls.append(f"{self.name} before")
        parts = yield
        self.calls.append(f"{self.name} after")
        self.seen = [g.title for part in parts for g in part]
        return [
            *parts,
            [DiscretionGuidance(DiscretionScope.OUTSIDE_RULES, f"from {self.name}", "Also this.")],
        ]

    @hookimpl(wrapper=True)
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> Generator[None, None, None]:
        """Note the call before and after."""
        self.calls.append(f"{self.name} before")
        yield
        self.calls.append(f"{self.name} after")


def _every_option(calls: list[str]) -> tuple[Plugins, OldStyleWrapper, NewStyleWrapper]:
    """Plugins with every ordering option, registered in a mixed order, and no built-ins."""
    old, new = OldStyleWrapper("old-wrapper", calls), NewStyleWrapper("new-wrapper", calls)
    registered = [
        Plain("plain-1", calls),
        TryFirst("first-1", calls),
        TryLast("last-1", calls),
        old,
        Plain("plain-2", calls),
        TryFirst("first-2", calls),
        TryLast("last-2", calls),
        new,
    ]
    plugins = make_plugins(
        blocked=(), entry_points=False, builtins=False, extra=[(p.name, p) for p in registered]
    )
    return plugins, old, new


PLUGGY_ORDER = [
    "new-wrapper before",  # wrappers around everything: the last registered outermost
    "old-wrapper before",
    "first-2",  # tryfirst, the last registered first
    "first-1",
    "plain-2",  # then the last registered first
    "plain-1",
    "last-1",  # trylast ones last (pluggy puts each new one before those already there)
    "last-2",
    "old-wrapper after",
    "new-wrapper after",
]
"""pluggy's documented call order for the plugins of :func:`_every_option`."""


def test_guidance_is_asked_in_pluggys_order_and_wrappers_see_and_change_it() -> None:
    """tryfirst, then the last registered first, then trylast; old- and new-style wrappers around them.

    The old-style wrapper sees every part and leaves one out; the new-style one, outside it, sees
    what the old-style one left and adds its own. The facade returns what pluggy returns, in that order.
    """
    calls: list[str] = []
    plugins, old, new = _every_option(calls)
    guidance = plugins.discretion_guidance("border_force", ConcernCategory.OTHER)
    assert calls == PLUGGY_ORDER
    offered = ["first-2", "first-1", "plain-2", "plain-1", "last-1", "last-2"]
    assert old.seen == offered
    assert new.seen == offered[:-1]
    assert [g.title for g in guidance] == [*offered[:-1], "from new-wrapper"]
    assert plugins.problems() == ()


def test_observers_are_told_in_pluggys_order_inside_their_wrappers(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Observers are called in pluggy's documented order too, with both kinds of wrapper around them."""
    calls: list[str] = []
    plugins, _, _ = _every_option(calls)
    edm = EthicalDecisions(testing.MemoryStore(), plugins=plugins, clock=testing.FakeClock())
    edm.open_review(by=dm, case=case, proposed=proposed)
    assert calls == PLUGGY_ORDER
    assert plugins.problems() == ()


class _AnswerSpec:
    """A hook for this test only: the first plugin to answer decides, as in a permission hook."""

    @hookspec(firstresult=True)
    def ethical_decisions_test_answer(self, question: str) -> str | None:
        """Answer *question*, or ``None`` to leave it to the next plugin."""


class _Answer:
    """Answers with *answer* (``None`` passes); or raises, if *answer* is an exception."""

    def __init__(self, answer: str | Exception | None) -> None:
        self.answer = answer
        self.asked = 0

    @hookimpl
    def ethical_decisions_test_answer(self, question: str) -> str | None:
        """Give the answer."""
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_a_firstresult_hook_gives_the_first_answer_as_pluggy_returns_it() -> None:
    """The facade's call path returns pluggy's result as it is: for a firstresult hook, the first answer.

    pluggy asks the last registered first. One that raises is reported and left out, and the hook
    called again without it; one that passes (``None``) leaves the question to the next; the plugins
    after the one that answered are never asked.
    """
    plugins = make_plugins(blocked=(), entry_points=False)
    plugins.manager.add_hookspecs(_AnswerSpec)
    never, yes, passing, broken = _Answer("never"), _Answer("yes"), _Answer(None), _Answer(RuntimeError())
    for name, plugin in [("never", never), ("yes", yes), ("passing", passing), ("broken", broken)]:
        plugins.manager.register(plugin, name=name)

    answer, left_out = plugins._call("ethical_decisions_test_answer", lambda hook: hook(question="May I?"))

    assert (answer, left_out) == ("yes", frozenset({broken}))
    assert (broken.asked, passing.asked, yes.asked, never.asked) == (1, 1, 1, 0)
    assert [str(p) for p in plugins.problems()] == [
        "broken in ethical_decisions_test_answer: raised RuntimeError"
    ]


# -- failures isolated through pluggy ----------------------------------------------------------


class _Counting:
    """Offers one prompt and adds one field, counting the calls; or raises, if *fails*."""

    def __init__(self, name: str, fails: bool = False) -> None:
        self.name = name
        self.fails = fails
        self.calls = 0

    def _answer(self) -> None:
        self.calls += 1
        if self.fails:
            raise RuntimeError(f"{self.name} broke")

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Offer a prompt titled with the name."""
        self._answer()
        return [DiscretionGuidance(DiscretionScope.INSIDE_RULES, self.name, "Consider it.")]

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Add a field named after the plugin."""
        self._answer()
        return {self.name: True}


def _record(dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision) -> ComplianceRecord:
    return build_record(_close(testing.service(), dm, case, proposed))


def test_a_plugin_that_raises_is_left_out_and_the_hook_called_again_without_it(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """A guidance or enrichment plugin that raises is reported by name; the others' parts are all kept.

    The hook is called again without it, so a plugin pluggy called before it is called twice: these
    hooks must be free of side effects. One called after it is called once.
    """
    after, broken, before = _Counting("after"), _Counting("broken", fails=True), _Counting("before")
    plugins = testing.plugins(("after", after), ("broken", broken), ("before", before))

    guidance = plugins.discretion_guidance("border_force", ConcernCategory.OTHER)
    record = plugins.compliance_record(_record(dm, case, proposed))

    assert [g.title for g in guidance][-2:] == ["before", "after"]
    assert dict(record.extensions) == {"before": True, "after": True}
    assert (before.calls, broken.calls, after.calls) == (4, 2, 2)
    assert [str(p) for p in plugins.problems()] == [
        "broken in ethical_decisions_discretion_guidance: raised RuntimeError",
        "broken in ethical_decisions_compliance_record: raised RuntimeError",
    ]


@pytest.mark.parametrize("failing_first", [True, False])
def test_the_plugin_that_raised_is_told_from_another_instance_of_its_class(
    failing_first: bool, dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Two instances of one class share their code: the one that raised is found by its own ``self``."""
    pair = [("bad", _Counting("bad", fails=True)), ("good", _Counting("good"))]
    plugins = testing.plugins(*(pair if failing_first else pair[::-1]))
    record = plugins.compliance_record(_record(dm, case, proposed))
    assert dict(record.extensions) == {"good": True}
    assert [p.plugin for p in plugins.problems()] == ["bad"]


def test_the_happy_path_is_one_call_and_garbage_asks_each_plugin_alone(
    dm: DecisionMaker, case: CaseReference, proposed: ProposedDecision
) -> None:
    """Usable answers cost one pluggy call; only an unusable one makes each plugin be asked on its own.

    Then the plugin whose part is unusable is reported by name and every other plugin's part is kept.
    """
    good, other = _Counting("good"), _Counting("other")
    plugins = testing.plugins(("good", good), ("other", other))
    record = _record(dm, case, proposed)
    plugins.compliance_record(record)
    assert (good.calls, other.calls) == (1, 1)

    with_garbage = testing.plugins(("good", good), ("garbage", Garbage()), ("other", other))
    enriched = with_garbage.compliance_record(record)
    assert dict(enriched.extensions) == {"good": True, "other": True}
    assert (good.calls, other.calls) == (3, 3)
    assert [p.plugin for p in with_garbage.problems()] == ["garbage"]


class _Forcing:
    """An old-style wrapper that makes the call fail with an exception none of the plugins raised."""

    made_elsewhere = RuntimeError("made elsewhere")

    @hookimpl(hookwrapper=True)
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Generator[None, pluggy.Result[Parts], None]:
        """Replace the outcome with an exception made elsewhere."""
        outcome = yield
        outcome.force_exception(self.made_elsewhere)


def test_a_failure_no_plugin_can_be_blamed_for_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception that no plugin's code raised, or that the library's own built-in raised, is raised.

    Leaving out a plugin that did nothing wrong would hide a fault of the library's.
    """
    plugins = testing.plugins(("forcing", _Forcing()), Recording())
    with pytest.raises(RuntimeError, match="made elsewhere"):
        plugins.discretion_guidance("border_force", ConcernCategory.VULNERABILITY)

    monkeypatch.setattr("ethical_decisions._builtin.DISCRETION_PROMPTS", {})
    with pytest.raises(KeyError):
        testing.plugins(Recording()).discretion_guidance("border_force", ConcernCategory.VULNERABILITY)


def test_a_route_plugin_that_registers_garbage_adds_no_route() -> None:
    """A plugin registering something that is not a Route is reported and adds none; the others do.

    ``register`` is for the hook's own call: called later, it refuses.
    """
    kept: list[Callable[[object], None]] = []

    class Confused:
        @hookimpl
        def ethical_decisions_register_routes(self, register: Callable[[object], None]) -> None:
            """Register a route, then a string; keep ``register`` for later."""
            register(testing.route("confused_route"))
            register("not a route")
            kept.append(register)

    plugins = testing.plugins(("confused", Confused()), ("fine", RoutesPlugin(testing.route("fine_route"))))
    routes = plugins.routes()
    assert [r.route_id for r in routes] == ["fine_route"]
    assert routes.plugins == {"fine_route": "fine"}
    assert [str(p) for p in plugins.problems()] == [
        "confused in ethical_decisions_register_routes: registered something that is not a Route"
    ]
    with pytest.raises(RouteError, match="while it runs"):
        kept[0](testing.route("late_route"))


def test_an_unhashable_plugin_is_refused_by_name() -> None:
    """A plugin object that cannot be hashed cannot be left out of a call, so it is refused when loaded."""

    @dataclasses.dataclass
    class Unhashable:
        note: str = "a dataclass compares by value and has no hash"

        @hookimpl
        def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
            """Observe nothing."""

    plugins = testing.plugins(("unhashable", Unhashable()), ("fine", Recording()))
    assert [p.name for p in plugins.info()] == [*BUILT_IN, "fine"]
    assert [(p.plugin, p.error_type) for p in plugins.problems()] == [("unhashable", "TypeError")]


# -- the model's prompts, once -----------------------------------------------------------------


def _route_plugin(route_id: str, own: str) -> RoutePlugin:
    own_prompt = DiscretionGuidance(DiscretionScope.INSIDE_RULES, own, "What else?")
    return RoutePlugin("edm-test", route_id, "border_force", route_id, guidance=(own_prompt,), version="1")


def test_the_models_prompts_come_once_first_in_every_area_and_routes_add_their_own() -> None:
    """The library offers the model's prompts once, first, in every area; route plugins only their own.

    An area with two route plugins shows the model's prompts once, then each route's own (pluggy's
    order: the last registered first); an area with no route plugin still gets the model's prompts.
    """
    plugins = testing.plugins(
        ("route_a", _route_plugin("route_a", "A's own")), ("route_b", _route_plugin("route_b", "B's own"))
    )
    category = ConcernCategory.VULNERABILITY
    in_area = [g.title for g in plugins.discretion_guidance("border_force", category)]
    elsewhere = [g.title for g in plugins.discretion_guidance("an_area_without_a_route", category)]
    assert in_area == [*MODEL_PROMPTS, "B's own", "A's own"]
    assert elsewhere == MODEL_PROMPTS
