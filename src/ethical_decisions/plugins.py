"""The plugin manager factory and the typed facade every hook call goes through.

:func:`make_plugins` builds a manager when asked, never at import time: it adds
the hook specifications, registers the built-in plugins, blocks the plugins
named in configuration, loads entry points one at a time (a plugin that fails
to load is reported by name and the rest still load), then calls ``check_pending()``.

The :class:`Plugins` facade calls each hook through pluggy, ``pm.hook.<name>(...)``,
so call order, wrappers and ``firstresult`` are pluggy's. A plugin that fails is
reported by name (a :class:`PluginProblem`, logged as ``ethical_decisions.hook_failed``
with allow-listed fields only) and never stops the others:

- **A plugin that raises** is found from the traceback and the hook is called
  again without it, so hooks must be free of side effects (``ethical_decisions._calls``).
  A failure no plugin can be blamed for is the library's own, and is raised.
- **What a hook returns is checked**, once, after the call, and copied into
  plain lists and dicts. Only when something is unusable is each plugin asked
  on its own, to find whose part it is; the others' parts are kept.
- **Observers** are the one hook called in worker threads, each call waited for
  at most :attr:`Plugins.hook_timeout` seconds (``ethical_decisions._observers``).
  The other hooks are answered while a step waits, in the caller's thread.
- **Nothing to corrupt.** Events, reviews and compliance records are frozen
  all through (frozen attrs classes whose mappings refuse changes too), so
  plugins are given them as they are, without a copy: a plugin that tries to
  change what it is given raises, is reported, and changes nothing the library holds.
  A compliance enricher that fails, however it fails, leaves the record without
  its fields, and the closing step is recorded as usual.
- **The permission policy fails closed.** A policy plugin that raises, or answers
  with anything but a :class:`~ethical_decisions.policy.Permission`, is reported
  and the step is refused: a broken policy never lets a step through.
"""

from __future__ import annotations

import collections
import functools
import os
import threading
from collections.abc import Iterable, Sequence
from typing import TypeVar

import attrs
import pluggy

from . import _blame, _calls, _loading, _observers, _returns, hookspecs
from ._builtin import DefaultPolicy, LoggingPlugin, PromptsPlugin
from .compliance import ComplianceRecord
from .events import Event
from .learning import FeedbackNotice, GuidanceFeedback
from .log import LogEvent, emit
from .model import ConcernCategory
from .policy import People, Permission, PermissionRequest, default_policy, people_from_environment
from .review import Review
from .routes import DiscretionGuidance, RouteRegistry
from .signals import RisingCategory

__all__ = [
    "BLOCKED_PLUGINS_VARIABLE",
    "DEFAULT_HOOK_TIMEOUT",
    "HOOK_TIMEOUT_VARIABLE",
    "PluginInfo",
    "PluginProblem",
    "Plugins",
    "make_plugins",
]

BLOCKED_PLUGINS_VARIABLE = "EDM_BLOCKED_PLUGINS"
"""Environment variable naming plugins not to load, separated by commas."""

HOOK_TIMEOUT_VARIABLE = "EDM_PLUGIN_TIMEOUT"
"""Environment variable: seconds to wait for a call to the observers (a number greater than 0)."""

DEFAULT_HOOK_TIMEOUT = 5.0
"""Seconds to wait for a call to the observers when neither an argument nor the variable says otherwise."""

TIMED_OUT = _observers.TIMED_OUT
"""The :attr:`PluginProblem.error_type` of an observer that did not return in time, or was skipped."""

_KEPT_PROBLEMS = 1000
"""How many of the most recent problems :meth:`Plugins.problems` keeps."""
_T = TypeVar("_T")


@attrs.frozen
class PluginInfo:
    """A loaded plugin and the distribution it came from."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool = False


@attrs.frozen
class PluginProblem:
    """A plugin that failed to load, or whose hook failed, timed out or returned something unusable.

    :param hook: the hook that failed, or ``None`` if the plugin failed to load.
    :param error_type: the exception's type, ``"InvalidReturn"``, or ``"Timeout"`` (no answer in time).
    :param problem: what went wrong, for the people who run the service.
    """

    plugin: str
    hook: str | None
    error_type: str
    problem: str

    def __str__(self) -> str:
        where = f" in {self.hook}" if self.hook else ""
        return f"{self.plugin}{where}: {self.problem}"


class Plugins:
    """Typed calls to every hook. Made by :func:`make_plugins`, not directly.

    :param hook_timeout: seconds to wait for a call to the observers.
    """

    def __init__(
        self,
        manager: pluggy.PluginManager,
        infos: Sequence[PluginInfo],
        *,
        hook_timeout: float = DEFAULT_HOOK_TIMEOUT,
        people: People | None = None,
    ) -> None:
        self._manager = manager
        self.people = people if people is not None else People()
        """What the default permission policy knows of the deployment's people."""
        self._infos: list[PluginInfo] = []
        self._builtins: frozenset[str] = frozenset()
        for info in infos:
            self._add(info)
        self._problems: collections.deque[PluginProblem] = collections.deque(maxlen=_KEPT_PROBLEMS)
        self._lock = threading.Lock()
        self._routes: RouteRegistry | None = None
        self._hook_timeout = _observers.seconds(hook_timeout, "hook_timeout")
        self._observers = _observers.Observers(
            manager, "ethical_decisions_event_stored", self._hook_timeout, lambda: self._builtins
        )
        self._observer_failed = functools.partial(self._report, "ethical_decisions_event_stored")
        self._feedback_observers = _observers.Observers(
            manager, "ethical_decisions_feedback", self._hook_timeout, lambda: self._builtins
        )
        self._feedback_failed = functools.partial(self._report, "ethical_decisions_feedback")

    @property
    def manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager."""
        return self._manager

    @property
    def hook_timeout(self) -> float:
        """Seconds the facade waits for a call to the observers before carrying on without it."""
        return self._hook_timeout

    def info(self) -> tuple[PluginInfo, ...]:
        """The loaded plugins, with their distributions' names and versions."""
        return tuple(self._infos)

    def problems(self) -> tuple[PluginProblem, ...]:
        """The plugin failures since the manager was made (the most recent thousand), oldest first."""
        with self._lock:
            return tuple(self._problems)

    def _add(self, info: PluginInfo) -> None:
        self._infos.append(info)
        if info.builtin:
            self._builtins |= {info.name}

    def _report(self, hook: str | None, plugin: str, error_type: str, problem: str) -> PluginProblem:
        found = PluginProblem(plugin, hook, error_type, problem)
        with self._lock:
            self._problems.append(found)
        event = LogEvent.HOOK_FAILED if hook else LogEvent.PLUGIN_LOAD_FAILED
        emit(event, level="error", plugin=plugin, hook=hook, error_type=error_type)
        return found

    def _call(self, hook: str, call: _calls.Call[_T]) -> tuple[_T, frozenset[object]]:
        """What *call* returns from ``pm.hook.<hook>``, and the plugins left out because they raised."""
        report = functools.partial(self._report, hook)
        return _calls.isolated(self._manager, hook, call, trusted=self._builtins, report=report)

    def _each(
        self, hook: str, call: _calls.Call[object], without: frozenset[object]
    ) -> list[tuple[str, object]]:
        """What *call* returns from each plugin of *hook* on its own, to find whose part is unusable."""
        report = functools.partial(self._report, hook)
        return _calls.one_by_one(
            self._manager, hook, call, without=without, trusted=self._builtins, report=report
        )

    # -- the hooks ---------------------------------------------------------------------

    def routes(self) -> RouteRegistry:
        """The installed routes (asked of the plugins once, then kept).

        A plugin whose hook raises, or that registers something other than a
        :class:`~ethical_decisions.Route`, adds none of its routes.

        :raises DuplicateRouteError: if two plugins register the same route id.
        """
        if self._routes is None:
            hook = "ethical_decisions_register_routes"
            offered, _ = self._call(hook, _returns.register_routes)
            self._routes = RouteRegistry(
                _returns.routes_by_plugin(offered, functools.partial(self._report, hook))
            )
        return self._routes

    def discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> tuple[DiscretionGuidance, ...]:
        """The plugins' discretion guidance for a concern of *category* in *business_area*, in call order."""
        hook = "ethical_decisions_discretion_guidance"

        def ask(pm_hook: pluggy.HookCaller) -> object:
            return pm_hook(business_area=business_area, category=category)

        results, failed = self._call(hook, ask)
        try:
            return tuple(_returns.guidance(results))
        except _returns.UnusableError:  # someone's part is unusable: find whose, keep the others'
            parts = self._each(hook, ask, failed)
            return tuple(_returns.guidance_by_plugin(parts, functools.partial(self._report, hook)))

    def event_stored(self, event: Event, review: Review) -> tuple[PluginProblem, ...]:
        """Tell every observer about a stored event; return the failures (already logged)."""
        failures = self._observers.tell(self._observer_failed, event=event, review=review)
        return tuple(failures)  # both frozen all through: given as they are

    def feedback(self, notice: FeedbackNotice) -> tuple[PluginProblem, ...]:
        """Tell every feedback observer what came of a concern; return the failures (already logged)."""
        return tuple(self._feedback_observers.tell(self._feedback_failed, notice=notice))

    def guidance_feedback(self, feedback: GuidanceFeedback) -> bool:
        """Hand feedback on the guidance to the first plugin that takes it; whether one did.

        A plugin that raises is reported by name and left out, and the next is asked.
        """
        hook = "ethical_decisions_guidance_feedback"
        results, _ = self._call(hook, lambda pm_hook: pm_hook(feedback=feedback))
        return results is True

    def permission(self, request: PermissionRequest) -> Permission:
        """The permission policy's answer to *request*: the first plugin's (pluggy ``firstresult``).

        The library's default policy is a built-in plugin answering last; if no
        plugin answers (the built-ins were left out), it answers all the same.
        A policy plugin that raises or answers with something other than a
        :class:`~ethical_decisions.policy.Permission` is reported by name, and
        the step is refused.
        """
        hook = "ethical_decisions_permission"
        caller = self._manager.hook.ethical_decisions_permission
        try:
            answer = caller(request=request)
        except Exception as exc:
            culprit = _blame.from_traceback(caller.get_hookimpls(), exc)
            if culprit is None or culprit.plugin_name in self._builtins:
                raise
            self._report(hook, culprit.plugin_name, type(exc).__name__, _calls.failure(exc))
            return _POLICY_FAILED
        if answer is None:
            return default_policy(request, self.people)
        if type(answer) is not Permission:
            answers = self._each(hook, lambda h: h(request=request), frozenset())
            plugin = next((name for name, given in answers if given is not None), "a permission plugin")
            self._report(hook, plugin, "InvalidReturn", "returned something other than a Permission")
            return _POLICY_FAILED
        return answer

    def rising_category(self, signal: RisingCategory) -> tuple[PluginProblem, ...]:
        """Tell every plugin that a concern category is rising; return the failures (already logged).

        A plugin that raises is reported by name and left out; the others are told.
        """
        hook = "ethical_decisions_rising_category"
        before = len(self.problems())
        self._call(hook, lambda pm_hook: pm_hook(signal=signal))
        emit(
            LogEvent.RISING_CATEGORY,
            category=signal.category.value,
            month=signal.month,
            count=signal.count,
        )
        return self.problems()[before:]

    def compliance_record(self, record: ComplianceRecord) -> ComplianceRecord:
        """The record with every plugin's extra fields added to its ``extensions``.

        A plugin that fails or returns anything unusable adds nothing.
        """
        hook = "ethical_decisions_compliance_record"

        def ask(pm_hook: pluggy.HookCaller) -> object:
            return pm_hook(record=record)

        results, failed = self._call(hook, ask)
        try:
            extra = _returns.fields(results)
        except _returns.UnusableError:  # someone's part is unusable: find whose, keep the others'
            extra = _returns.fields_by_plugin(
                self._each(hook, ask, failed), functools.partial(self._report, hook)
            )
        if not extra:  # nothing to add: the record as built, without validating it all again
            return record
        return attrs.evolve(record, extensions={**record.extensions, **dict(extra)})


_POLICY_FAILED = Permission.refuse(
    "the deployment's permission policy could not answer (the plugin problem is logged)",
    "ask whoever runs the service to fix the permission plugin",
)


def make_plugins(
    *,
    blocked: Iterable[str] | None = None,
    entry_points: bool = True,
    builtins: bool = True,
    extra: Iterable[object | tuple[str, object]] = (),
    hook_timeout: float | None = None,
    people: People | None = None,
) -> Plugins:
    """Make the plugin manager and its typed facade.

    :param blocked: names of plugins not to load; by default those in the
        ``EDM_BLOCKED_PLUGINS`` environment variable (comma-separated).
    :param entry_points: load the plugins installed under the
        ``ethical_decisions`` entry-point group.
    :param builtins: register the built-in plugins (structured logging, the model's prompts, and the
        default permission policy).
    :param extra: further plugins to register, as objects or ``(name, object)``
        pairs: for tests, and for applications that ship their own.
    :param hook_timeout: seconds to wait for a call to the observers before
        reporting the one that is stuck and carrying on; by default the
        ``EDM_PLUGIN_TIMEOUT`` environment variable, else :data:`DEFAULT_HOOK_TIMEOUT`.
    :param people: what the default permission policy knows of the deployment's
        people; by default the file named by ``EDM_PEOPLE_FILE``, if any
        (see :func:`ethical_decisions.policy.load_people`).
    :raises ValidationError: if the timeout is not a number of seconds greater than 0,
        or the people file cannot be used.
    """
    if hook_timeout is None:
        raw = os.environ.get(HOOK_TIMEOUT_VARIABLE, "").strip()
        hook_timeout = _observers.seconds(raw, HOOK_TIMEOUT_VARIABLE) if raw else DEFAULT_HOOK_TIMEOUT
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    people = people_from_environment() if people is None else people
    plugins = Plugins(manager, [], hook_timeout=hook_timeout, people=people)  # which checks an argument given
    _loading.load(
        manager,
        builtins=[(p.name, p) for p in (LoggingPlugin(), PromptsPlugin(), DefaultPolicy(people))]
        if builtins
        else [],
        blocked=os.environ.get(BLOCKED_PLUGINS_VARIABLE, "").split(",") if blocked is None else blocked,
        extra=extra,
        entry_points=entry_points,
        added=lambda *info: plugins._add(PluginInfo(*info)),
        failed=functools.partial(plugins._report, None),
    )
    manager.check_pending()
    return plugins
