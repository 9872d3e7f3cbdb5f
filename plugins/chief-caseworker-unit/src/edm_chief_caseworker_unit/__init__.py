"""The Chief Caseworker Unit: Customer Services Group's escalation route in the Ethical Decision-Making Model.

Installed, it registers the route ``chief_caseworker_unit`` under the
``ethical_decisions`` entry-point group. Its rules are the default: a concern
is escalated after discretion has been considered and the case discussed.
What it says about the unit comes from the Government's response to the
Windrush Lessons Learned Review (CP 293, paragraph 107).
"""

from __future__ import annotations

from ethical_decisions import DiscretionGuidance, DiscretionScope
from ethical_decisions.prompts import WINDRUSH_RESPONSE_REFERENCE
from ethical_decisions.routekit import RoutePlugin

__all__ = ["plugin"]

plugin = RoutePlugin(
    distribution="ethical-decisions-chief-caseworker-unit",
    route_id="chief_caseworker_unit",
    business_area="customer_services_group",
    name="Chief Caseworker Unit",
    about=(
        "The Chief Caseworker Unit promotes discretion and a human focus in case-working, considering "
        "the person not just the application. Where decision makers experience discomfort in a "
        "decision, they can consult the unit to consider the options available; where possible, it "
        "takes a holistic approach to finding the best solution for the customer, and it seeks to "
        "identify wider systemic issues and trends that are preventing effective decision making."
    ),
    guidance=(
        DiscretionGuidance(
            DiscretionScope.INSIDE_RULES,
            "The person, not just the application",
            "Are you considering the person, not just the application? What options are available to "
            "you, taken together, that would find the best solution for the customer?",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 107",
        ),
    ),
)
"""The plugin object that the entry point names."""
