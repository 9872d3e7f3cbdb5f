"""The Quality Examination Support Team plugin: HM Passport Office's route, in the model's words only."""

from __future__ import annotations

from edm_quality_examination_support_team import plugin

from ethical_decisions import ConcernCategory
from ethical_decisions.prompts import DISCRETION_PROMPTS


def test_route_serves_hm_passport_office_by_its_guidance_name() -> None:
    """It registers its route for HM Passport Office (HMPO), as the model names the business area."""
    route = plugin.route({})

    assert (
        route.business_area,
        route.business_area_name,
    ) == ("hm_passport_office", "HM Passport Office (HMPO)")
    assert "an independent team who will provide advice" in route.description


def test_offers_the_shared_prompts_and_nothing_invented() -> None:
    """With nothing more in the sources about the team, it offers the shared prompts, in its area only."""
    offered = {
        c: plugin.ethical_decisions_discretion_guidance("hm_passport_office", c) for c in ConcernCategory
    }

    assert dict(DISCRETION_PROMPTS) == offered
    assert plugin.ethical_decisions_discretion_guidance("border_force", ConcernCategory.OTHER) is None
