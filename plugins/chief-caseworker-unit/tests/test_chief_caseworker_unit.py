"""The Chief Caseworker Unit plugin, registered in a test service."""

from __future__ import annotations

import importlib.metadata

import pytest
from edm_chief_caseworker_unit import plugin

from ethical_decisions import ConcernCategory, EthicalDecisions, testing
from ethical_decisions.prompts import DISCRETION_PROMPTS


@pytest.fixture(name="edm")
def _edm() -> EthicalDecisions:
    return testing.service(plugin)


def test_route_serves_customer_services_group(edm: EthicalDecisions) -> None:
    """It registers ``chief_caseworker_unit`` for Customer Services Group, at its distribution's version."""
    route = edm.routes().for_business_area("customer_services_group")

    assert (route.route_id, route.name) == ("chief_caseworker_unit", "Chief Caseworker Unit")
    assert importlib.metadata.version("ethical-decisions-chief-caseworker-unit") == route.version
    assert "considering the person not just the application" in route.description


def test_offers_its_own_prompt_once_after_the_models(edm: EthicalDecisions) -> None:
    """For every category its own prompt, the person and not just the application, comes after the model's.

    The model's own prompts come from the library, once; the plugin offers only its own prompt.
    """
    for category in ConcernCategory:
        offered = edm.plugins.discretion_guidance("customer_services_group", category)

        assert (*DISCRETION_PROMPTS[category], *plugin.guidance) == offered
    assert [g.title for g in plugin.guidance] == ["The person, not just the application"]
