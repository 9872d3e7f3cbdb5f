"""The Chief Caseworker Unit plugin, registered in a test service."""

from __future__ import annotations

import importlib.metadata

import pytest
from edm_chief_caseworker_unit import plugin

from ethical_decisions import ConcernCategory, EthicalDecisions, testing


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    return testing.service(plugin)


def test_route_serves_customer_services_group(edm: EthicalDecisions) -> None:
    """It registers ``chief_caseworker_unit`` for Customer Services Group, at its distribution's version."""
    route = edm.routes().for_business_area("customer_services_group")

    assert (route.route_id, route.name) == ("chief_caseworker_unit", "Chief Caseworker Unit")
    assert importlib.metadata.version("ethical-decisions-chief-caseworker-unit") == route.version
    assert "considering the person not just the application" in route.description


def test_offers_its_own_prompt_after_the_shared_ones(edm: EthicalDecisions) -> None:
    """For every category its own prompt, the person and not just the application, comes last."""
    titles = [plugin.discretion_guidance(category)[-1].title for category in ConcernCategory]

    assert {"The person, not just the application"} == set(titles)
