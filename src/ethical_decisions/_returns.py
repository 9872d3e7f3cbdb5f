"""What plugins give the library, checked and copied into plain lists of plain values.

pluggy returns a list of what each implementation returned (wrappers may
change it). The checks here read that list once, copying what they keep, so a
value that misbehaves on being read (a mapping that raises, an object that
claims to be text) is refused here and cannot raise later. A refusal is an
:class:`UnusableError` whose message says what was wrong, never the value.

The ``*_by_plugin`` functions check each plugin's part on its own (what it
returned when called alone), report the unusable ones and keep the others.
Routes are not returned but registered: :func:`register_routes` notes each
with the plugin whose implementation called ``register``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import pluggy

from . import _blame
from ._calls import Report
from .compliance import Scalar
from .exceptions import RouteError
from .routes import DiscretionGuidance, Route

__all__ = [
    "INVALID",
    "UnusableError",
    "fields",
    "fields_by_plugin",
    "guidance",
    "guidance_by_plugin",
    "register_routes",
    "routes_by_plugin",
]

_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_MAX_FIELD_TEXT = 200
"""Longest text a plugin may add to a compliance record: a code or label, never prose."""
_NOT_GUIDANCE = "returned something other than a list of DiscretionGuidance"
_BAD_NAME = "returned a field name that is not a lower-case name like 'ethical_champion'"

_T = TypeVar("_T")

INVALID = "InvalidReturn"
"""The error type reported for a plugin that gave something unusable."""


class UnusableError(Exception):
    """A hook's result that cannot be used; the message says why (it never holds the value)."""


def guidance(results: object) -> list[DiscretionGuidance]:
    """The guidance in a discretion-guidance hook call's *results*, in order."""
    found: list[DiscretionGuidance] = []
    for offered in _each(results, _NOT_GUIDANCE):
        found.extend(_read(_guidance_list, offered))
    return found


def fields(results: object) -> list[tuple[str, Scalar]]:
    """The ``(name, value)`` pairs in a compliance hook call's *results*; a name given twice is refused."""
    found: list[tuple[str, Scalar]] = []
    for extra in _each(results, "returned something other than a mapping of field names to values"):
        found.extend(_read(_field_list, extra))
    names = [name for name, _ in found]
    for name in names:
        if not _FIELD_NAME.fullmatch(name):
            raise UnusableError(_BAD_NAME)
        if names.count(name) > 1:
            raise UnusableError(f"returned field {name!r} twice")
    return found


def guidance_by_plugin(parts: Sequence[tuple[str, object]], report: Report) -> list[DiscretionGuidance]:
    """The guidance in each plugin's part (its name and its results alone); an unusable part is reported."""
    found: list[DiscretionGuidance] = []
    for plugin, results in parts:
        try:
            found.extend(guidance(results))
        except UnusableError as exc:
            report(plugin, INVALID, str(exc))
    return found


def fields_by_plugin(parts: Sequence[tuple[str, object]], report: Report) -> list[tuple[str, Scalar]]:
    """The fields in each plugin's part; an unusable part, or a field an earlier part has, is reported."""
    found: list[tuple[str, Scalar]] = []
    added_by: dict[str, str] = {}
    for plugin, results in parts:
        try:
            extra = fields(results)
        except UnusableError as exc:
            report(plugin, INVALID, str(exc))
            continue
        taken = next((name for name, _ in extra if name in added_by), None)
        if taken is not None:
            report(
                plugin, INVALID, f"returned field {taken!r}, which plugin {added_by[taken]!r} already added"
            )
            continue
        added_by.update((name, plugin) for name, _ in extra)
        found += extra
    return found


def routes_by_plugin(offered: Sequence[tuple[str, object]], report: Report) -> list[tuple[Route, str]]:
    """Each route registered and its plugin; a plugin that registered anything but a Route adds none."""
    refused = sorted({plugin for plugin, route in offered if not isinstance(route, Route)})
    for plugin in refused:
        report(plugin, INVALID, "registered something that is not a Route")
    return [
        (route, plugin) for plugin, route in offered if isinstance(route, Route) and plugin not in refused
    ]


class _Registrar:
    """The ``register`` one call of the routes hook is given: it notes each route and who registered it."""

    def __init__(self, hook: pluggy.HookCaller) -> None:
        self._impls = hook.get_hookimpls()
        self.offered: list[tuple[str, object]] = []
        self.open = True

    def __call__(self, route: Route) -> None:
        """Note *route*, registered by the plugin whose hook implementation is calling."""
        impl = _blame.calling(self._impls)
        if impl is None or not self.open:
            raise RouteError(
                "register(route) is for an ethical_decisions_register_routes hook, while it runs"
            )
        self.offered.append((impl.plugin_name, route))


def register_routes(hook: pluggy.HookCaller) -> list[tuple[str, object]]:
    """Call the routes *hook*: each thing registered, with the plugin that registered it, in order."""
    registrar = _Registrar(hook)
    try:
        hook(register=registrar)
    finally:
        registrar.open = False
    return registrar.offered


def _each(results: object, problem: str) -> list[object]:
    """*results* as a list of each implementation's return, or :class:`UnusableError` with *problem*."""
    if type(results) is not list:  # pluggy's own list, unless a wrapper put something else in its place
        raise UnusableError(problem)
    return list(results)


def _read(copy: Callable[[object], _T], value: object) -> _T:
    """What *copy* copies out of a returned *value*; a value that raises on being read is refused."""
    try:
        return copy(value)
    except UnusableError:
        raise
    except Exception as exc:  # the value's own code raised: the plugin's fault, not the caller's
        raise UnusableError(f"returned a value that raised {type(exc).__name__} when read") from None


def _guidance_list(offered: object) -> list[DiscretionGuidance]:
    if isinstance(offered, str | bytes) or not isinstance(offered, Sequence):
        raise UnusableError(_NOT_GUIDANCE)
    items = list(offered)
    if not all(type(g) is DiscretionGuidance for g in items):
        raise UnusableError(_NOT_GUIDANCE)
    return items


def _field_list(extra: object) -> list[tuple[str, Scalar]]:
    if not isinstance(extra, Mapping):
        raise UnusableError("returned something other than a mapping of field names to values")
    pairs = []
    for key, value in list(extra.items()):
        if not isinstance(key, str):
            raise UnusableError(_BAD_NAME)
        name = str.__str__(key)
        pairs.append((name, _scalar(name, value)))
    return pairs


def _scalar(key: str, value: object) -> Scalar:
    """*value* as a plain scalar a store can keep as JSON, or :class:`UnusableError`."""
    name = key if _FIELD_NAME.fullmatch(key) else "a field"
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        text = str.__str__(value)
        if len(text) > _MAX_FIELD_TEXT:
            raise UnusableError(
                f"returned text for {name!r} longer than {_MAX_FIELD_TEXT} characters: compliance fields "
                "are codes or labels, never free text"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise UnusableError(f"returned text for {name!r} that is not valid Unicode") from None
        return text
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        number = float.__float__(value)
        if not math.isfinite(number):
            raise UnusableError(f"returned a number for {name!r} that is not finite (NaN or infinity)")
        return number
    raise UnusableError(f"returned a value for {name!r} that is not text, a number, true/false or null")
