"""Calling a hook through pluggy so that a plugin that raises costs only its own part.

:func:`isolated` calls the hook as pluggy does (``pm.hook.<name>(...)``: its
order, wrappers and ``firstresult``) and returns what pluggy returns. If the
call raises, the plugin whose implementation raised is found from the
traceback (:mod:`._blame`), reported, and the hook is called again without it
(``pm.subset_hook_caller``), until a call succeeds: at most once more than
there are plugins, since each round leaves one out. An exception no plugin can
be blamed for (the library's own built-in plugin raised, or a wrapper raised
it from nowhere) is raised to the caller.

:func:`one_by_one` calls each plugin on its own, for the rare case where a
call's result is unusable and the caller must know whose part is at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

import pluggy

from . import _blame
from .exceptions import EthicalDecisionsError

__all__ = ["call_order", "failure", "isolated", "one_by_one"]

_T = TypeVar("_T")

Call = Callable[[pluggy.HookCaller], _T]
"""Calls the hook caller it is given, with the hook's arguments: ``lambda hook: hook(record=record)``."""
Report = Callable[[str, str, str], object]
"""Reports a plugin's failure: the plugin's name, the error type and what went wrong."""


def call_order(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    """*hook*'s implementations in pluggy's call order: wrappers (outermost first), then the others."""
    impls = hook.get_hookimpls()  # a copy
    impls.reverse()
    return impls


def failure(exc: Exception) -> str:
    """What a failing hook did: the library's own errors in full, other exceptions by type only.

    That includes a :class:`~ethical_decisions.PluginError` a plugin raises to say
    what to fix in its configuration, which is what that error is for. Other
    messages may quote what the plugin was given, so they are never kept.
    """
    if isinstance(exc, EthicalDecisionsError):
        return f"raised {type(exc).__name__}: {exc}"
    return f"raised {type(exc).__name__}"


def isolated(
    manager: pluggy.PluginManager,
    name: str,
    call: Call[_T],
    *,
    trusted: Collection[str],
    report: Report,
) -> tuple[_T, frozenset[object]]:
    """What *call* returns from hook *name*, and the plugins left out because they raised.

    :param trusted: the built-in plugins: one of them raising is a fault of the library, raised.
    :raises Exception: what the call raised, when no plugin but a trusted one can be blamed.
    """
    left_out: set[object] = set()
    while True:
        hook = manager.subset_hook_caller(name, left_out) if left_out else getattr(manager.hook, name)
        try:
            return call(hook), frozenset(left_out)
        except Exception as exc:
            culprit = _blame.from_traceback(hook.get_hookimpls(), exc)
            if culprit is None or culprit.plugin_name in trusted:
                raise
            report(culprit.plugin_name, type(exc).__name__, failure(exc))
            left_out.add(culprit.plugin)


def one_by_one(
    manager: pluggy.PluginManager,
    name: str,
    call: Call[_T],
    *,
    without: Collection[object],
    trusted: Collection[str],
    report: Report,
) -> list[tuple[str, _T]]:
    """Each plugin's name and what *call* returns with that plugin alone, in pluggy's call order.

    :param without: plugins to leave out (those that raised in the call being explained).
    :raises Exception: what a trusted plugin raised on its own.
    """
    plugins: dict[str, Any] = {}
    for impl in call_order(getattr(manager.hook, name)):
        if impl.plugin not in without:
            plugins.setdefault(impl.plugin_name, impl.plugin)
    found = []
    for plugin_name, plugin in plugins.items():
        others = [other for other in plugins.values() if other is not plugin]
        try:
            found.append((plugin_name, call(manager.subset_hook_caller(name, [*others, *without]))))
        except Exception as exc:
            if plugin_name in trusted:
                raise
            report(plugin_name, type(exc).__name__, failure(exc))
    return found
