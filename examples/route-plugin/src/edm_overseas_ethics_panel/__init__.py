"""The Overseas Ethics Panel: the escalation route of Visas and Citizenship Overseas, and its second tier.

AN EXAMPLE. Neither the business area nor its routes exist: all are made up
for the ethical-decisions tutorial "Writing a route plugin", to show how a
business area that is not among the four named in the Ethical
Decision-Making Model ships its own route, and how it may add a second tier.

Installed, it registers two routes under the ``ethical_decisions``
entry-point group:

- ``overseas_ethics_panel``, the business area's route. Every role may refer,
  and a concern is escalated after discretion has been considered and the case
  discussed (the default), except that a technical specialist, who is already
  the person others would discuss the case with, needs no further discussion.
- ``overseas_ethics_board``, a second tier that reconsiders the panel's
  advice. A decision-maker who could not resolve a concern after the panel's
  advice, and said so, may escalate it again here, under the panel's rules of
  what must come first. The guidance names no second tier: the four real
  routes have none.
"""

from __future__ import annotations

from ethical_decisions import DiscretionGuidance, DiscretionScope, EscalationRequirements, StaffRole
from ethical_decisions.routekit import RoutePlugin

__all__ = ["BOARD_ID", "BUSINESS_AREA", "ROUTE_ID", "board", "plugin"]

BUSINESS_AREA = "visas_and_citizenship_overseas"
"""The id of the (fictional) business area the routes serve."""

ROUTE_ID = "overseas_ethics_panel"
"""The route's id: recorded on every referral, and part of its settings' names."""

BOARD_ID = "overseas_ethics_board"
"""The second tier's id."""

_SPECIALISTS_NEED_NO_DISCUSSION = {
    StaffRole.TECHNICAL_SPECIALIST: EscalationRequirements(discretion_considered=True, discussion_held=False),
}

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
    requirements_by_role=_SPECIALISTS_NEED_NO_DISCUSSION,
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
"""The plugin object that the ``overseas_ethics_panel`` entry point names."""

board = RoutePlugin(
    distribution="ethical-decisions-overseas-ethics-panel",
    route_id=BOARD_ID,
    business_area=BUSINESS_AREA,
    business_area_name="Visas and Citizenship Overseas (example)",
    name="Overseas Ethics Board",
    about="An example second tier for the tutorial: the area's senior leaders, who meet monthly.",
    requirements_by_role=_SPECIALISTS_NEED_NO_DISCUSSION,
    reconsiders=ROUTE_ID,
)
"""The second tier, named by the ``overseas_ethics_board`` entry point."""
