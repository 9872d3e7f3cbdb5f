"""The Overseas Ethics Panel: the escalation route of Visas and Citizenship Overseas.

AN EXAMPLE. Neither the business area nor the route exists: both are made up
for the ethical-decisions tutorial "Writing a route plugin", to show how a
business area that is not among the four named in the Ethical
Decision-Making Model ships its own route.

Installed, it registers the route ``overseas_ethics_panel`` under the
``ethical_decisions`` entry-point group. Its rules: every role may refer, and
a concern is escalated after discretion has been considered and the case
discussed (the default), except that a technical specialist, who is already
the person others would discuss the case with, needs no further discussion.
"""

from __future__ import annotations

from ethical_decisions import DiscretionGuidance, DiscretionScope, EscalationRequirements, StaffRole
from ethical_decisions.routekit import RoutePlugin

__all__ = ["BUSINESS_AREA", "ROUTE_ID", "plugin"]

BUSINESS_AREA = "visas_and_citizenship_overseas"
"""The id of the (fictional) business area the route serves."""

ROUTE_ID = "overseas_ethics_panel"
"""The route's id: recorded on every referral, and part of its settings' names."""

plugin = RoutePlugin(
    distribution="ethical-decisions-overseas-ethics-panel",
    route_id=ROUTE_ID,
    business_area=BUSINESS_AREA,
    business_area_name="Visas and Citizenship Overseas (example)",
    name="Overseas Ethics Panel",
    about=(
        "An example route for the tutorial: a panel of senior decision-makers who advise on decisions "
        "made overseas, where the applicant cannot easily be asked for more."
    ),
    requirements_by_role={
        StaffRole.TECHNICAL_SPECIALIST: EscalationRequirements(
            discretion_considered=True, discussion_held=False
        ),
    },
    guidance=(
        DiscretionGuidance(
            DiscretionScope.INSIDE_RULES,
            "Could the applicant reasonably have provided it?",
            "Applicants overseas may have no way to obtain a document in time. Does the guidance let you "
            "accept other evidence, or ask for it, before you refuse?",
            "Example guidance for the tutorial",
        ),
    ),
)
"""The plugin object that the entry point names."""
