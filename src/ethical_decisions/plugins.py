"""The plugin manager factory and the typed facade every hook call goes through.

:func:`make_plugins` builds a manager when asked, never at import time: it adds
the hook specifications, registers the built-in plugins, blocks the plugins
named in configuration, loads entry points one at a time (a plugin that fails
to load is reported by name and the rest still load), then calls
``check_pending()``.

The :class:`Plugins` facade calls each plugin's hook on its own, so one that
raises, hangs or returns garbage is reported by name (a :class:`PluginProblem`,
logged as ``ethical_decisions.hook_failed``) and never stops the others:

- **Bounded waits.** Every call to an installed plugin's hook runs in a worker
  thread (with the caller's context variables; an idle thread is kept for the
  next call, so a call costs a hand-over, not a new thread) and is waited for at most
  :attr:`Plugins.hook_timeout` seconds: by default :data:`DEFAULT_HOOK_TIMEOUT`,
  or the ``EDM_PLUGIN_TIMEOUT`` environment variable, or ``make_plugins(hook_timeout=...)``.
  A call that takes longer is reported as timed out and the facade moves on
  without its result. Python cannot stop a thread, so the call runs on in the
  background; until it ends, that plugin's hook is skipped (and each skip
  reported), so a plugin that hangs for good costs one thread, not one per event.
  The built-in plugins are the library's own code and are called directly.
- **Nothing to corrupt.** Events, reviews and compliance records are frozen
  all through (frozen attrs classes whose mappings refuse changes too), so
  plugins are given them as they are, without a copy: a plugin that tries to
  change what it is given raises, is reported, and changes nothing the library holds.
- **Garbage refused.** What a hook returns is checked (and copied into plain
  lists and dicts in the worker thread, where a value that misbehaves on being
  read is the plugin's fault and bounded by the same wait); anything unusable
  is reported and ignored.

The compliance enrichment hook runs before a closing step is appended; a
plugin that fails there, however it fails, leaves the record without its
fields and the step is recorded as usual.
"""

from __future__ import annotations

import collections
import contextvars
import math
import os
import queue
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pluggy

from . import hookspecs
from ._builtin import LoggingPlugin
from .compliance import ComplianceRecord, Scalar
from .events import Event
from .exceptions import EthicalDecisionsError, PluginError, ValidationError
from .log import LogEvent, emit
from .model import ConcernCategory
from .review import Review
from .routes import DiscretionGuidance, Route, RouteRegistry

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
"""Environment variable: seconds to wait for one plugin's hook call (a number greater than 0)."""

DEFAULT_HOOK_TIMEOUT = 5.0
"""Seconds to wait for one plugin's hook call when neither an argument nor the variable says otherwise."""

TIMED_OUT = "Timeout"
"""The :attr:`PluginProblem.error_type` of a hook call that did not return in time, or was skipped."""

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_MAX_FIELD_TEXT = 200
"""Longest text a plugin may add to a compliance record: a code or label, never prose."""
_KEPT_PROBLEMS = 1000
"""How many of the most recent problems :meth:`Plugins.problems` keeps."""


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


def _distribution_version() -> str | None:
    import importlib.metadata  # noqa: PLC0415 - slow to import: loaded when plugins are made, not at import

    try:
        return importlib.metadata.version("ethical-decisions")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


class _SkippedError(Exception):
    """A hook call that timed out or was skipped; *problem* is already reported."""

    def __init__(self, problem: PluginProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _UnusableError(Exception):
    """A hook's result that cannot be used; the message says why (it never holds the value)."""


class _Call:
    """One hook call in a worker thread: its outcome, and when it is known."""

    def __init__(self, function: Callable[..., Any], kwargs: Mapping[str, Any], shape: _Shape) -> None:
        self.function = function
        self.kwargs = kwargs
        self.shape = shape
        self.context = contextvars.copy_context()
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self, then: Callable[[], None]) -> None:
        """Make the call; then call *then* and say it is done."""
        try:
            self.result = self.context.run(lambda: self.shape(self.function(**self.kwargs)))
        except BaseException as exc:  # handed to the caller's thread, which decides
            self.error = exc
        finally:
            then()  # before the caller hears: its next call finds this thread idle
            self.done.set()


class _Workers:
    """Daemon threads that run installed plugins' hook calls, each kept for the next call once it returns.

    A new thread per call would cost more than most hooks do. A thread whose
    call never returns is never given another; calls made at the same time run
    at the same time. Daemon threads, so that a stuck call cannot keep the
    process from exiting.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[_Call]] = []
        self._pid = os.getpid()

    def run(self, call: _Call) -> None:
        """Start *call* in an idle thread, or a new one if none is idle."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: its parent's threads are not here
                self._idle, self._pid = [], os.getpid()
            calls = self._idle.pop() if self._idle else None
        if calls is None:
            calls = queue.SimpleQueue()
            threading.Thread(
                target=self._serve, args=(calls,), name="ethical-decisions-plugin", daemon=True
            ).start()
        calls.put(call)

    def _serve(self, calls: queue.SimpleQueue[_Call]) -> None:
        while True:
            call = calls.get()
            call.run(then=lambda: self._release(calls))

    def _release(self, calls: queue.SimpleQueue[_Call]) -> None:
        with self._lock:
            self._idle.append(calls)


_Shape = Callable[[Any], Any]


def _as_is(value: Any) -> Any:
    return value


class Plugins:
    """Typed calls to every hook. Made by :func:`make_plugins`, not directly.

    :param hook_timeout: seconds to wait for one installed plugin's hook call.
    """

    def __init__(
        self,
        manager: pluggy.PluginManager,
        infos: Sequence[PluginInfo],
        *,
        hook_timeout: float = DEFAULT_HOOK_TIMEOUT,
    ) -> None:
        self._manager = manager
        self._infos = list(infos)
        self._problems: collections.deque[PluginProblem] = collections.deque(maxlen=_KEPT_PROBLEMS)
        self._routes: RouteRegistry | None = None
        self._hook_timeout = _check_timeout(hook_timeout, "hook_timeout")
        self._lock = threading.Lock()
        self._workers = _Workers()
        self._running: dict[tuple[str, str], _Call] = {}
        """Each (plugin, hook) whose last call timed out, with that call."""
        self._builtins: frozenset[str] = frozenset()
        self._builtins_seen = 0

    @property
    def manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager."""
        return self._manager

    @property
    def hook_timeout(self) -> float:
        """Seconds the facade waits for one installed plugin's hook call before moving on."""
        return self._hook_timeout

    def info(self) -> tuple[PluginInfo, ...]:
        """The loaded plugins, with their distributions' names and versions."""
        return tuple(self._infos)

    def problems(self) -> tuple[PluginProblem, ...]:
        """The plugin failures since the manager was made (the most recent thousand), oldest first."""
        with self._lock:
            return tuple(self._problems)

    def _report(
        self, plugin: str, hook: str | None, exc: BaseException | None, problem: str, *, error_type: str = ""
    ) -> PluginProblem:
        error_type = error_type or (type(exc).__name__ if exc is not None else "InvalidReturn")
        found = PluginProblem(plugin, hook, error_type, problem)
        with self._lock:
            self._problems.append(found)
        event = LogEvent.HOOK_FAILED if hook else LogEvent.PLUGIN_LOAD_FAILED
        emit(event, level="error", plugin=plugin, hook=hook, error_type=error_type)
        return found

    def _impls(self, hook: str) -> list[tuple[str, Any]]:
        caller = getattr(self._manager.hook, hook)
        return [(impl.plugin_name, impl.function) for impl in caller.get_hookimpls()]

    def _trusted(self, plugin: str) -> bool:
        infos = self._infos
        if self._builtins_seen != len(infos):  # plugins are only ever added to the list
            self._builtins = frozenset(info.name for info in infos if info.builtin)
            self._builtins_seen = len(infos)
        return plugin in self._builtins

    def _call(
        self, plugin: str, hook: str, function: Callable[..., Any], shape: _Shape = _as_is, **kwargs: Any
    ) -> Any:
        """*function*'s result passed through *shape*, within the timeout; or the exception it raised.

        :raises _SkippedError: if the call timed out, or an earlier one is still running (already reported).
        """
        if self._trusted(plugin):
            return shape(function(**kwargs))
        key = (plugin, hook)
        with self._lock:
            earlier = self._running.get(key)
            if earlier is not None and earlier.done.is_set():
                del self._running[key]
                earlier = None
        if earlier is not None:
            raise _SkippedError(
                self._report(
                    plugin,
                    hook,
                    None,
                    "skipped: an earlier call that timed out is still running",
                    error_type=TIMED_OUT,
                )
            )
        call = _Call(function, kwargs, shape)
        self._workers.run(call)
        if not call.done.wait(self._hook_timeout):
            with self._lock:
                self._running[key] = call
            raise _SkippedError(
                self._report(
                    plugin,
                    hook,
                    None,
                    f"did not return within {self._hook_timeout:g} s; carried on without it",
                    error_type=TIMED_OUT,
                )
            )
        if call.error is not None:
            raise call.error
        return call.result

    # -- the hooks ---------------------------------------------------------------------

    def routes(self) -> RouteRegistry:
        """The installed routes (asked of the plugins once, then kept).

        A plugin whose hook fails or times out adds none of its routes. After a
        time-out the routes are asked for again next time, so a plugin that was
        slow once (a cold start) is not lost for the life of the process.

        :raises DuplicateRouteError: if two plugins register the same route id.
        """
        if self._routes is None:
            hook = "ethical_decisions_register_routes"
            registry = RouteRegistry()
            complete = True
            for plugin, function in self._impls(hook):
                offered: list[Route] = []

                def register(route: Route, plugin: str = plugin, offered: list[Route] = offered) -> None:
                    if not isinstance(route, Route):
                        raise PluginError(plugin, "registered something that is not a Route")
                    offered.append(route)

                try:
                    self._call(plugin, hook, function, register=register)
                except _SkippedError:
                    complete = False
                    continue
                except Exception as exc:  # a broken plugin must not hide the others' routes
                    self._report(plugin, hook, exc, _problem(exc))
                    continue
                for route in list(offered):
                    registry.add(route, plugin)
            if not complete:
                return registry
            self._routes = registry
        return self._routes

    def discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> tuple[DiscretionGuidance, ...]:
        """Every plugin's discretion guidance for a concern of *category* in *business_area*."""
        hook = "ethical_decisions_discretion_guidance"
        found: list[DiscretionGuidance] = []
        for plugin, function in self._impls(hook):
            try:
                offered = self._call(
                    plugin, hook, function, _guidance_list, business_area=business_area, category=category
                )
            except _SkippedError:
                continue
            except _UnusableError as exc:
                self._report(plugin, hook, None, str(exc))
                continue
            except Exception as exc:
                self._report(plugin, hook, exc, f"raised {type(exc).__name__}")
                continue
            found.extend(offered)
        return tuple(found)

    def event_stored(self, event: Event, review: Review) -> tuple[PluginProblem, ...]:
        """Tell every observer about a stored event; return the failures (already logged)."""
        hook = "ethical_decisions_event_stored"
        failures = []
        for plugin, function in self._impls(hook):
            try:  # both are frozen all through, so every plugin is given them as they are
                self._call(plugin, hook, function, event=event, review=review)
            except _SkippedError as skipped:
                failures.append(skipped.problem)
            except Exception as exc:  # an observer never affects the trail or other observers
                failures.append(self._report(plugin, hook, exc, f"raised {type(exc).__name__}"))
        return tuple(failures)

    def compliance_record(self, record: ComplianceRecord) -> ComplianceRecord:
        """The record with every plugin's extra fields added to its ``extensions``.

        A plugin that fails, times out or returns anything unusable adds nothing.
        """
        hook = "ethical_decisions_compliance_record"
        extensions: dict[str, Scalar] = dict(record.extensions)
        added_by: dict[str, str] = {}
        for plugin, function in self._impls(hook):
            try:
                extra = self._call(plugin, hook, function, _field_list, record=record)
            except _SkippedError:
                continue
            except _UnusableError as exc:
                self._report(plugin, hook, None, str(exc))
                continue
            except Exception as exc:
                self._report(plugin, hook, exc, f"raised {type(exc).__name__}")
                continue
            problem = _check_extensions(extra, added_by)
            if problem:
                self._report(plugin, hook, None, problem)
                continue
            for key, value in extra:
                extensions[key] = value
                added_by[key] = plugin
        if not added_by:  # nothing to add: the record as built, without validating it all again
            return record
        return attrs.evolve(record, extensions=extensions)


def _problem(exc: Exception) -> str:
    """What a failing hook did: the library's own errors in full.

    That includes a :class:`~ethical_decisions.PluginError` a plugin raises to say
    what to fix in its configuration, which is what that error is for.
    """
    if isinstance(exc, EthicalDecisionsError):
        return f"raised {type(exc).__name__}: {exc}"
    return f"raised {type(exc).__name__}"


def _guidance_list(offered: object) -> list[DiscretionGuidance]:
    """*offered* as a plain list of guidance (run in the plugin's worker thread)."""
    if offered is None:
        return []
    if isinstance(offered, str | bytes) or not isinstance(offered, Sequence):
        raise _UnusableError("returned something other than a list of DiscretionGuidance")
    items = list(offered)
    if not all(type(g) is DiscretionGuidance for g in items):
        raise _UnusableError("returned something other than a list of DiscretionGuidance")
    return items


def _field_list(extra: object) -> list[tuple[str, Scalar]]:
    """*extra* as plain ``(name, value)`` pairs (run in the plugin's worker thread)."""
    if extra is None:
        return []
    if not isinstance(extra, Mapping):
        raise _UnusableError("returned something other than a mapping of field names to values")
    pairs = []
    for key, value in list(extra.items()):
        if not isinstance(key, str):
            raise _UnusableError(
                "returned a field name that is not a lower-case name like 'ethical_champion'"
            )
        pairs.append((str.__str__(key), _scalar(str.__str__(key), value)))
    return pairs


def _scalar(key: str, value: object) -> Scalar:
    """*value* as a plain scalar a store can keep as JSON, or :class:`_UnusableError`."""
    name = key if _FIELD_NAME.fullmatch(key) else "a field"
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        text = str.__str__(value)
        if len(text) > _MAX_FIELD_TEXT:
            raise _UnusableError(
                f"returned text for {name!r} longer than {_MAX_FIELD_TEXT} characters: compliance fields "
                "are codes or labels, never free text"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _UnusableError(f"returned text for {name!r} that is not valid Unicode") from None
        return text
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        number = float.__float__(value)
        if not math.isfinite(number):
            raise _UnusableError(f"returned a number for {name!r} that is not finite (NaN or infinity)")
        return number
    raise _UnusableError(f"returned a value for {name!r} that is not text, a number, true/false or null")


def _check_extensions(extra: Sequence[tuple[str, Scalar]], added_by: Mapping[str, str]) -> str | None:
    seen: set[str] = set()
    for key, _ in extra:
        if not _FIELD_NAME.fullmatch(key):
            return "returned a field name that is not a lower-case name like 'ethical_champion'"
        if key in added_by:
            return f"returned field {key!r}, which plugin {added_by[key]!r} already added"
        if key in seen:
            return f"returned field {key!r} twice"
        seen.add(key)
    return None


def _check_timeout(value: object, name: str) -> float:
    """*value* as seconds to wait, if it is a finite number greater than 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError("The plugins' timeout", [f"{name}: give a number of seconds greater than 0"])
    return float(value)


def _timeout_from_environment() -> float:
    raw = os.environ.get(HOOK_TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_HOOK_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    return _check_timeout(seconds, HOOK_TIMEOUT_VARIABLE)


def _blocked_from_environment() -> set[str]:
    raw = os.environ.get(BLOCKED_PLUGINS_VARIABLE, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugins(
    *,
    blocked: Iterable[str] | None = None,
    entry_points: bool = True,
    builtins: bool = True,
    extra: Iterable[object | tuple[str, object]] = (),
    hook_timeout: float | None = None,
) -> Plugins:
    """Make the plugin manager and its typed facade.

    :param blocked: names of plugins not to load; by default those in the
        ``EDM_BLOCKED_PLUGINS`` environment variable (comma-separated).
    :param entry_points: load the plugins installed under the
        ``ethical_decisions`` entry-point group.
    :param builtins: register the built-in plugins (structured logging).
    :param extra: further plugins to register, as objects or ``(name, object)``
        pairs: for tests, and for applications that ship their own.
    :param hook_timeout: seconds to wait for one plugin's hook call before
        reporting it and carrying on; by default the ``EDM_PLUGIN_TIMEOUT``
        environment variable, else :data:`DEFAULT_HOOK_TIMEOUT`.
    :raises ValidationError: if the timeout is not a number of seconds greater than 0.
    """
    timeout = (
        _timeout_from_environment() if hook_timeout is None else _check_timeout(hook_timeout, "hook_timeout")
    )
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager, [], hook_timeout=timeout)
    version = _distribution_version()
    if builtins:
        manager.register(LoggingPlugin(), name=LoggingPlugin.name)
        plugins._infos.append(PluginInfo(LoggingPlugin.name, "ethical-decisions", version, builtin=True))
    for name in sorted(_blocked_from_environment() if blocked is None else set(blocked)):
        manager.set_blocked(name)
        emit(LogEvent.PLUGIN_BLOCKED, plugin=name)
    for item in extra:
        name, plugin = item if isinstance(item, tuple) else (_name_of(item), item)
        _register(plugins, plugin, name, None, None)
    if entry_points:
        import importlib.metadata  # noqa: PLC0415 - slow to import: see _distribution_version

        for entry_point in importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME):
            if manager.is_blocked(entry_point.name) or manager.has_plugin(entry_point.name):
                continue
            dist = entry_point.dist
            try:
                plugin = entry_point.load()
            except Exception as exc:  # one broken plugin must not stop the rest loading
                plugins._report(
                    entry_point.name, None, exc, f"could not be loaded: {type(exc).__name__}: {exc}"
                )
                continue
            _register(
                plugins, plugin, entry_point.name, dist.name if dist else None, dist.version if dist else None
            )
    manager.check_pending()
    return plugins


def _name_of(plugin: object) -> str:
    """A readable name for a plugin registered without one: its module's or class's name."""
    name = getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else type(plugin).__name__


def _register(
    plugins: Plugins, plugin: object, name: str | None, dist: str | None, version: str | None
) -> None:
    manager = plugins.manager
    try:
        registered = manager.register(plugin, name=name)
    except Exception as exc:  # pluggy refuses hookimpls whose signature does not match the spec
        plugins._report(name or repr(plugin), None, exc, f"could not be registered: {exc}")
        return
    if registered is None:  # blocked
        return
    unknown = [c.name for c in manager.get_hookcallers(plugin) or [] if not c.has_spec()]
    if unknown:
        manager.unregister(plugin)
        plugins._report(
            registered,
            None,
            None,
            f"implements hooks that do not exist: {', '.join(sorted(unknown))}; check their names",
        )
        return
    plugins._infos.append(PluginInfo(registered, dist, version))
    emit(LogEvent.PLUGIN_LOADED, plugin=registered, distribution=dist, version=version)
