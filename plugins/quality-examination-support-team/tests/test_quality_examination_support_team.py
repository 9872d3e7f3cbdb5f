"""The Quality Examination Support Team plugin: HM Passport Office's route, in the model's words only."""

from __future__ import annotations

from edm_quality_examination_support_team import plugin

from ethical_decisions import ConcernCategory, testing
from ethical_decisions.prompts import DISCRETION_PROMPTS

AREAS = ("hm_passport_office", "border_force")


def test_route_serves_hm_passport_office_by_its_guidance_name() -> None:
    """It registers its route for HM Passport Office (HMPO), as the model names the business area."""
    route = plugin.route({})

    assert (
        route.business_area,
        route.business_area_name,
    ) == ("hm_passport_office", "HM Passport Office (HMPO)")
    assert "an independent team who will provide advice" in route.description


def test_offers_nothing_invented_and_the_model_prompts_once() -> None:
    """With nothing more in the sources about the team, it offers nothing of its own, in any area.

    A concern in its area is shown the model's own prompts, once, from the library.
    """
    offered = {
        plugin.ethical_decisions_discretion_guidance(area, c) for c in ConcernCategory for area in AREAS
    }
    in_area = testing.plugins(plugin).discretion_guidance("hm_passport_office", ConcernCategory.OTHER)

    assert {None} == offered
    assert DISCRETION_PROMPTS[ConcernCategory.OTHER] == in_area
