"""Escalation routes: what a business area's route is, and the registry of installed ones.

A :class:`Route` is data (its :class:`~ethical_decisions.RoutePolicy`, name and
description) plus a transport that delivers referrals to the route's team.
Routes come from plugins through the ``ethical_decisions_register_routes``
hook; the :class:`RouteRegistry` holds them by id and finds the route for a
business area.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

import attrs

from ._fields import validate_free_text, validate_label
from .exceptions import DuplicateRouteError, NoRouteError
from .model import DiscretionScope, RoutePolicy
from .transports import QueueTransport, Transport

__all__ = ["DiscretionGuidance", "Route", "RouteRegistrar", "RouteRegistry"]


@attrs.frozen
class Route:
    """An escalation route as a plugin provides it.

    :param policy: the rules a review is held to when it escalates here.
    :param name: the route's name, e.g. ``"Safety Valve Mechanism"``.
    :param business_area_name: e.g. ``"Immigration Enforcement"``.
    :param description: what the route does and who may use it, for people choosing it.
    :param transport: how referrals reach the route's team; by default the
        store's own queue, which the team works through the library.
    """

    policy: RoutePolicy
    name: str = attrs.field(validator=validate_label)
    business_area_name: str = attrs.field(validator=validate_label)
    description: str = attrs.field(validator=validate_free_text)
    transport: Transport = attrs.field(factory=QueueTransport)

    @property
    def route_id(self) -> str:
        """The route's id."""
        return self.policy.route_id

    @property
    def business_area(self) -> str:
        """The id of the business area it serves."""
        return self.policy.business_area

    @property
    def version(self) -> str:
        """The version of its rules."""
        return self.policy.version


@attrs.frozen
class DiscretionGuidance:
    """A pointer to what a decision-maker might consider for a concern.

    Offered by route plugins for their business area. It prompts thought; it
    never decides.

    :param scope: inside or outside the Immigration Rules.
    :param title: a short name for the guidance.
    :param text: what to consider.
    :param reference: where to read more (a guidance name or link), if any.
    """

    scope: DiscretionScope
    title: str = attrs.field(validator=validate_label)
    text: str = attrs.field(validator=validate_free_text)
    reference: str | None = None


class RouteRegistrar(Protocol):
    """The callable a plugin's ``ethical_decisions_register_routes`` hook receives."""

    def __call__(self, route: Route) -> None:
        """Register *route*. Registering an id another plugin registered is an error."""


class RouteRegistry:
    """The installed routes, by id, with the plugin that registered each."""

    def __init__(self, entries: Sequence[tuple[Route, str]] = ()) -> None:
        self._entries: dict[str, tuple[Route, str]] = {}  # route id: (route, the plugin that registered it)
        for route, plugin in entries:
            self.add(route, plugin)

    def add(self, route: Route, plugin: str) -> None:
        """Add *route*, registered by *plugin*.

        :raises DuplicateRouteError: if another plugin registered the same id.
        """
        existing = self._entries.get(route.route_id)
        if existing is not None:
            raise DuplicateRouteError(route.route_id, existing[1], plugin)
        self._entries[route.route_id] = (route, plugin)

    def __iter__(self) -> Iterator[Route]:
        return (self._entries[route_id][0] for route_id in sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, route_id: object) -> bool:
        return route_id in self._entries

    @property
    def plugins(self) -> Mapping[str, str]:
        """The plugin that registered each route, by route id."""
        return {route_id: plugin for route_id, (_, plugin) in self._entries.items()}

    def get(self, route_id: str) -> Route:
        """The route with this id.

        :raises NoRouteError: naming the installed routes.
        """
        entry = self._entries.get(route_id)
        if entry is None:
            raise NoRouteError(f"route id {route_id!r}", sorted(self._entries))
        return entry[0]

    def for_business_area(self, business_area: str) -> Route:
        """The route serving *business_area* (its own route, never a second tier that reconsiders advice).

        :raises NoRouteError: if none is installed, naming the installed routes.
        """
        matches = [
            route
            for route, _ in self._entries.values()
            if route.business_area == business_area and route.policy.reconsiders is None
        ]
        if not matches:
            raise NoRouteError(f"business area {business_area!r}", sorted(self._entries))
        if len(matches) > 1:
            ids = ", ".join(sorted(r.route_id for r in matches))
            raise NoRouteError(
                f"business area {business_area!r} without naming one (it has several: {ids})",
                sorted(self._entries),
            )
        return matches[0]
