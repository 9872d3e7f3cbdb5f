"""The Safety Valve Mechanism: Immigration Enforcement's escalation route in the model.

Installed, it registers the route ``safety_valve_mechanism`` under the
``ethical_decisions`` entry-point group. The mechanism is open to all
Immigration Enforcement staff, not just caseworkers, and most of its
referrals come from frontline staff meeting people in their work: a frontline
officer's referral needs discretion considered but no prior discussion. Every
other role follows the default (discretion considered and a discussion held).
What it says about the mechanism comes from the Government's response to the
Windrush Lessons Learned Review (CP 293, paragraphs 115 and 116).
"""

from __future__ import annotations

from ethical_decisions import DiscretionGuidance, DiscretionScope, EscalationRequirements, StaffRole
from ethical_decisions.prompts import WINDRUSH_RESPONSE_REFERENCE
from ethical_decisions.routekit import RoutePlugin

__all__ = ["plugin"]

plugin = RoutePlugin(
    distribution="ethical-decisions-safety-valve-mechanism",
    route_id="safety_valve_mechanism",
    business_area="immigration_enforcement",
    name="Safety Valve Mechanism",
    about=(
        "The Safety Valve Mechanism was created to encourage staff to see the person, not just the "
        "case. A virtual community of experts from across the business provides advice, monitors "
        "trends and works with policy to learn from cases. It provides additional support in cases "
        "where staff feel that something simply is not right, and it is accessible to all Immigration "
        "Enforcement areas, not just caseworkers: a frontline officer may refer without first "
        "discussing the case."
    ),
    requirements_by_role={
        StaffRole.FRONTLINE_OFFICER: EscalationRequirements(discretion_considered=True, discussion_held=False)
    },
    guidance=(
        DiscretionGuidance(
            DiscretionScope.INSIDE_RULES,
            "See the person, not just the case",
            "Does something simply not feel right about what you are about to do? Are you seeing the "
            "person in front of you, not just the case? The existing expertise in your team is the "
            "first avenue of advice; the Safety Valve Mechanism is another.",
            f"{WINDRUSH_RESPONSE_REFERENCE}, paragraph 115",
        ),
    ),
)
"""The plugin object that the entry point names."""
