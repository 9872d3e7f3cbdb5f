"""The National Immigration Casework Oversight Team: Border Force's escalation route in the model.

Installed, it registers the route ``national_immigration_casework_oversight_team``
under the ``ethical_decisions`` entry-point group. Its rules are the default: a
concern is escalated after discretion has been considered and the case
discussed. The Ethical Decision-Making Model names the team and nothing more
about it, so the route offers no guidance of its own (the library offers the
model's own prompts in every business area).
"""

from __future__ import annotations

from ethical_decisions.routekit import RoutePlugin

__all__ = ["plugin"]

plugin = RoutePlugin(
    distribution="ethical-decisions-national-immigration-casework-oversight-team",
    route_id="national_immigration_casework_oversight_team",
    business_area="border_force",
    name="National Immigration Casework Oversight Team",
)
"""The plugin object that the entry point names."""
