"""The Quality Examination Support Team: HM Passport Office's escalation route in the model.

Installed, it registers the route ``quality_examination_support_team`` under
the ``ethical_decisions`` entry-point group. Its rules are the default: a
concern is escalated after discretion has been considered and the case
discussed. The guidance names the team and nothing more about it, so the
route offers no guidance of its own (the library offers the model's own
prompts in every business area).
"""

from __future__ import annotations

from ethical_decisions.routekit import RoutePlugin

__all__ = ["plugin"]

plugin = RoutePlugin(
    distribution="ethical-decisions-quality-examination-support-team",
    route_id="quality_examination_support_team",
    business_area="hm_passport_office",
    name="Quality Examination Support Team",
    business_area_name="HM Passport Office (HMPO)",
)
"""The plugin object that the entry point names."""
