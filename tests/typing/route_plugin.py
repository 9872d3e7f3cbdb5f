"""A small route plugin written only against the public API, type-checked with ``mypy --strict``.

If a public name, a hook's signature or a value type's fields change in a way
that breaks plugin authors, mypy fails on this file in CI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ethical_decisions import (
    ComplianceRecord,
    ConcernCategory,
    DiscretionGuidance,
    DiscretionScope,
    EscalationRequirements,
    Review,
    Route,
    RoutePolicy,
    RouteRegistrar,
    StaffRole,
    hookimpl,
)
from ethical_decisions.compliance import Scalar
from ethical_decisions.events import Event

ROUTE = Route(
    policy=RoutePolicy(
        route_id="visas_ethics_panel",
        version="1.0",
        business_area="visas",
        eligible_roles=frozenset({StaffRole.CASEWORKER, StaffRole.SENIOR_CASEWORKER}),
        requirements=EscalationRequirements(discretion_considered=True, discussion_held=True),
        response_target_days=5,
    ),
    name="Visas Ethics Panel",
    business_area_name="Visas",
    description="Advises visa decision-makers on unresolved ethical concerns.",
)


class VisasPlugin:
    """Registers a route, offers guidance, observes events and enriches compliance records."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    @hookimpl
    def ethical_decisions_register_routes(self, register: RouteRegistrar) -> None:
        """Register the panel."""
        register(ROUTE)

    @hookimpl
    def ethical_decisions_discretion_guidance(
        self, business_area: str, category: ConcernCategory
    ) -> Sequence[DiscretionGuidance] | None:
        """Prompt thought about sponsorship evidence."""
        if business_area != "visas" or category is not ConcernCategory.EVIDENTIAL_BURDEN:
            return None
        return [
            DiscretionGuidance(
                scope=DiscretionScope.INSIDE_RULES,
                title="Evidence the Home Office holds",
                text="Could the evidence asked of the applicant be found in records we already hold?",
            )
        ]

    @hookimpl
    def ethical_decisions_event_stored(self, event: Event, review: Review) -> None:
        """Count events by kind."""
        self.kinds.append(event.kind)

    @hookimpl
    def ethical_decisions_compliance_record(self, record: ComplianceRecord) -> Mapping[str, Scalar] | None:
        """Flag reviews that reached the panel."""
        return {"panel_consulted": ROUTE.route_id in record.route_ids}
