"""The plugin manager factory and the typed facade every hook call goes through.

:func:`make_plugins` builds a manager when asked, never at import time: it adds
the hook specifications, registers the built-in plugins, blocks the plugins
named in configuration, loads entry points one at a time (a plugin that fails
to load is reported by name and the rest still load), then calls
``check_pending()``. The :class:`Plugins` facade calls each plugin's hook on
its own, so one that raises or returns garbage is reported by name and never
stops the others.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import pluggy

from . import hookspecs
from ._builtin import LoggingPlugin
from .compliance import ComplianceRecord, Scalar
from .events import Event
from .exceptions import DuplicateRouteError, EthicalDecisionsError, PluginError
from .log import LogEvent, emit
from .model import ConcernCategory
from .review import Review
from .routes import DiscretionGuidance, Route, RouteRegistry

__all__ = ["BLOCKED_PLUGINS_VARIABLE", "PluginInfo", "PluginProblem", "Plugins", "make_plugins"]

BLOCKED_PLUGINS_VARIABLE = "EDM_BLOCKED_PLUGINS"
"""Environment variable naming plugins not to load, separated by commas."""

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


@attrs.frozen
class PluginInfo:
    """A loaded plugin and the distribution it came from."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool = False


@attrs.frozen
class PluginProblem:
    """A plugin that failed to load, or whose hook failed or returned something unusable.

    :param hook: the hook that failed, or ``None`` if the plugin failed to load.
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
    try:
        return importlib.metadata.version("ethical-decisions")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


class Plugins:
    """Typed calls to every hook. Made by :func:`make_plugins`, not directly."""

    def __init__(self, manager: pluggy.PluginManager, infos: Sequence[PluginInfo]) -> None:
        self._manager = manager
        self._infos = list(infos)
        self._problems: list[PluginProblem] = []
        self._routes: RouteRegistry | None = None

    @property
    def manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager."""
        return self._manager

    def info(self) -> tuple[PluginInfo, ...]:
        """The loaded plugins, with their distributions' names and versions."""
        return tuple(self._infos)

    def problems(self) -> tuple[PluginProblem, ...]:
        """Every plugin failure since the manager was made, oldest first."""
        return tuple(self._problems)

    def _report(
        self, plugin: str, hook: str | None, exc: BaseException | None, problem: str
    ) -> PluginProblem:
        error_type = type(exc).__name__ if exc is not None else "InvalidReturn"
        found = PluginProblem(plugin, hook, error_type, problem)
        self._problems.append(found)
        event = LogEvent.HOOK_FAILED if hook else LogEvent.PLUGIN_LOAD_FAILED
        emit(event, level="error", plugin=plugin, hook=hook, error_type=error_type)
        return found

    def _impls(self, hook: str) -> list[tuple[str, Any]]:
        caller = getattr(self._manager.hook, hook)
        return [(impl.plugin_name, impl.function) for impl in caller.get_hookimpls()]

    # -- the hooks ---------------------------------------------------------------------

    def routes(self) -> RouteRegistry:
        """The installed routes (asked of the plugins once, then kept).

        :raises DuplicateRouteError: if two plugins register the same route id.
        """
        if self._routes is None:
            registry = RouteRegistry()
            for plugin, function in self._impls("ethical_decisions_register_routes"):

                def register(route: Route, plugin: str = plugin) -> None:
                    if not isinstance(route, Route):
                        raise PluginError(plugin, "registered something that is not a Route")
                    registry.add(route, plugin)

                try:
                    function(register=register)
                except DuplicateRouteError:
                    raise
                except Exception as exc:  # a broken plugin must not hide the others' routes
                    self._report(plugin, "ethical_decisions_register_routes", exc, _problem(exc))
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
                offered = function(business_area=business_area, category=category)
            except Exception as exc:
                self._report(plugin, hook, exc, f"raised {type(exc).__name__}")
                continue
            if offered is None:
                continue
            if (
                isinstance(offered, str | bytes)
                or not isinstance(offered, Sequence)
                or not all(isinstance(g, DiscretionGuidance) for g in offered)
            ):
                self._report(plugin, hook, None, "returned something other than a list of DiscretionGuidance")
                continue
            found.extend(offered)
        return tuple(found)

    def event_stored(self, event: Event, review: Review) -> tuple[PluginProblem, ...]:
        """Tell every observer about a stored event; return the failures (already logged)."""
        hook = "ethical_decisions_event_stored"
        failures = []
        for plugin, function in self._impls(hook):
            try:
                function(event=event, review=review)
            except Exception as exc:  # an observer never affects the trail or other observers
                failures.append(self._report(plugin, hook, exc, f"raised {type(exc).__name__}"))
        return tuple(failures)

    def compliance_record(self, record: ComplianceRecord) -> ComplianceRecord:
        """The record with every plugin's extra fields added to its ``extensions``."""
        hook = "ethical_decisions_compliance_record"
        extensions: dict[str, Scalar] = dict(record.extensions)
        added_by: dict[str, str] = {}
        for plugin, function in self._impls(hook):
            try:
                extra = function(record=record)
            except Exception as exc:
                self._report(plugin, hook, exc, f"raised {type(exc).__name__}")
                continue
            if extra is None:
                continue
            problem = _check_extensions(extra, added_by)
            if problem:
                self._report(plugin, hook, None, problem)
                continue
            assert isinstance(extra, Mapping)
            for key, value in extra.items():
                extensions[key] = value
                added_by[key] = plugin
        return attrs.evolve(record, extensions=extensions)


def _problem(exc: Exception) -> str:
    """What a failing hook did: the library's own messages (which never hold free text) in full."""
    if isinstance(exc, EthicalDecisionsError):
        return f"raised {type(exc).__name__}: {exc}"
    return f"raised {type(exc).__name__}"


def _check_extensions(extra: object, added_by: Mapping[str, str]) -> str | None:
    if not isinstance(extra, Mapping):
        return "returned something other than a mapping of field names to values"
    for key, value in extra.items():
        if not isinstance(key, str) or not _FIELD_NAME.fullmatch(key):
            return "returned a field name that is not a lower-case name like 'ethical_champion'"
        if key in added_by:
            return f"returned field {key!r}, which plugin {added_by[key]!r} already added"
        if not (value is None or isinstance(value, str | int | float | bool)):
            return f"returned a value for {key!r} that is not text, a number, true/false or null"
    return None


def _blocked_from_environment() -> set[str]:
    raw = os.environ.get(BLOCKED_PLUGINS_VARIABLE, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugins(
    *,
    blocked: Iterable[str] | None = None,
    entry_points: bool = True,
    builtins: bool = True,
    extra: Iterable[object | tuple[str, object]] = (),
) -> Plugins:
    """Make the plugin manager and its typed facade.

    :param blocked: names of plugins not to load; by default those in the
        ``EDM_BLOCKED_PLUGINS`` environment variable (comma-separated).
    :param entry_points: load the plugins installed under the
        ``ethical_decisions`` entry-point group.
    :param builtins: register the built-in plugins (structured logging).
    :param extra: further plugins to register, as objects or ``(name, object)``
        pairs: for tests, and for applications that ship their own.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager, [])
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
