"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import datetime as dt

import pytest

from ethical_decisions import (
    CaseReference,
    DecisionMaker,
    EthicalDecisions,
    ProposedDecision,
    Route,
    RouteRegistrar,
    StaffRole,
    hookimpl,
    testing,
)


class RoutesPlugin:
    """A test plugin that registers the routes it is given."""

    def __init__(self, *routes: Route) -> None:
        self.routes = routes

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register each of the plugin's routes."""
        for route in self.routes:
            register(route)


@pytest.fixture(name="clock")
def _clock() -> testing.FakeClock:
    return testing.FakeClock()


@pytest.fixture(name="route")
def _route() -> Route:
    return testing.route("ccu_test", business_area="customer_services_group")


@pytest.fixture(name="edm")
def _edm(clock: testing.FakeClock, route: Route) -> EthicalDecisions:
    return testing.service(RoutesPlugin(route), clock=clock)


@pytest.fixture(name="dm")
def _dm() -> DecisionMaker:
    return testing.decision_maker()


@pytest.fixture(name="frontline")
def _frontline() -> DecisionMaker:
    return DecisionMaker(
        staff_id="io-0042",
        role=StaffRole.FRONTLINE_OFFICER,
        business_area="immigration_enforcement",
        team="Immigration Compliance and Enforcement North",
    )


@pytest.fixture(name="case")
def _case() -> CaseReference:
    return CaseReference(reference="CSG-2026-000123", personal_details={"full_name": "A. Applicant"})


@pytest.fixture(name="proposed")
def _proposed() -> ProposedDecision:
    return ProposedDecision(
        outcome="refuse", summary="Refuse indefinite leave: no evidence of residence 1973-1988."
    )


NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
