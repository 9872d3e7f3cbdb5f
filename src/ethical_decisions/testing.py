"""Helpers for testing code that uses the library, and plugins written for it.

::

    from ethical_decisions import testing

    edm = testing.service(MyRoutePlugin())
    review = edm.open_review(by=testing.decision_maker(), case=..., proposed=...)

Nothing here touches the network, the disk or the real clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import attrs

from .clock import Clock
from .model import DecisionMaker, RoutePolicy, RouteTeamMember, StaffRole
from .plugins import Plugins, make_plugins
from .routes import Route
from .service import EthicalDecisions
from .store import MemoryStore, Store

__all__ = [
    "FakeClock",
    "MemoryStore",
    "decision_maker",
    "plugins",
    "route",
    "route_team_member",
    "service",
]


@attrs.define
class FakeClock:
    """A clock that starts at *now* and moves on by *step* each time it is read.

    Use it as the ``clock`` of :class:`~ethical_decisions.EthicalDecisions`.
    """

    now: dt.datetime = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    step: dt.timedelta = dt.timedelta(minutes=1)

    def __call__(self) -> dt.datetime:
        """The current fake time; then move on by :attr:`step`."""
        current = self.now
        self.now = current + self.step
        return current

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock on by *delta*."""
        self.now += delta


def plugins(*extra: object, builtins: bool = True) -> Plugins:
    """A plugin manager with just *extra* (and the built-ins): no entry points, nothing blocked."""
    return make_plugins(blocked=(), entry_points=False, builtins=builtins, extra=extra)


def service(
    *extra: object,
    store: Store | None = None,
    clock: Clock | None = None,
    installed: bool = False,
    new_id: Callable[[], str] | None = None,
    case_index_key: str | None = None,
) -> EthicalDecisions:
    """An :class:`~ethical_decisions.EthicalDecisions` on a :class:`MemoryStore` with a :class:`FakeClock`.

    :param extra: plugins to register.
    :param installed: also load the installed plugins (entry points).
    :param new_id: makes review ids; by default ``rv-test-0001``, ``rv-test-0002``… (pass another when
        two services share a store).
    :param case_index_key: the case index key (see :mod:`ethical_decisions.caseindex`); by default none
        (the ``EDM_CASE_INDEX_KEY`` environment variable, if set).
    """
    counter = itertools.count(1)
    manager = make_plugins(blocked=(), entry_points=installed, extra=extra)
    return EthicalDecisions(
        store if store is not None else MemoryStore(),
        plugins=manager,
        clock=clock if clock is not None else FakeClock(),
        new_id=new_id or (lambda: f"rv-test-{next(counter):04d}"),
        case_index_key=case_index_key,
    )


def decision_maker(
    staff_id: str = "dm-0001",
    *,
    role: StaffRole = StaffRole.CASEWORKER,
    business_area: str = "customer_services_group",
    team: str = "Settlement Casework",
) -> DecisionMaker:
    """A decision-maker with defaults for tests."""
    return DecisionMaker(staff_id=staff_id, role=role, business_area=business_area, team=team)


def route_team_member(route_id: str, staff_id: str = "rt-0001") -> RouteTeamMember:
    """A member of *route_id*'s team."""
    return RouteTeamMember(staff_id=staff_id, route_id=route_id)


def route(
    route_id: str = "test_route",
    *,
    business_area: str = "customer_services_group",
    version: str = "1.0",
    name: str = "Test Route",
    policy: RoutePolicy | None = None,
) -> Route:
    """A route with the default policy, delivered through the store's queue."""
    return Route(
        policy=policy or RoutePolicy(route_id=route_id, version=version, business_area=business_area),
        name=name,
        business_area_name=business_area.replace("_", " ").title(),
        description="A route for tests.",
    )
