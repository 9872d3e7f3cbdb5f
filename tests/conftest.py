"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import settings

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

from .webhook import Receiver, WebhookServer

# Timings on a shared two-core machine vary too much for per-example deadlines to mean anything.
settings.register_profile("edm", deadline=None, print_blob=True)
settings.load_profile("edm")


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> Iterator[None]:
    """Each test starts with structlog as an application would find it: the command configures it globally."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


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


WEBHOOK_SECRET = b"shared-with-the-route-team"


@pytest.fixture(name="receiver")
def _receiver() -> Receiver:
    return Receiver(WEBHOOK_SECRET)


@pytest.fixture(name="webhook")
def _webhook(receiver: Receiver) -> Iterator[WebhookServer]:
    server = WebhookServer(receiver)
    server.start()
    yield server
    server.stop()
