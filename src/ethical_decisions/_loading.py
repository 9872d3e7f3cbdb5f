"""Loading plugins into a pluggy manager one at a time, so that one that fails stops no other.

Each plugin loaded is announced through ``added`` (its name, distribution,
version, and whether it is built in) and logged; each that cannot be loaded or
registered is reported through ``failed`` (its name, the error type, what to
fix), and the rest still load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pluggy

from ._calls import Report
from .log import LogEvent, emit

__all__ = ["Added", "Failed", "load"]

Added = Callable[[str, str | None, str | None, bool], object]
"""Announces a plugin loaded: its name, distribution, version, and whether it is built in."""
Failed = Report
"""Reports a plugin that could not be loaded: its name, the error type, and what went wrong."""


def load(
    manager: pluggy.PluginManager,
    *,
    builtins: Iterable[tuple[str, object]],
    blocked: Iterable[str],
    extra: Iterable[object | tuple[str, object]],
    entry_points: bool,
    added: Added,
    failed: Failed,
) -> None:
    """Register the *builtins*, block the *blocked* names (spaces around them ignored), then the others."""
    version = None
    for name, plugin in builtins:
        version = version or _distribution_version()
        manager.register(plugin, name=name)
        added(name, "ethical-decisions", version, True)
    for name in sorted({name.strip() for name in blocked} - {""}):
        manager.set_blocked(name)
        emit(LogEvent.PLUGIN_BLOCKED, plugin=name)
    for item in extra:
        name, plugin = item if isinstance(item, tuple) else (_name_of(item), item)
        _register(manager, plugin, name, (None, None), added=added, failed=failed)
    if entry_points:
        import importlib.metadata  # noqa: PLC0415 - slow to import: see _distribution_version

        for entry_point in importlib.metadata.entry_points(group=manager.project_name):
            if manager.is_blocked(entry_point.name) or manager.has_plugin(entry_point.name):
                continue
            dist = entry_point.dist
            try:
                plugin = entry_point.load()
            except Exception as exc:  # one broken plugin must not stop the rest loading
                failed(
                    entry_point.name, type(exc).__name__, f"could not be loaded: {type(exc).__name__}: {exc}"
                )
                continue
            origin = (dist.name, dist.version) if dist else (None, None)
            _register(manager, plugin, entry_point.name, origin, added=added, failed=failed)


def _distribution_version() -> str | None:
    import importlib.metadata  # noqa: PLC0415 - slow to import: loaded when plugins are made, not at import

    try:
        return importlib.metadata.version("ethical-decisions")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return None


def _name_of(plugin: object) -> str:
    """A readable name for a plugin registered without one: its module's or class's name."""
    name = getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else type(plugin).__name__


def _register(
    manager: pluggy.PluginManager,
    plugin: object,
    name: str,
    origin: tuple[str | None, str | None],
    *,
    added: Added,
    failed: Failed,
) -> None:
    """Register *plugin* as *name*, from *origin* (its distribution and version)."""
    if getattr(type(plugin), "__hash__", None) is None:  # plugins are left out of a call as a set
        failed(name, "TypeError", "could not be registered: a plugin must be hashable (attrs: eq=False)")
        return
    try:
        registered = manager.register(plugin, name=name)
    except Exception as exc:  # pluggy refuses hookimpls whose signature does not match the spec
        failed(name, type(exc).__name__, f"could not be registered: {exc}")
        return
    if registered is None:  # blocked
        return
    unknown = [c.name for c in manager.get_hookcallers(plugin) or [] if not c.has_spec()]
    if unknown:
        manager.unregister(plugin)
        problem = f"implements hooks that do not exist: {', '.join(sorted(unknown))}; check their names"
        failed(registered, "InvalidReturn", problem)
        return
    added(registered, *origin, False)
    emit(LogEvent.PLUGIN_LOADED, plugin=registered, distribution=origin[0], version=origin[1])
